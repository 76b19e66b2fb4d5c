// TDesign feedback on a page: every page has <t-toast id="t-toast"/> and <t-dialog id="t-dialog"/>.
const Toast = require('tdesign-miniprogram/toast/index').default
const Dialog = require('tdesign-miniprogram/dialog/index').default

// theme: success | error | warning | '' (text only)
function toast(page, message, theme = '') {
  Toast({ context: page, selector: '#t-toast', message, theme, direction: 'column', duration: 2500 })
}

function toastError(page, err) {
  toast(page, (err && err.message) || '操作失败，请稍后再试', 'error')
}

// Resolves true when the user taps the confirm button, false on cancel.
function confirmDialog(page, { title, content, confirmBtn = '确定', cancelBtn = '取消' }) {
  return Dialog.confirm({ context: page, selector: '#t-dialog', title, content, confirmBtn, cancelBtn })
    .then(() => true, () => false)
}

module.exports = { toast, toastError, confirmDialog }
