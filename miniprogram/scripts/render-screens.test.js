// Renders a few key pages with the jest harness (WeChat's wcc, TDesign from miniprogram_npm, the
// pages' and TDesign's WXSS as miniprogram-simulate compiles them) into standalone HTML files, to
// be screenshot for the README: `npm run render -- <dir>` (then `python3 scripts/screenshot.py`).
// Not part of `npm test`.
const fs = require('fs')
const path = require('path')
const wxss = require('miniprogram-simulate/src/wxss')
const { installWx, flush } = require('../test/helpers/wx')
const { mount, tap, emit, input } = require('../test/helpers/page') // eslint-disable-line no-unused-vars
const jComponent = require('j-component')

// A native input shows its value (or placeholder) as the phone would; the test harness's drops it.
jComponent.register({ id: 'input', tagName: 'wx-input', template: '<span class="wx-input__text {{value ? \'\' : \'wx-input__placeholder\'}}">{{value || placeholder}}</span>', properties: { value: String, placeholder: String } })
jComponent.register({ id: 'textarea', tagName: 'wx-textarea', template: '<span class="wx-input__text {{value ? \'\' : \'wx-input__placeholder\'}}">{{value || placeholder}}</span>', properties: { value: String, placeholder: String } })
const { fixture } = require('../test/fixtures')

const OUT = process.env.RENDER_DIR || path.join(__dirname, '..', 'node_modules', '.cache', 'screens')
const BASE = `
  html, body { margin: 0; background: #f3f3f3; font-family: "Noto Sans CJK SC", "PingFang SC", sans-serif; font-size: 28px; color: #1a1a1a; }
  body { width: 750px; }
  wx-view, wx-scroll-view, wx-button, wx-input, wx-textarea, wx-label, wx-form, wx-swiper, wx-navigator { display: block; }
  wx-text { display: inline; } wx-image { display: inline-block; }
  wx-button { border: none; }
  .wx-input__placeholder { color: #bbb; }
  /* TDesign's icon font comes from a CDN (none here): icons are left out rather than shown as boxes */
  [class*="t-icon--t-icon"] { display: none; }
  .navbar { height: 88px; background: #0052d9; color: #fff; font-size: 34px; font-weight: 600; display: flex; align-items: center; justify-content: center; }
`

function save(name, title, page) {
  const styles = [...document.querySelectorAll('style')].map(s => s.innerHTML).join('\n')
  const appWxss = wxss.compile(fs.readFileSync(path.join(__dirname, '..', 'app.wxss'), 'utf8'), { prefix: 'main' })
    .replace(/(\d+)rpx/g, '$1px').replace(/\bpage\b/g, 'body')
  const html = `<!doctype html><html><head><meta charset="utf-8"><style>${BASE}</style><style>${appWxss}</style><style>${styles}</style></head>
<body><div class="navbar">${title}</div>${page.dom.innerHTML.replace(/&amp;nbsp;/g, '&nbsp;')}</body></html>`
  fs.mkdirSync(OUT, { recursive: true })
  fs.writeFileSync(path.join(OUT, `${name}.html`), html)
}

const EMPLOYER = { wq_token: 'tok-employer', wq_role: 'employer_user' }

test('student: the letter', async () => {
  installWx({ routes: { 'GET /student/invitations/12': { body: fixture('invitation_invited') }, 'GET /student/home': { body: fixture('student_home') } } })
  const page = mount('pages/student/invitation/detail')
  page.instance.onLoad({ id: '12' })
  await flush()
  save('1-letter', '邀请函', page)
})

test('student: 申请解约', async () => {
  installWx({ routes: { 'GET /student/agreements/9/termination-notice': { body: fixture('termination_notice') } } })
  const page = mount('pages/student/termination/request')
  await page.instance.onLoad({ invitation_id: '9' })
  await flush()
  input(page, '#reason', '已考取研究生，经与单位协商一致解除协议')
  emit(page, '#ack', 'change', { checked: true })
  await flush()
  save('2-termination', '申请解约', page)
})

test('employer: the letter form after 检查并预览', async () => {
  installWx({
    storage: EMPLOYER,
    routes: {
      'GET /dictionaries/job_category': { body: fixture('dict_job_category') },
      'GET /dictionaries/region': { body: fixture('dict_region_top') },
      'GET /employer/archive-profile': { body: fixture('employer_archive_profile') },
      'GET /employer/favorites': { body: fixture('employer_favorites') },
      'POST /employer/invitations/checks': { body: fixture('employer_checks') },
      'POST /employer/invitations/preview': { body: fixture('employer_preview') },
    },
  })
  const page = mount('pages/employer/invitation/form')
  await page.instance.onLoad({ students: '1,2' })
  await flush()
  emit(page, '#job-picker', 'confirm', { value: ['13'], label: ['工程技术人员'] })
  ;[['position', '软件工程师'], ['probation_days', '60'], ['probation_salary', '8000'], ['regular_salary', '10000'], ['liquidated_damages', '3000'],
    ['report_place', '长沙市岳麓区'], ['work_address', '长沙市岳麓区麓谷大道658号'], ['contact_name', '王经理'], ['contact_phone', '0731-88888888']]
    .forEach(([id, value]) => input(page, `#${id}`, value))
  emit(page, '#deadline-picker', 'confirm', { value: '2026-07-15' })
  emit(page, '#region-picker', 'change', { value: '430100', selectedOptions: [{ label: '湖南省' }, { label: '长沙市' }] })
  await flush()
  tap(page, '#preview-btn')
  await flush()
  save('3-form', '签约邀请函', page)
})

test('employer: the send list', async () => {
  installWx({ storage: EMPLOYER, routes: { 'GET /employer/favorites': { body: fixture('employer_favorites') } } })
  const page = mount('pages/employer/favorites/index')
  await page.instance.onLoad({})
  await flush()
  emit(page, page.querySelectorAll('.favorite__pick')[0], 'change', { checked: true })
  emit(page, page.querySelectorAll('.favorite__pick')[1], 'change', { checked: true })
  await flush()
  save('4-favorites', '签约发送列表', page)
})

test('employer: the workbench', async () => {
  installWx({ storage: EMPLOYER, routes: { 'GET /employer/home': { body: fixture('employer_home') }, 'GET /employer/invitations': { body: fixture('employer_invitations') } } })
  const page = mount('pages/employer/home/index')
  await page.instance.onShow()
  await flush()
  save('5-workbench', '单位网签', page)
})

test('everyone: confirm a desktop log-in', async () => {
  installWx({ routes: { 'POST /auth/qr/Q1w2E3r4T5y6U7i8O9p0Aa/scan': { body: fixture('qr_scanned') } } })
  const page = mount('pages/qr/index')
  await page.instance.onLoad({ ticket: 'Q1w2E3r4T5y6U7i8O9p0Aa' })
  await flush()
  save('6-qr', '确认电脑端登录', page)
})

// The employer's agreement page: a terminated agreement's PDF, preview and 解约函; one being rendered.
function agreementScreen(name, state, stateLabel, documents) {
  return async () => {
    const detail = { ...fixture('employer_invitation'), state, state_label: stateLabel, agreement_no: '1202610532000017', allowed_actions: [] }
    installWx({ storage: EMPLOYER, routes: { 'GET /employer/invitations/12': { body: detail }, 'GET /agreements/12/documents': { body: fixture(documents) } } })
    const page = mount('pages/employer/invitation/detail')
    await page.instance.onLoad({ id: '12' })
    await flush()
    save(name, '邀约详情', page)
    page.detach() // no polling after the screen is saved
  }
}

test('employer: a terminated agreement\'s 电子协议书 and 解约函', agreementScreen('7-documents', 'terminated', '已解约', 'documents_terminated'))
test('employer: 电子协议书 生成中', agreementScreen('8-rendering', 'effective', '已生效', 'documents_rendering'))

const REVIEWER = { wq_token: 'tok-reviewer', wq_role: 'college_reviewer' }

test('reviewer: home', async () => {
  installWx({ storage: REVIEWER, routes: { 'GET /review/home': { body: fixture('review_home') } } })
  const page = mount('pages/reviewer/home/index')
  await page.instance.onShow()
  await flush()
  save('7-reviewer-home', '网签审核', page)
})

test('reviewer: the 网上签约 queue', async () => {
  installWx({ storage: REVIEWER, routes: { 'GET /review/signings': { body: fixture('review_signings_page1') } } })
  const page = mount('pages/reviewer/queue/index')
  await page.instance.onLoad({ kind: 'signing' })
  await flush()
  save('8-reviewer-queue', '待审核', page)
})

test('reviewer: a signing to review', async () => {
  installWx({ storage: REVIEWER, routes: { 'GET /review/signings/12': { body: fixture('review_signing') } } })
  const page = mount('pages/reviewer/signing/index')
  await page.instance.onLoad({ id: '12' })
  await flush()
  save('9-reviewer-signing', '签约审核', page)
})
