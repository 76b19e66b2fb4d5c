// A paper agreement's PDF (the numbered agreement, or the standard 解约证明) downloaded with the
// student's token and opened by WeChat (wx.downloadFile + wx.openDocument).
const config = require('../config')
const { errorFrom, ApiError } = require('./request')

const base = id => `/student/paper-agreements/${encodeURIComponent(id)}`

// The numbered agreement (PDF) or the standard termination proof, downloaded and opened.
function documentPath(id, which = 'agreement') {
  return which === 'proof' ? `${base(id)}/termination-proof` : `/paper-agreements/${encodeURIComponent(id)}/document`
}

function openDocument(id, which = 'agreement') {
  const header = { Authorization: `Bearer ${wx.getStorageSync(config.TOKEN_KEY)}` }
  return new Promise((resolve, reject) => {
    wx.downloadFile({
      url: config.apiBase() + documentPath(id, which),
      header,
      success(res) {
        if (res.statusCode !== 200) {
          // the body of a refusal is a file here: the status says enough (409: not numbered yet)
          return reject(errorFrom({ statusCode: res.statusCode, data: null }))
        }
        wx.openDocument({ filePath: res.tempFilePath, fileType: 'pdf', showMenu: true, success: resolve, fail: () => reject(new ApiError({ status: 0, code: 'OPEN_FAILED', message: '无法打开文件，请稍后重试' })) })
      },
      fail() {
        reject(new ApiError({ status: 0, code: 'NETWORK_ERROR', message: '网络连接失败，请检查网络后重试' }))
      },
    })
  })
}

module.exports = { documentPath, openDocument }
