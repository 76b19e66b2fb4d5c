// 修改密码: the current password, then the new one twice.
const employer = require('../../../services/employer')
const { fieldHandler, fieldErrorsFrom, missing } = require('../../../utils/form')
const { toast } = require('../../../utils/ui')

Page({
  data: { form: { old_password: '', new_password: '', repeat: '' }, fieldErrors: {}, actionError: '', saving: false },

  onField: fieldHandler(),

  save() {
    if (this.data.saving) return Promise.resolve()
    const f = this.data.form
    const errors = missing(f, ['old_password', 'new_password', 'repeat'])
    if (!errors.repeat && f.repeat !== f.new_password) errors.repeat = '两次输入的新密码不一致'
    if (Object.keys(errors).length) return Promise.resolve(this.setData({ fieldErrors: errors }))
    this.setData({ saving: true, actionError: '', fieldErrors: {} })
    return employer.changePassword(f.old_password, f.new_password)
      .then(() => {
        this.setData({ form: { old_password: '', new_password: '', repeat: '' } })
        toast(this, '密码已修改，下次在电脑端登录请使用新密码', 'success')
      })
      .catch(err => this.setData({ actionError: err.message, fieldErrors: fieldErrorsFrom(err) }))
      .then(() => this.setData({ saving: false }))
  },
})
