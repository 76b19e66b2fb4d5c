// 户档信息: the archive/hukou receiving defaults of every letter, shared by all our users, with
// every earlier version (who saved it, when).
const employer = require('../../../services/employer')
const fmt = require('../../../utils/format')
const { fieldHandler, fieldErrorsFrom, blankToNull } = require('../../../utils/form')
const { actionKeys } = require('../../../utils/idempotency')
const { toast } = require('../../../utils/ui')

const BLANK = {
  archive_receiving: 'employer', archive_unit: '', archive_address: '', archive_postcode: '', archive_contact: '', archive_phone: '',
  hukou_receiving: 'not_received', hukou_address: '', hukou_reason: '',
}

Page({
  data: {
    loading: true, loadError: '', actionError: '', fieldErrors: {}, saving: false, version: 0, history: [], form: { ...BLANK },
    archiveOptions: [{ label: '签约单位接收', value: 'employer' }, { label: '转寄至档案接收单位', value: 'forward' }, { label: '单位不接收', value: 'not_received' }],
    hukouOptions: [{ label: '接收', value: 'received' }, { label: '不接收', value: 'not_received' }],
  },

  onLoad() {
    this.keys = actionKeys()
    return this.load()
  },

  load() {
    this.setData({ loadError: '' })
    return employer.getArchiveProfile()
      .then(p => this.show(p))
      .catch(err => this.setData({ loadError: err.message }))
      .then(() => this.setData({ loading: false }))
  },

  show(p) {
    const form = { ...BLANK }
    Object.keys(p.profile || {}).forEach(k => { if (p.profile[k] !== null) form[k] = p.profile[k] })
    this.setData({
      form,
      version: p.version,
      history: p.history.map(r => ({ ...r, when: fmt.dateTime(r.changed_at), rows: fmt.archiveRows(r.data).concat(fmt.hukouRows(r.data)) })),
    })
  },

  onField: fieldHandler(),

  save() {
    if (this.data.saving) return Promise.resolve()
    const body = {}
    Object.keys(this.data.form).forEach(k => { body[k] = blankToNull(this.data.form[k]) })
    this.setData({ saving: true, actionError: '', fieldErrors: {} })
    return employer.saveArchiveProfile(body, { idempotencyKey: this.keys.key('save') })
      .then(p => { this.keys.settle('save'); this.show(p); toast(this, '户档信息已保存', 'success') })
      .catch(err => { this.keys.settle('save', err); this.setData({ actionError: (err.fields && err.fields.body) || err.message, fieldErrors: fieldErrorsFrom(err) }) })
      .then(() => this.setData({ saving: false }))
  },
})
