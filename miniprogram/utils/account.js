// Account actions shared by the students' and employers' home pages: log out, unbind, scan a
// desktop log-in code.
const config = require('../config')
const auth = require('../services/auth')
const { confirmDialog, toast } = require('./ui')

function leave() {
  wx.removeStorageSync(config.TOKEN_KEY)
  wx.removeStorageSync(config.ROLE_KEY)
  wx.reLaunch({ url: config.LOGIN_PAGE })
}

function logout() {
  return auth.logout().then(leave, leave)
}

// 解除绑定: this WeChat no longer opens the account until it is bound again.
function unbind(page) {
  return confirmDialog(page, {
    title: '解除微信绑定',
    content: '解除后本微信将不能再登录该账号，也不再收到签约消息提醒；重新使用需再次验证身份。确定解除吗？',
    confirmBtn: '解除绑定',
  }).then(ok => ok && auth.unbind().then(leave, err => toast(page, err.message, 'error')))
}

// The desktop log-in page's QR: a code of our /wechat/qr/<ticket> page, or a mini-program code
// (whose path carries scene=<ticket>).
const TICKET = /(?:\/wechat\/qr\/|[?&]scene=)([A-Za-z0-9_-]{20,43})/

function ticketOf(scan) {
  const text = `${scan.result || ''} ${decodeURIComponent(scan.path || '')}`
  const match = TICKET.exec(text)
  return match ? match[1] : null
}

function scanDesktopCode(page) {
  return new Promise(resolve => wx.scanCode({
    onlyFromCamera: false,
    scanType: ['qrCode', 'wxCode'],
    success: res => {
      const ticket = ticketOf(res)
      if (!ticket) {
        toast(page, '这不是网签电脑端的登录二维码', 'warning')
        return resolve(false)
      }
      wx.navigateTo({ url: `/pages/qr/index?ticket=${ticket}` })
      resolve(true)
    },
    fail: () => resolve(false),
  }))
}

module.exports = { logout, unbind, scanDesktopCode, ticketOf }
