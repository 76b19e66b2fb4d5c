// The letter on the phone and the double confirmation before signing (seed manual 003, SPEC §4).
const { installWx, flush } = require('./helpers/wx')
const { mount, text, tap, isDisabled, input } = require('./helpers/page')
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

async function openConfirmation(page) {
  tap(page, '#accept-btn')
  await flush()
}

async function tick(page) {
  page.querySelector('#ack').dispatchEvent('change', { detail: { value: ['ack'] } })
  await flush()
}

test('shows the letter as the API wrote it, the terms, archive/hukou, 签约须知 and 流程追踪', async () => {
  const { page, calls } = await open()
  expect(calls[0]).toMatchObject({ method: 'GET', path: '/student/invitations/12' })
  expect(text(page, '#letter')).toContain('我单位拟录用（聘用）你为 软件工程师 岗位员工，请于2026/06/07日24时之前反馈')
  expect(text(page, '#state')).toBe('单位发起邀约')
  const terms = text(page, '#terms')
  ;['工作职位类别工程技术人员', '实际工作地点长沙市 长沙市岳麓区麓谷大道658号', '试用期60 天', '试用起薪8000 元/月', '转正起薪10000 元/月', '违约金3000 元', '报到期限2026/07/15', '签约联系人王经理'].forEach(t => expect(terms).toContain(t))
  expect(text(page, '#supplement')).toBe('补充条款：入职后缴纳五险一金，提供人才公寓。')
  expect(text(page, '#archive')).toContain('档案接收签约单位接收')
  expect(text(page, '#archive')).toContain('户口接收不接收')
  expect(text(page, '#notice')).toContain('签约须知：一、符合下列情况之一')
  expect(text(page, '#flow')).toMatch(/单位发起邀约\s*· 周晓燕/)
  expect(text(page, '#flow')).toContain('2026/06/02 09:30')
  expect(text(page, '#accept-btn')).toBe('同意签约')
  expect(text(page, '#reject-btn')).toBe('拒绝')
})

test('同意签约 opens the confirmation with the API\'s text; 现在签约 stays disabled until the box is ticked', async () => {
  const { page, calls } = await open()
  expect(page.querySelector('#accept-dialog')).toBeUndefined()
  await openConfirmation(page)
  expect(text(page, '#confirmation-text')).toBe(fixture('invitation_invited').confirmation_text)
  expect(text(page, '#ack')).toBe('我同意并遵守以上规定，严格按照办事流程进行网上签约操作')
  expect(isDisabled(page, '#accept-confirm')).toBe(true)
  expect(tap(page, '#accept-confirm')).toBe(false)
  await page.instance.confirmAccept() // even a tap that got through does nothing
  expect(calls.filter(c => c.method === 'POST')).toHaveLength(0)

  await tick(page)
  expect(isDisabled(page, '#accept-confirm')).toBe(false)
  page.querySelector('#ack').dispatchEvent('change', { detail: { value: [] } })
  await flush()
  expect(isDisabled(page, '#accept-confirm')).toBe(true)
})

test('confirming POSTs accept with {revision, confirm: true} and an Idempotency-Key, then shows the new state', async () => {
  const { page, calls, wx } = await open({ [ACCEPT]: { body: fixture('invitation_accepted') } })
  await openConfirmation(page)
  await tick(page)
  tap(page, '#accept-confirm')
  await flush()
  const post = calls.find(c => c.method === 'POST')
  expect(post.path).toBe('/student/invitations/12/accept')
  expect(post.data).toEqual({ revision: 1, confirm: true })
  expect(post.header['Idempotency-Key']).toMatch(/^.{8,100}$/)
  expect(page.querySelector('#accept-dialog')).toBeUndefined()
  expect(text(page, '#state')).toBe('学生已应约，等待学院审核')
  expect(page.querySelector('#accept-btn')).toBeUndefined()
  expect(text(page, '#flow')).toMatch(/学生同意签约，提交审核\s*· 欧彤欣/)
  expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '已同意签约，等待学校审核' }))
})

test('我再想想 closes the confirmation without signing', async () => {
  const { page, calls } = await open()
  await openConfirmation(page)
  tap(page, '#accept-cancel')
  await flush()
  expect(page.querySelector('#accept-dialog')).toBeUndefined()
  expect(calls.filter(c => c.method === 'POST')).toHaveLength(0)
})

test('a 409 ALREADY_SIGNED shows its Chinese message on the page', async () => {
  const { page, wx } = await open({ [ACCEPT]: { status: 409, body: fixture('error_already_signed') } })
  await openConfirmation(page)
  await tick(page)
  tap(page, '#accept-confirm')
  await flush()
  expect(text(page, '#action-error')).toBe('你已有有效的毕业去向，不能再与其他单位签约')
  expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '你已有有效的毕业去向，不能再与其他单位签约' }))
  expect(page.querySelector('#accept-dialog')).toBeUndefined()
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
  tap(page, '#accept-confirm')
  await flush()
  expect(text(page, '#action-error')).toBe('单位已修改邀请函，请查看最新内容后再应约')
  expect(text(page, '#terms')).toContain('拟聘用职位高级软件工程师')
  expect(page.data.detail.revision).toBe(2)
})

test('after a network failure the dialog stays, and the retry reuses the same Idempotency-Key', async () => {
  const { page, calls } = await open({ [ACCEPT]: [{ networkError: true }, { body: fixture('invitation_accepted') }] })
  await openConfirmation(page)
  await tick(page)
  tap(page, '#accept-confirm')
  await flush()
  expect(text(page, '#dialog-error')).toBe('网络连接失败，请检查网络后重试')
  expect(page.querySelector('#accept-dialog')).toBeDefined()
  tap(page, '#accept-confirm')
  await flush()
  const posts = calls.filter(c => c.method === 'POST')
  expect(posts).toHaveLength(2)
  expect(posts[1].header['Idempotency-Key']).toBe(posts[0].header['Idempotency-Key'])
  expect(text(page, '#state')).toBe('学生已应约，等待学院审核')
})

test('拒绝 sends the typed reason after a confirmation', async () => {
  const { page, calls, wx } = await open({ 'POST /student/invitations/12/reject': { body: fixture('invitation_rejected') } })
  tap(page, '#reject-btn')
  await flush()
  input(page, '#reason', '已接受其他单位的录用')
  await flush()
  tap(page, '#reject-confirm')
  await flush()
  expect(wx.showModal).toHaveBeenCalledWith(expect.objectContaining({ title: '确认拒绝' }))
  const post = calls.find(c => c.method === 'POST')
  expect(post.path).toBe('/student/invitations/12/reject')
  expect(post.data).toEqual({ reason: '已接受其他单位的录用' })
  expect(post.header['Idempotency-Key']).toBeTruthy()
  expect(text(page, '#state')).toBe('签约失败（学生拒绝）')
  expect(text(page, '#last-remark')).toBe('备注：已接受其他单位的录用')
})

test('the reason is optional, capped at 200 characters, and cancelling the confirmation sends nothing', async () => {
  const { page, calls, wx } = await open({ 'POST /student/invitations/12/reject': { body: fixture('invitation_rejected') } })
  tap(page, '#reject-btn')
  await flush()
  input(page, '#reason', '很'.repeat(250))
  await flush()
  expect(page.data.reason).toHaveLength(200)
  wx.showModal.mockImplementationOnce(o => o.success({ confirm: false, cancel: true }))
  tap(page, '#reject-confirm')
  await flush()
  expect(calls.filter(c => c.method === 'POST')).toHaveLength(0)
  input(page, '#reason', '')
  tap(page, '#reject-confirm')
  await flush()
  expect(calls.find(c => c.method === 'POST').data).toEqual({})
})

test('a pending modification shows the modified terms with 同意修改 / 不同意修改 instead of signing buttons', async () => {
  const { page, calls } = await open({ 'POST /student/invitations/12/revision/accept': { body: fixture('invitation_revision_accepted') } }, fixture('invitation_revision_pending'))
  expect(text(page, '#revision')).toContain('单位已修改邀约（第2版），请确认')
  expect(text(page, '#terms')).toContain('修改后的邀约条款')
  expect(text(page, '#terms')).toContain('转正起薪12000 元/月')
  expect(page.querySelector('#accept-btn')).toBeUndefined()
  tap(page, '#accept-revision-btn')
  await flush()
  const post = calls.find(c => c.method === 'POST')
  expect(post.path).toBe('/student/invitations/12/revision/accept')
  expect(post.data).toEqual({ revision: 2 })
  expect(page.querySelector('#revision')).toBeUndefined()
})

test('不同意修改 POSTs the decline', async () => {
  const kept = fixture('invitation_accepted')
  const { page, calls } = await open({ 'POST /student/invitations/12/revision/decline': { body: kept } }, fixture('invitation_revision_pending'))
  tap(page, '#decline-revision-btn')
  await flush()
  const post = calls.find(c => c.method === 'POST')
  expect(post.path).toBe('/student/invitations/12/revision/decline')
  expect(post.data).toEqual({ revision: fixture('invitation_revision_pending').revision })
  expect(post.header['Idempotency-Key']).toBeTruthy()
  expect(text(page, '#terms')).toContain('转正起薪10000 元/月')
})

test('a letter that cannot be loaded shows the API\'s message with a retry', async () => {
  const notFound = { error: { code: 'INVITATION_NOT_FOUND', message: '邀约不存在或无权查看', fields: {} } }
  const { page, calls } = await open({ [DETAIL]: [{ status: 404, body: notFound }, { body: fixture('invitation_invited') }] })
  expect(text(page, '#load-error')).toMatch(/^邀约不存在或无权查看\s*重试$/)
  page.querySelector('#load-error').querySelector('.error-banner__retry').dispatchEvent('tap')
  await flush()
  expect(calls).toHaveLength(2)
  expect(text(page, '#letter')).toContain('软件工程师')
})
