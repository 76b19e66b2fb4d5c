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
}

// Endpoints API.md names that the backend is still building: until the document has them their
// checks are skipped (and reported as such); once it does, they must match.
const AWAITED = ['/api/v1/auth/']
const awaited = p => AWAITED.some(prefix => p.startsWith(prefix))

const terms = fixture('invitation_invited').terms
const CALLS = {
  'auth.wxaLogin': s => s.auth.wxaLogin('wx-code'),
  'auth.bindStudent': s => s.auth.bindStudent({ school_code: '10532', student_no: '2022010001', name: '欧彤欣', id_number: '430102200409201401' }),
  'auth.confirmStudentBinding': s => s.auth.confirmStudentBinding({ sms_code: '123456', email: 'otx@example.com', address: '湖南省长沙市岳麓区麓山南路2号' }),
  'auth.bindEmployer': s => s.auth.bindEmployer({ username: 'hr1.xingchen', password: 'secret' }),
  'auth.logout': s => s.auth.logout(),
  'student.getHome': s => s.student.getHome(),
  'student.listInvitations': s => s.student.listInvitations({ status: 'open', cursor: 'MTE', limit: 20 }),
  'student.getInvitation': s => s.student.getInvitation(12),
  'student.acceptInvitation': s => s.student.acceptInvitation(12, 1),
  'student.rejectInvitation': s => s.student.rejectInvitation(12, '已接受其他单位的录用'),
  'student.acceptRevision': s => s.student.acceptRevision(12, 2),
  'student.declineRevision': s => s.student.declineRevision(12, 2),
  'student.getTermination': s => s.student.getTermination(4),
  'student.agreeTermination': s => s.student.agreeTermination(4),
  'student.disagreeTermination': s => s.student.disagreeTermination(4, '希望按原协议履行'),
  'notifications.listNotifications': s => s.notifications.listNotifications({ cursor: 'MzA', limit: 20, unreadOnly: true }),
  'notifications.markRead': s => s.notifications.markRead([31]),
  'employer.listInvitations': s => s.employer.listInvitations({ status: 'invited', cohort: 2026, cursor: 'MTI', limit: 20 }),
  'employer.getHome': s => s.employer.getHome({ cohort: 2026 }),
  'employer.getTermination': s => s.employer.getTermination(6),
  'employer.agreeTermination': s => s.employer.agreeTermination(6),
  'employer.disagreeTermination': s => s.employer.disagreeTermination(6),
  'employer.getInvitation': s => s.employer.getInvitation(12),
  'employer.sendInvitations': s => s.employer.sendInvitations([1, 2], terms),
  'employer.modifyInvitation': s => s.employer.modifyInvitation(12, { ...terms, regular_salary: 12000 }),
  'employer.previewInvitation': s => s.employer.previewInvitation(1, terms),
}

// Run each service function against a recording wx.request (it is called synchronously).
function record(name) {
  let call = null
  global.wx = {
    getStorageSync: () => 'tok-student',
    getAccountInfoSync: () => ({ miniProgram: { envVersion: 'develop' } }),
    request: opts => { call = opts },
  }
  CALLS[name](services).catch(() => {})
  const [base, query = ''] = call.url.split('?')
  const urlPath = new URL(base).pathname
  return { method: call.method, urlPath, query: [...new URLSearchParams(query).keys()], data: call.data, header: call.header }
}

describe('services ↔ OpenAPI paths', () => {
  test('every exported service function has a contract entry', () => {
    const exported = Object.entries(services).flatMap(([mod, fns]) => Object.keys(fns).map(fn => `${mod}.${fn}`))
    expect(exported.sort()).toEqual(Object.keys(CALLS).sort())
  })

  Object.keys(CALLS).forEach(name => {
    const call = record(name)
    const template = api.templateFor(call.urlPath)
    const pending = !template && awaited(call.urlPath)
    ;(pending ? test.skip : test)(`${name}: ${call.method} ${call.urlPath}${pending ? ' (awaiting backend)' : ''}`, () => {
      expect(call.urlPath.startsWith(new URL(API).pathname)).toBe(true)
      expect(template).toBeDefined()
      const op = api.operation(call.method, template)
      expect(op).not.toBeNull()
      const declared = (op.parameters || []).filter(p => p.in === 'query').map(p => p.name)
      call.query.forEach(q => expect(declared).toContain(q))
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
    const pending = !op && awaited(template)
    ;(pending ? test.skip : test)(`${name}.json is a ${status} of ${operation}${pending ? ' (awaiting backend)' : ''}`, () => {
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
    Object.values(using).forEach(c => expect(fs.existsSync(path.join(ROOT, `${c}.js`))).toBe(true))
  })

  // The backend names the pages its messages open (app/domain/events.py); each must exist here.
  const events = path.join(ROOT, '..', 'app', 'domain', 'events.py')
  const pushed = fs.existsSync(events) ? [...fs.readFileSync(events, 'utf8').matchAll(/"(pages\/[\w/]+)(?:\?[^"]*)?"/g)].map(m => m[1]) : []
  const inbox = fixture('notifications').items.filter(n => n.page).map(n => n.page.split('?')[0])
  test.each([...new Set(pushed.concat(inbox))])('pushed page %s exists in app.json', page => {
    expect(pages).toContain(page)
  })
})
