// The letter on the phone and the double confirmation before signing (seed manual 003, SPEC §4).
const { installWx, flush } = require('./helpers/wx')
const { mount, text, tap, input, emit, answerDialog, dialogButton, isOpen } = require('./helpers/page')
const { fixture } = require('./fixtures')

const DETAIL = 'GET /student/invitations/12'
const ACCEPT = 'POST /student/invitations/12/accept'

async function open(routes, detail = fixture('invitation_invited')) {
  const env = installWx({ routes: { [DETAIL]: { body: detail }, ...routes } })
  const page = mount('pages/student/invitation/detail')
  page.instance.onLoad({ id: '12' })
  await flush()
  return { ...env, page }
}

const posts = calls => calls.filter(c => c.method === 'POST')
const toastText = page => text(page, '#t-toast')

async function openConfirmation(page) {
  tap(page, '#accept-btn')
  await flush()
}

async function tick(page, checked = true) {
  emit(page, '#ack', 'change', { checked })
  await flush()
}

test('shows the progress, the letter as the API wrote it, the terms, archive/hukou, 签约须知 and 流程追踪', async () => {
  const { page, calls } = await open()
  expect(calls.map(c => `${c.method} ${c.path}`).sort()).toEqual(['GET /student/invitations/12', 'GET /subscriptions/templates'])
  expect(text(page, '#progress')).toMatch(/单位发起.*学生处理.*学院审核.*学校审核.*已签约/)
  expect(page.data.view.progress).toMatchObject({ current: 1, status: 'process' })
  expect(text(page, '#letter')).toContain('我单位拟录用（聘用）你为 软件工程师 岗位员工，请于2026/06/07日24时之前反馈')
  expect(text(page, '#state')).toBe('单位发起邀约')
  expect(page.querySelector('#signed-elsewhere')).toBeUndefined()
  const terms = text(page, '#terms')
  ;['工作职位类别工程技术人员', '实际工作地点长沙市 长沙市岳麓区麓谷大道658号', '试用期60 天', '试用起薪8000 元/月', '转正起薪10000 元/月', '违约金3000 元', '报到期限2026/07/15', '签约联系人王经理']
    .forEach(t => expect(terms).toContain(t))
  expect(text(page, '#supplement')).toContain('入职后缴纳五险一金，提供人才公寓。')
  expect(text(page, '#archive')).toMatch(/档案接收\s*签约单位接收/)
  expect(text(page, '#archive')).toMatch(/户口接收\s*不接收/)
  expect(text(page, '#notice')).toContain('签约须知：一、符合下列情况之一')
  expect(text(page, '#flow')).toMatch(/单位发起邀约 · 周晓燕/)
  expect(text(page, '#flow')).toContain('2026/06/02 09:30')
  expect(text(page, '#accept-btn')).toBe('同意签约')
  expect(text(page, '#reject-btn')).toBe('拒绝')
})

test('同意签约 opens the confirmation with the API\'s text; 现在签约 stays disabled until the box is ticked', async () => {
  const { page, calls } = await open()
  expect(isOpen(page, '#accept-dialog')).toBe(false)
  await openConfirmation(page)
  expect(isOpen(page, '#accept-dialog')).toBe(true)
  expect(text(page, '#confirmation-text')).toBe(fixture('invitation_invited').confirmation_text)
  expect(text(page, '#ack')).toBe('我同意并遵守以上规定，严格按照办事流程进行网上签约操作')
  expect(dialogButton(page, '#accept-dialog').data.disabled).toBe(true)
  expect(answerDialog(page, true, '#accept-dialog')).toBe(false)
  await page.instance.confirmAccept() // even a tap that got through does nothing
  expect(posts(calls)).toHaveLength(0)

  await tick(page)
  expect(dialogButton(page, '#accept-dialog').data.disabled).toBe(false)
  await tick(page, false)
  expect(dialogButton(page, '#accept-dialog').data.disabled).toBe(true)
})

test('confirming POSTs accept with {revision, confirm: true} and an Idempotency-Key, then shows the new state', async () => {
  const { page, calls } = await open({ [ACCEPT]: { body: fixture('invitation_accepted') } })
  await openConfirmation(page)
  await tick(page)
  answerDialog(page, true, '#accept-dialog')
  await flush()
  const [post] = posts(calls)
  expect(post.path).toBe('/student/invitations/12/accept')
  expect(post.data).toEqual({ revision: 1, confirm: true })
  expect(post.header['Idempotency-Key']).toMatch(/^.{8,100}$/)
  expect(isOpen(page, '#accept-dialog')).toBe(false)
  expect(text(page, '#state')).toBe('学生已应约，等待学院审核')
  expect(page.data.view.progress).toMatchObject({ current: 2, status: 'process' })
  expect(page.querySelector('#accept-btn')).toBeUndefined()
  expect(text(page, '#flow')).toMatch(/学生同意签约，提交审核 · 欧彤欣/)
  expect(toastText(page)).toBe('已同意签约，等待学校审核')
})

test('a double tap on 现在签约 sends one request', async () => {
  const { page, calls } = await open({ [ACCEPT]: { body: fixture('invitation_accepted') } })
  await openConfirmation(page)
  await tick(page)
  page.instance.confirmAccept()
  page.instance.confirmAccept()
  await flush()
  expect(posts(calls).filter(c => c.path.endsWith('/accept'))).toHaveLength(1)
})

test('signing asks for the review-outcome messages in the same tap and records the grants', async () => {
  const templates = { moment: 'student_accepted', template_ids: ['SUB_REVIEW_PASSED', 'SUB_REVIEW_REJECTED', 'SUB_AGREEMENT_EFFECTIVE'], events: ['review_passed', 'review_rejected', 'agreement_effective'] }
  const { page, calls, wx } = await open({
    'GET /subscriptions/templates': { body: templates },
    'POST /subscriptions': { body: { granted: [] } },
    [ACCEPT]: { body: fixture('invitation_accepted') },
  })
  await openConfirmation(page)
  await tick(page)
  wx.requestSubscribeMessage.mockImplementationOnce(o => o.success({ SUB_REVIEW_PASSED: 'accept', SUB_REVIEW_REJECTED: 'reject', SUB_AGREEMENT_EFFECTIVE: 'accept' }))
  answerDialog(page, true, '#accept-dialog')
  await flush()
  expect(wx.requestSubscribeMessage).toHaveBeenCalledWith(expect.objectContaining({ tmplIds: templates.template_ids }))
  expect(calls.find(c => c.path === '/subscriptions').data).toEqual({ moment: 'student_accepted', results: { SUB_REVIEW_PASSED: 'accept', SUB_REVIEW_REJECTED: 'reject', SUB_AGREEMENT_EFFECTIVE: 'accept' } })
  expect(calls.find(c => c.path.endsWith('/accept'))).toBeTruthy()
})

test('我再想想 closes the confirmation without signing', async () => {
  const { page, calls } = await open()
  await openConfirmation(page)
  answerDialog(page, false, '#accept-dialog')
  await flush()
  expect(isOpen(page, '#accept-dialog')).toBe(false)
  expect(posts(calls)).toHaveLength(0)
})

test('a 409 ALREADY_SIGNED shows its Chinese message on the page', async () => {
  const { page } = await open({ [ACCEPT]: { status: 409, body: fixture('error_already_signed') } })
  await openConfirmation(page)
  await tick(page)
  answerDialog(page, true, '#accept-dialog')
  await flush()
  expect(text(page, '#action-error')).toBe('你已有有效的毕业去向，不能再与其他单位签约')
  expect(toastText(page)).toBe('你已有有效的毕业去向，不能再与其他单位签约')
  expect(isOpen(page, '#accept-dialog')).toBe(false)
})

test('a 409 STALE_REVISION reloads the letter so the student reads the new terms', async () => {
  const changed = fixture('invitation_invited')
  Object.assign(changed, { revision: 2, position: '高级软件工程师' })
  changed.terms.position = '高级软件工程师'
  const { page } = await open({
    [DETAIL]: [{ body: fixture('invitation_invited') }, { body: changed }],
    [ACCEPT]: { status: 409, body: fixture('error_stale_revision') },
  })
  await openConfirmation(page)
  await tick(page)
  answerDialog(page, true, '#accept-dialog')
  await flush()
  expect(text(page, '#action-error')).toBe('单位已修改邀请函，请查看最新内容后再应约')
  expect(text(page, '#terms')).toMatch(/拟聘用职位\s*高级软件工程师/)
  expect(page.data.detail.revision).toBe(2)
})

test('after a network failure the dialog stays, and the retry reuses the same Idempotency-Key', async () => {
  const { page, calls } = await open({ [ACCEPT]: [{ networkError: true }, { body: fixture('invitation_accepted') }] })
  await openConfirmation(page)
  await tick(page)
  answerDialog(page, true, '#accept-dialog')
  await flush()
  expect(text(page, '#dialog-error')).toBe('网络连接失败，请检查网络后重试')
  expect(isOpen(page, '#accept-dialog')).toBe(true)
  answerDialog(page, true, '#accept-dialog')
  await flush()
  const sent = posts(calls)
  expect(sent).toHaveLength(2)
  expect(sent[1].header['Idempotency-Key']).toBe(sent[0].header['Idempotency-Key'])
  expect(text(page, '#state')).toBe('学生已应约，等待学院审核')
})

test('拒绝 sends the typed reason after a confirmation', async () => {
  const { page, calls } = await open({ 'POST /student/invitations/12/reject': { body: fixture('invitation_rejected') } })
  tap(page, '#reject-btn')
  await flush()
  input(page, '#reason', '已接受其他单位的录用')
  await flush()
  answerDialog(page, true, '#reject-dialog')
  await flush()
  expect(text(page, '#t-dialog')).toContain('确认拒绝')
  answerDialog(page, true)
  await flush()
  const [post] = posts(calls)
  expect(post.path).toBe('/student/invitations/12/reject')
  expect(post.data).toEqual({ reason: '已接受其他单位的录用' })
  expect(post.header['Idempotency-Key']).toBeTruthy()
  expect(text(page, '#state')).toBe('签约失败（学生拒绝）')
  expect(text(page, '#last-remark')).toBe('备注：已接受其他单位的录用')
  expect(page.data.view.progress).toMatchObject({ current: 1, status: 'error' })
})

test('the reason is optional, capped at 200 characters, and cancelling the confirmation sends nothing', async () => {
  const { page, calls } = await open({ 'POST /student/invitations/12/reject': { body: fixture('invitation_rejected') } })
  tap(page, '#reject-btn')
  await flush()
  input(page, '#reason', '很'.repeat(250))
  await flush()
  expect(page.data.reason).toHaveLength(200)
  answerDialog(page, true, '#reject-dialog')
  await flush()
  answerDialog(page, false)
  await flush()
  expect(posts(calls)).toHaveLength(0)
  expect(isOpen(page, '#reject-dialog')).toBe(true)
  input(page, '#reason', '')
  await flush()
  answerDialog(page, true, '#reject-dialog')
  await flush()
  answerDialog(page, true)
  await flush()
  expect(posts(calls)[0].data).toEqual({})
})

test('a pending modification shows the modified terms with 同意修改 / 不同意修改 instead of signing buttons', async () => {
  const { page, calls } = await open({ 'POST /student/invitations/12/revision/accept': { body: fixture('invitation_revision_accepted') } }, fixture('invitation_revision_pending'))
  expect(text(page, '#revision')).toContain('单位已修改邀约（第2版），请确认')
  expect(text(page, '#terms')).toContain('修改后的邀约条款')
  expect(text(page, '#terms')).toMatch(/转正起薪\s*12000 元\/月/)
  expect(page.querySelector('#accept-btn')).toBeUndefined()
  tap(page, '#accept-revision-btn')
  await flush()
  answerDialog(page, true)
  await flush()
  const [post] = posts(calls)
  expect(post.path).toBe('/student/invitations/12/revision/accept')
  expect(post.data).toEqual({ revision: 2 })
  expect(page.querySelector('#revision')).toBeUndefined()
})

test('不同意修改 POSTs the decline, with its own Idempotency-Key (not the one of 同意修改)', async () => {
  const kept = fixture('invitation_accepted')
  const conflict = { error: { code: 'REQUEST_IN_PROGRESS', message: '相同的请求正在处理中，请稍候', fields: {} } }
  const { page, calls } = await open({
    'POST /student/invitations/12/revision/accept': { status: 409, body: conflict },
    'POST /student/invitations/12/revision/decline': { body: kept },
  }, fixture('invitation_revision_pending'))
  tap(page, '#accept-revision-btn') // its answer is unknown: its key is kept for a retry
  await flush()
  answerDialog(page, true)
  await flush()
  tap(page, '#decline-revision-btn')
  await flush()
  answerDialog(page, true)
  await flush()
  const [accept, decline] = posts(calls)
  expect(decline.path).toBe('/student/invitations/12/revision/decline')
  expect(decline.data).toEqual({ revision: fixture('invitation_revision_pending').revision })
  expect(decline.header['Idempotency-Key']).toBeTruthy()
  expect(decline.header['Idempotency-Key']).not.toBe(accept.header['Idempotency-Key'])
  expect(text(page, '#terms')).toMatch(/转正起薪\s*10000 元\/月/)
})

test('the buttons are exactly the API\'s allowed_actions: a letter read-only once signed elsewhere shows none', async () => {
  const { page } = await open({}, { ...fixture('invitation_invited'), allowed_actions: [], signed_elsewhere: true })
  expect(text(page, '#signed-elsewhere')).toContain('你已有有效的毕业去向，其他邀约只能查看，不能应约。')
  expect(page.querySelector('#accept-btn')).toBeUndefined()
  expect(page.querySelector('#reject-btn')).toBeUndefined()
})

test('an effective agreement offers 申请解约', async () => {
  const effective = { ...fixture('invitation_accepted'), state: 'effective', state_label: '已签约', agreement_no: '1202610532000017', allowed_actions: ['request_termination'] }
  const { page, wx } = await open({}, effective)
  tap(page, '#terminate-btn')
  await flush()
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/student/termination/request?invitation_id=12' })
})

test('a letter that cannot be loaded shows the API\'s message with a retry', async () => {
  const notFound = { error: { code: 'INVITATION_NOT_FOUND', message: '邀约不存在或无权查看', fields: {} } }
  const { page, calls } = await open({ [DETAIL]: [{ status: 404, body: notFound }, { body: fixture('invitation_invited') }] })
  expect(text(page, '#load-error')).toMatch(/^邀约不存在或无权查看\s*重试$/)
  page.querySelector('#load-error').querySelector('.error-banner__retry').dispatchEvent('tap')
  await flush()
  expect(calls.filter(c => c.path === '/student/invitations/12')).toHaveLength(2)
  expect(text(page, '#letter')).toContain('软件工程师')
})

test('only the actions the API allows get a button (reject without accept)', async () => {
  const { page } = await open({}, { ...fixture('invitation_invited'), allowed_actions: ['reject'] })
  expect(page.querySelector('#reject-btn')).toBeDefined()
  expect(page.querySelector('#accept-btn')).toBeUndefined()
  expect(page.querySelector('#terminate-btn')).toBeUndefined()
})
