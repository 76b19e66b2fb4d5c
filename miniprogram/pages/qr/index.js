// 扫码登录电脑端: the desktop's details (browser, IP, time) before the user confirms.
// Opened by the home pages' 扫一扫 (our local QR) and, through the log-in page, by a
// mini-program code whose scene is the ticket: pages/qr/index?ticket=…
const config = require('../../config')
const auth = require('../../services/auth')
const { actionKeys } = require('../../utils/idempotency')

const HOME = config.HOME_PAGES

Page({
  data: { step: 'loading', desktop: null, account: '', errorMessage: '', submitting: false },

  onLoad(options = {}) {
    this.ticket = options.ticket ? decodeURIComponent(options.ticket) : ''
    this.keys = actionKeys()
    if (!this.ticket) return this.failed({ message: '二维码无效，请在电脑上刷新二维码后重新扫描' })
    return auth.scanQr(this.ticket, { idempotencyKey: this.keys.key('scan') })
      .then(res => this.setData({ step: 'confirm', desktop: res.desktop, account: res.account_name }))
      .catch(err => this.failed(err))
  },

  failed(err) {
    this.setData({ step: 'failed', errorMessage: err.message })
  },

  confirm() {
    return this.decide(true)
  },

  cancel() {
    return this.decide(false)
  },

  decide(yes) {
    if (this.data.submitting) return Promise.resolve()
    this.setData({ submitting: true })
    return auth.confirmQr(this.ticket, yes, { idempotencyKey: this.keys.key(yes ? 'confirm' : 'cancel') })
      .then(res => this.setData({ step: res.state === 'confirmed' ? 'confirmed' : 'cancelled' }))
      .catch(err => this.failed(err))
      .then(() => this.setData({ submitting: false }))
  },

  goHome() {
    wx.reLaunch({ url: HOME[wx.getStorageSync(config.ROLE_KEY)] || config.LOGIN_PAGE })
  },
})
