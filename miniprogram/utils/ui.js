// Small promise wrappers over wx UI calls.

function toast(title) {
  wx.showToast({ title, icon: 'none', duration: 3000 })
}

function toastError(err) {
  toast((err && err.message) || '操作失败，请稍后再试')
}

// Resolves true when the user taps the confirm button.
function confirmModal({ title, content, confirmText = '确定', cancelText = '取消' }) {
  return new Promise(resolve => {
    wx.showModal({
      title,
      content,
      confirmText,
      cancelText,
      success: res => resolve(!!res.confirm),
      fail: () => resolve(false),
    })
  })
}

module.exports = { toast, toastError, confirmModal }
