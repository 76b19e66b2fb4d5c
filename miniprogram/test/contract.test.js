// The API client against the backend's OpenAPI document (test/openapi.json): every call the
// services make exists with its method, query parameters and body; every fixture the page
// tests use matches the response schema; every page a pushed message opens exists.
const fs = require('fs')
const path = require('path')
const api = require('./helpers/openapi')
const { RESPONSES, fixture } = require('./fixtures')
const { API } = require('./helpers/wx')

const ROOT = path.resolve(__dirname, '..')
const services = {
  auth: require('../services/auth'),
  student: require('../services/student'),
  notifications: require('../services/notifications'),
  employer: require('../services/employer'),
  directory: require('../services/directory'),
  subscriptions: require('../services/subscriptions'),
  documents: require('../services/documents'),
  paper: require('../services/paper'),
  destinations: require('../services/destinations'),
  reviewer: require('../services/reviewer'),
}

const terms = fixture('invitation_invited').terms
const archive = terms.archive
const CALLS = {
  'auth.wxaLogin': s => s.auth.wxaLogin('wx-code'),
  'auth.bindStudent': s => s.auth.bindStudent({ school_code: '10532', student_no: '2022010001', name: '欧彤欣', id_number: '430102200409201401' }),
  'auth.confirmStudentBinding': s => s.auth.confirmStudentBinding({ sms_code: '123456', email: 'otx@example.com', address: '湖南省长沙市岳麓区麓山南路2号' }),
  'auth.bindEmployer': s => s.auth.bindEmployer({ username: 'hr1.xingchen', password: 'secret' }),
  'auth.logout': s => s.auth.logout(),
  'auth.unbind': s => s.auth.unbind(),
  'auth.scanQr': s => s.auth.scanQr('Q1w2E3r4T5y6U7i8O9p0Aa'),
  'auth.confirmQr': s => s.auth.confirmQr('Q1w2E3r4T5y6U7i8O9p0Aa', true),
  'student.getHome': s => s.student.getHome(),
  'student.listInvitations': s => s.student.listInvitations({ status: 'open', employerName: '星辰', cursor: 'MTE', limit: 20 }),
  'student.getInvitation': s => s.student.getInvitation(12),
  'student.acceptInvitation': s => s.student.acceptInvitation(12, 1),
  'student.rejectInvitation': s => s.student.rejectInvitation(12, '已接受其他单位的录用'),
  'student.acceptRevision': s => s.student.acceptRevision(12, 2),
  'student.declineRevision': s => s.student.declineRevision(12, 2),
  'student.getTerminationNotice': s => s.student.getTerminationNotice(12),
  'student.requestTermination': s => s.student.requestTermination(12, '已考取研究生'),
  'student.listTerminations': s => s.student.listTerminations({ cursor: 'NA', limit: 20 }),
  'student.getTermination': s => s.student.getTermination(4),
  'student.agreeTermination': s => s.student.agreeTermination(4),
  'student.disagreeTermination': s => s.student.disagreeTermination(4, '希望按原协议履行'),
  'notifications.listNotifications': s => s.notifications.listNotifications({ cursor: 'MzA', limit: 20, unreadOnly: true }),
  'notifications.markRead': s => s.notifications.markRead([31]),
  'employer.getHome': s => s.employer.getHome({ cohort: 2026 }),
  'employer.searchStudents': s => s.employer.searchStudents({ school_code: '10532', cohort: 2026, name: '欧彤欣', phone_or_id: '13307315660' }),
  'employer.listFavorites': s => s.employer.listFavorites({ cohort: 2026, cursor: 'MQ', limit: 20 }),
  'employer.addFavorite': s => s.employer.addFavorite(1),
  'employer.removeFavorite': s => s.employer.removeFavorite(1),
  'employer.listInvitations': s => s.employer.listInvitations({ status: 'signing', cohort: 2026, school_code: '10532', name: '欧彤欣', major: '软件工程', from: '2026-06-01', to: '2026-06-30', cursor: 'MTI', limit: 20 }),
  'employer.getInvitation': s => s.employer.getInvitation(12),
  'employer.checkLetter': s => s.employer.checkLetter([1, 2], terms),
  'employer.previewInvitation': s => s.employer.previewInvitation(1, terms),
  'employer.sendInvitations': s => s.employer.sendInvitations([1, 2], terms),
  'employer.modifyInvitation': s => s.employer.modifyInvitation(12, { ...terms, regular_salary: 12000 }),
  'employer.getTerminationNotice': s => s.employer.getTerminationNotice(12),
  'employer.requestTermination': s => s.employer.requestTermination(12, '单位业务调整'),
  'employer.listTerminations': s => s.employer.listTerminations({ limit: 20 }),
  'employer.getTermination': s => s.employer.getTermination(6),
  'employer.agreeTermination': s => s.employer.agreeTermination(6),
  'employer.disagreeTermination': s => s.employer.disagreeTermination(6),
  'employer.getArchiveProfile': s => s.employer.getArchiveProfile(),
  'employer.saveArchiveProfile': s => s.employer.saveArchiveProfile(archive),
  'employer.register': s => s.employer.register({ name: '长沙星辰软件科技有限公司', credit_code: '91430100MA4L1234XX', nature_code: '39', industry_code: 'I', region_code: '430100', address: '长沙市岳麓区麓谷大道658号', contact_name: '王经理', contact_phone: '0731-88888888', email: 'hr@xingchen.example.cn', username: 'xingchen_hr', password: 'Xingchen2026' }),
  'employer.getVerification': s => s.employer.getVerification(),
  'employer.submitLicence': s => s.employer.submitLicence('wxfile://tmp/licence.png'),
  'employer.listAccounts': s => s.employer.listAccounts(),
  'employer.addColleague': s => s.employer.addColleague({ username: 'hr3.xingchen', display_name: '赵六', password: 'Zhaoliu2026' }),
  'employer.resetPassword': s => s.employer.resetPassword(7, 'Newpass2026'),
  'employer.changePassword': s => s.employer.changePassword('Oldpass2026', 'Newpass2026'),
  'directory.findSchools': s => s.directory.findSchools('湖南'),
  'directory.getDictionary': s => s.directory.getDictionary('region', { parent: '430000' }),
  'destinations.getCategories': s => s.destinations.getCategories(),
  'destinations.listDestinations': s => s.destinations.listDestinations({ cursor: 'Mw', limit: 20 }),
  'destinations.getDestination': s => s.destinations.getDestination(3),
  'destinations.saveDestination': s => s.destinations.saveDestination(null, { category_code: '70', subcategory_code: null, fields: { reason: '备考' }, archive: { unit: '湖南省人才交流服务中心', address: '长沙市芙蓉区五一大道98号', postcode: '410011', contact: '李老师（0731-84441234）', hukou_not_moved: true } }, false),
  'destinations.submitDestination': s => s.destinations.submitDestination(3),
  'destinations.withdrawDestination': s => s.destinations.withdrawDestination(3),
  'destinations.uploadEvidence': s => s.destinations.uploadEvidence(3, 'wxfile://tmp/offer.png'),
  'destinations.deleteEvidence': s => s.destinations.deleteEvidence(3, 5),
  'destinations.cancelDestination': s => s.destinations.cancelDestination(3, '已与单位签订就业协议', 'wxfile://tmp/proof.png'),
  'subscriptions.getMomentTemplates': s => s.subscriptions.getMomentTemplates('student_accepted'),
  'paper.listPaperAgreements': s => s.paper.listPaperAgreements(),
  'paper.getPaperAgreement': s => s.paper.getPaperAgreement(3),
  'paper.createPaperAgreement': s => s.paper.createPaperAgreement({ employer: { name: '长沙麓山精密机械有限公司' } }),
  'paper.updatePaperAgreement': s => s.paper.updatePaperAgreement(3, { terms: { position: '机械设计工程师' } }),
  'paper.discardPaperAgreement': s => s.paper.discardPaperAgreement(3),
  'paper.previewPaperAgreement': s => s.paper.previewPaperAgreement(3),
  'paper.generatePaperAgreement': s => s.paper.generatePaperAgreement(3),
  'paper.submitScan': s => s.paper.submitScan(3, 'wxfile://tmp/scan.jpg'),
  'paper.requestPaperTermination': s => s.paper.requestPaperTermination(3, { type: 'mutual', reason: '双方协商一致' }, 'wxfile://tmp/proof.png'),
  'subscriptions.recordChoices': s => s.subscriptions.recordChoices('student_accepted', { SUB_REVIEW_PASSED: 'accept' }),
  'documents.getDocuments': s => s.documents.getDocuments(12),
  'documents.openAgreement': s => s.documents.openAgreement(12),
  'documents.previewAgreement': s => s.documents.previewAgreement(12),
  'documents.openTerminationLetter': s => s.documents.openTerminationLetter(12),
  // the reviewer pages' moment (utils/review-page.js) is one the API knows
  'subscriptions.getMomentTemplates:reviewer': s => s.subscriptions.getMomentTemplates('school_reviewer_reviewing'),
  'reviewer.getHome': s => s.reviewer.getHome(),
  'reviewer.downloadEvidence': s => s.reviewer.downloadEvidence('/api/v1/review/evidence/employer/3'),
  'reviewer.listSignings': s => s.reviewer.listSignings({ status: 'waiting', overdue: true, q: '欧彤', cursor: 'MTI', limit: 20 }),
  'reviewer.listTerminations': s => s.reviewer.listTerminations({ status: 'all', cursor: 'NA', limit: 20 }),
  'reviewer.getSigning': s => s.reviewer.getSigning(12),
  'reviewer.approveSigning': s => s.reviewer.approveSigning(12, '材料齐全'),
  'reviewer.rejectSigning': s => s.reviewer.rejectSigning(12, '协议内容与单位信息不符'),
  'reviewer.getTermination': s => s.reviewer.getTermination(4),
  'reviewer.approveTermination': s => s.reviewer.approveTermination(4),
  'reviewer.rejectTermination': s => s.reviewer.rejectTermination(4, '缺少双方解约证明'),
}

// Run each service function against a recording wx.request / wx.uploadFile / wx.downloadFile
// (called synchronously).
function record(name) {
  let call = null
  global.wx = {
    getStorageSync: () => 'tok-student',
    getAccountInfoSync: () => ({ miniProgram: { envVersion: 'develop' } }),
    request: opts => { call = opts },
    uploadFile: opts => { call = { ...opts, method: 'POST', upload: true } },
    downloadFile: opts => { call = { ...opts, method: 'GET' } },
  }
  CALLS[name](services).catch(() => {})
  const [base, query = ''] = call.url.split('?')
  const urlPath = new URL(base).pathname
  return { method: call.method, urlPath, query: [...new URLSearchParams(query).entries()], data: call.data, header: call.header, upload: call.upload && { name: call.name, formData: call.formData } }
}

// A query string carries text: a value is checked as the server will parse it.
function asParsed(value, schema = {}) {
  const types = [].concat(schema.type || (schema.anyOf || []).map(s => s.type)).filter(Boolean)
  if ((types.includes('integer') || types.includes('number')) && /^-?\d+(\.\d+)?$/.test(value)) return Number(value)
  if (types.includes('boolean') && (value === 'true' || value === 'false')) return value === 'true'
  return value
}

describe('services ↔ OpenAPI paths', () => {
  test('every exported service function has a contract entry', () => {
    const exported = Object.entries(services).flatMap(([mod, fns]) => Object.keys(fns).map(fn => `${mod}.${fn}`))
    // "fn:case" entries call the same function another way
    expect(exported.sort()).toEqual([...new Set(Object.keys(CALLS).map(k => k.split(':')[0]))].sort())
  })

  Object.keys(CALLS).forEach(name => {
    const call = record(name)
    const template = api.templateFor(call.urlPath)
    test(`${name}: ${call.method} ${call.urlPath}`, () => {
      expect(call.urlPath.startsWith(new URL(API).pathname)).toBe(true)
      expect(template).toBeDefined()
      const op = api.operation(call.method, template)
      expect(op).not.toBeNull()
      const declared = Object.fromEntries((op.parameters || []).filter(p => p.in === 'query').map(p => [p.name, p.schema || {}]))
      call.query.forEach(([name, value]) => {
        expect(Object.keys(declared)).toContain(name)
        // the value itself: an enum member, a number in range, a pattern match…
        expect([name, api.validate(declared[name], asParsed(value, api.resolve(declared[name])), { strict: false })]).toEqual([name, []])
      })
      if (call.upload) {
        const form = op.requestBody && op.requestBody.content['multipart/form-data']
        expect(form).toBeTruthy()
        const fields = api.resolve(form.schema).properties || {}
        expect(Object.keys(fields)).toContain(call.upload.name)
        Object.keys(call.upload.formData || {}).forEach(f => expect(Object.keys(fields)).toContain(f))
        return
      }
      const bodySchema = api.requestSchema(op)
      if (bodySchema) expect(api.validate(bodySchema, call.data)).toEqual([])
      else expect(call.data === undefined || Object.keys(call.data).length === 0).toBe(true)
      if (call.method === 'POST' || call.method === 'PUT') expect(call.header['Idempotency-Key']).toMatch(/^.{8,100}$/)
    })
  })
})

describe('fixtures ↔ OpenAPI response schemas', () => {
  Object.entries(RESPONSES).forEach(([name, [operation, status]]) => {
    const [method, template] = operation.split(' ')
    const op = api.operation(method, template)
    test(`${name}.json is a ${status} of ${operation}`, () => {
      expect(op).not.toBeNull()
      const schema = api.responseSchema(op, status)
      expect(schema).toBeTruthy()
      expect(api.validate(schema, fixture(name))).toEqual([])
    })
  })

  // `terms` is an open object in the response; what the backend stores there is InvitationTerms.
  test.each(['invitation_invited', 'invitation_revision_pending', 'employer_invitation'])('%s terms are InvitationTerms', name => {
    expect(api.validate({ $ref: '#/components/schemas/InvitationTerms' }, fixture(name).terms, { strict: false })).toEqual([])
  })
})

describe('pages', () => {
  const appJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8'))
  const pages = appJson.pages.concat(...appJson.subPackages.map(p => p.pages.map(page => `${p.root}/${page}`)))

  test.each(pages)('%s has its four files and its components', page => {
    ;['js', 'json', 'wxml', 'wxss'].forEach(ext => expect(fs.existsSync(path.join(ROOT, `${page}.${ext}`))).toBe(true))
    const using = JSON.parse(fs.readFileSync(path.join(ROOT, `${page}.json`), 'utf8')).usingComponents || {}
    // "/components/…" from the root, "tdesign-miniprogram/…" from miniprogram_npm (构建 npm)
    const file = c => (c.startsWith('/') ? path.join(ROOT, c) : path.join(ROOT, 'miniprogram_npm', c))
    Object.values(using).forEach(c => expect([c, fs.existsSync(`${file(c)}.js`)]).toEqual([c, true]))
  })

  // The backend names the pages its messages open (app/domain/events.py); each must exist here.
  const events = path.join(ROOT, '..', 'app', 'domain', 'events.py')
  const pushed = fs.existsSync(events) ? [...fs.readFileSync(events, 'utf8').matchAll(/"(pages\/[\w/]+)(?:\?[^"]*)?"/g)].map(m => m[1]) : []
  const inbox = fixture('notifications').items.filter(n => n.page).map(n => n.page.split('?')[0])
  test.each([...new Set(pushed.concat(inbox))])('pushed page %s exists in app.json', page => {
    expect(pages).toContain(page)
  })
})
