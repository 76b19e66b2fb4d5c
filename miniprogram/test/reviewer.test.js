// 审核员 (phone): home counts, the two queues, and deciding on a signing or a termination.
const { installWx, flush } = require('./helpers/wx')
const { mount, text, tap, input, emit, answerDialog, isOpen } = require('./helpers/page')
const { fixture } = require('./fixtures')

const REVIEWER = { wq_token: 'tok-reviewer', wq_role: 'college_reviewer' }
const posts = calls => calls.filter(c => c.method === 'POST')

async function open(path, options, routes) {
  const env = installWx({ routes, storage: REVIEWER })
  const page = mount(path)
  if (path.includes('/home/')) page.instance.onShow()
  else page.instance.onLoad(options)
  await flush()
  return { ...env, page }
}

describe('home', () => {
  test('shows what waits for me, what is overdue, and opens the queues', async () => {
    const { page, wx, calls } = await open('pages/reviewer/home/index', {}, { 'GET /review/home': { body: fixture('review_home') } })
    expect(calls[0].header.Authorization).toBe('Bearer tok-reviewer')
    expect(text(page, '#reviewer-head')).toContain('湖南大学 · 信息科学与工程学院')
    expect(text(page, '#reviewer-head')).toContain('学院审核员 · 审核时限 3 个工作日')
    expect(text(page, '#signings')).toContain('7 项待审核')
    expect(text(page, '#signings-overdue')).toContain('2 项')
    expect(text(page, '#terminations')).toContain('1 项待审核')
    expect(page.querySelector('#terminations-overdue')).toBeUndefined()
    expect(text(page, '#overdue-notice')).toContain('有 2 项已超过审核时限')
    tap(page, '#signings-overdue')
    tap(page, '#terminations')
    await flush()
    expect(wx.navigateTo.mock.calls.map(c => c[0].url)).toEqual([
      '/pages/reviewer/queue/index?kind=signing&overdue=1', '/pages/reviewer/queue/index?kind=termination'])
  })

  test('nothing overdue: no warning', async () => {
    const home = { ...fixture('review_home'), signings_overdue: 0 }
    const { page } = await open('pages/reviewer/home/index', {}, { 'GET /review/home': { body: home } })
    expect(page.querySelector('#overdue-notice')).toBeUndefined()
    expect(page.querySelector('#signings-overdue')).toBeUndefined()
  })

  test('an API error is shown in Chinese with 重试', async () => {
    const { page } = await open('pages/reviewer/home/index', {}, { 'GET /review/home': { status: 403, body: { error: { code: 'ROLE_NOT_ALLOWED', message: '只有学院或学校审核员可以查看', fields: {} } } } })
    expect(text(page, '#error')).toMatch(/^只有学院或学校审核员可以查看\s*重试$/)
  })
})

describe('queue', () => {
  const signings = call => (call.query.cursor === 'MTM' ? { body: fixture('review_signings_page2') } : { body: fixture('review_signings_page1') })
  const cards = page => page.querySelectorAll('.queue-item').map(c => c.dom.textContent.replace(/\s+/g, ' '))

  test('网上签约 lists what waits, marks the overdue ones and loads more by cursor', async () => {
    const { page, calls } = await open('pages/reviewer/queue/index', {}, { 'GET /review/signings': signings })
    expect(calls[0]).toMatchObject({ path: '/review/signings', query: {} })
    expect(text(page, '#tabs')).toMatch(/^网上签约\s*解约/)
    expect(cards(page)).toHaveLength(2)
    expect(cards(page)[0]).toContain('欧彤欣（2022010001）')
    expect(cards(page)[0]).toContain('等待学院审核')
    expect(cards(page)[0]).toContain('已超时（已等待5个工作日）')
    expect(cards(page)[1]).not.toContain('已超时')
    tap(page, '#load-more')
    await flush()
    expect(calls[1].query).toEqual({ cursor: 'MTM' })
    expect(cards(page)).toHaveLength(3)
    expect(text(page, '#no-more')).toBe('没有更多了')
  })

  test('a load-more tap while loading sends one request', async () => {
    const { page, calls } = await open('pages/reviewer/queue/index', {}, { 'GET /review/signings': signings })
    page.instance.loadMore()
    page.instance.loadMore()
    await flush()
    expect(calls.filter(c => c.query.cursor === 'MTM')).toHaveLength(1)
  })

  test('opened from the home\'s overdue count: only overdue items; the switch and 解约 tab refetch', async () => {
    const { page, calls } = await open('pages/reviewer/queue/index', { kind: 'signing', overdue: '1' }, {
      'GET /review/signings': signings,
      'GET /review/terminations': { body: fixture('review_terminations') },
    })
    expect(calls[0].query).toEqual({ overdue: 'true' })
    emit(page, '#tabs', 'change', { value: 'termination' })
    await flush()
    expect(calls[1]).toMatchObject({ path: '/review/terminations', query: { overdue: 'true' } })
    expect(cards(page)[0]).toContain('用人单位发起 · 岗位调整，经双方协商一致解除协议')
    expect(cards(page)[0]).toContain('等待学院审核')
    emit(page, '#overdue-only', 'change', { value: false })
    await flush()
    expect(calls[2].query).toEqual({})
  })

  test('pull-down refresh reloads from the first page', async () => {
    const { page, calls, wx } = await open('pages/reviewer/queue/index', {}, { 'GET /review/signings': signings })
    await page.instance.onPullDownRefresh()
    expect(calls).toHaveLength(2)
    expect(calls[1].query).toEqual({})
    expect(wx.stopPullDownRefresh).toHaveBeenCalled()
  })

  test('an item opens its detail page', async () => {
    const { page, wx } = await open('pages/reviewer/queue/index', { kind: 'termination' }, { 'GET /review/terminations': { body: fixture('review_terminations') } })
    page.querySelectorAll('.queue-item')[0].dispatchEvent('tap')
    await flush()
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/reviewer/termination/index?id=4' })
  })

  test('back from a decided item the queue reloads (the item has left it); a plain show does not', async () => {
    const { page, calls } = await open('pages/reviewer/queue/index', { kind: 'termination' }, { 'GET /review/terminations': { body: fixture('review_terminations') } })
    await page.instance.onShow()
    expect(calls).toHaveLength(1)
    page.querySelectorAll('.queue-item')[0].dispatchEvent('tap')
    await flush()
    await page.instance.onShow()
    expect(calls).toHaveLength(2)
  })
})

describe('signing detail', () => {
  const routes = (extra = {}) => ({ 'GET /review/signings/12': { body: fixture('review_signing') }, ...extra })

  test('shows the student masked, the employer, the terms and the flow log', async () => {
    const { page } = await open('pages/reviewer/signing/index', { id: '12' }, routes())
    expect(text(page, '#state')).toBe('学生已应约，等待学院审核')
    expect(text(page, '#overdue')).toContain('已超过审核时限（3个工作日），已等待5个工作日')
    expect(text(page, '#student')).toContain('430102********1401')
    expect(text(page, '#student')).toContain('133****5660')
    expect(text(page, '#student')).not.toContain('430102200409201401')
    expect(text(page, '#employer')).toContain('长沙星辰软件科技有限公司')
    expect(text(page, '#employer')).toContain('91430100MA4L1234XX')
    expect(text(page, '#terms')).toContain('软件开发工程师')
    expect(text(page, '#terms')).toContain('10000 元/月')
    expect(text(page, '#flow')).toContain('学生应约 · 欧彤欣')
    expect(text(page, '#approve-btn')).toBe('审核通过')
    expect(text(page, '#reject-btn')).toBe('审核不通过')
  })

  test('审核通过 asks first, then posts once with an Idempotency-Key', async () => {
    const { page, calls } = await open('pages/reviewer/signing/index', { id: '12' }, routes({ 'POST /review/signings/12/approve': { body: fixture('review_signing_approved') } }))
    tap(page, '#approve-btn')
    await flush()
    expect(text(page, '#t-dialog')).toContain('签约审核通过')
    expect(posts(calls)).toHaveLength(0)
    answerDialog(page, true)
    answerDialog(page, true) // a double tap on the dialog's button
    await flush()
    const sent = posts(calls)
    expect(sent).toHaveLength(1)
    expect(sent[0]).toMatchObject({ path: '/review/signings/12/approve', data: {} })
    expect(sent[0].header['Idempotency-Key']).toMatch(/^.{8,100}$/)
    expect(text(page, '#state')).toBe('等待学校审核')
    expect(page.querySelector('#approve-btn')).toBeUndefined()
    expect(text(page, '#t-toast')).toBe('已审核通过')
  })

  test('the decision tap asks for the service-level reminders (subscribe) of the reviewer\'s role', async () => {
    const templates = { moment: 'college_reviewer_reviewing', template_ids: ['SUB_REVIEW_OVERDUE'], events: ['review_overdue'] }
    const { page, calls, wx } = await open('pages/reviewer/signing/index', { id: '12' }, routes({
      'GET /subscriptions/templates': { body: templates },
      'POST /subscriptions': { body: { granted: [{ template_id: 'SUB_REVIEW_OVERDUE', remaining: 1 }] } },
      'POST /review/signings/12/approve': { body: fixture('review_signing_approved') },
    }))
    expect(calls.find(c => c.path === '/subscriptions/templates').query).toEqual({ moment: 'college_reviewer_reviewing' })
    tap(page, '#approve-btn')
    await flush()
    expect(wx.requestSubscribeMessage).toHaveBeenCalledWith(expect.objectContaining({ tmplIds: ['SUB_REVIEW_OVERDUE'] }))
    answerDialog(page, true)
    await flush()
    expect(posts(calls).map(c => c.path)).toEqual(['/subscriptions', '/review/signings/12/approve'])
    expect(posts(calls)[0].data).toEqual({ moment: 'college_reviewer_reviewing', results: { SUB_REVIEW_OVERDUE: 'accept' } })
  })

  test('cancelling the confirmation sends nothing', async () => {
    const { page, calls } = await open('pages/reviewer/signing/index', { id: '12' }, routes())
    tap(page, '#approve-btn')
    await flush()
    answerDialog(page, false)
    await flush()
    expect(posts(calls)).toHaveLength(0)
  })

  test('two taps on 审核通过 while one decision is on its way send one request', async () => {
    let release
    const { page, calls } = await open('pages/reviewer/signing/index', { id: '12' }, routes({
      'POST /review/signings/12/approve': () => ({ body: fixture('review_signing_approved') }),
    }))
    const first = page.instance.decide('approve', key => new Promise(r => { release = r }).then(() => require('../services/reviewer').approveSigning(12, undefined, { idempotencyKey: key })), '已审核通过')
    page.instance.decide('approve', key => require('../services/reviewer').approveSigning(12, undefined, { idempotencyKey: key }), '已审核通过')
    expect(page.instance.data.submitting).toBe(true)
    release()
    await first
    await flush()
    expect(posts(calls)).toHaveLength(1)
  })

  test('审核不通过 without a reason is refused locally; with one it posts the reason', async () => {
    const { page, calls } = await open('pages/reviewer/signing/index', { id: '12' }, routes({ 'POST /review/signings/12/reject': { body: fixture('review_signing_rejected') } }))
    tap(page, '#reject-btn')
    await flush()
    expect(isOpen(page, '#reject-dialog')).toBe(true)
    expect(text(page, '#rejection-warning')).toContain('审核不通过后本次签约失败')
    input(page, '#reject-reason', '   ')
    await flush()
    answerDialog(page, true, '#reject-dialog')
    await flush()
    expect(posts(calls)).toHaveLength(0)
    expect(text(page, '#reason-error')).toBe('请填写审核不通过的理由')
    input(page, '#reject-reason', '协议内容与单位信息不符')
    await flush()
    answerDialog(page, true, '#reject-dialog')
    await flush()
    const sent = posts(calls)
    expect(sent).toHaveLength(1)
    expect(sent[0]).toMatchObject({ path: '/review/signings/12/reject', data: { reason: '协议内容与单位信息不符' } })
    expect(sent[0].header['Idempotency-Key']).toBeTruthy()
    expect(text(page, '#state')).toBe('签约失败（审核不通过）')
    expect(isOpen(page, '#reject-dialog')).toBe(false)
  })

  test('a refused decision shows the API\'s Chinese message and the fresh state', async () => {
    const { page } = await open('pages/reviewer/signing/index', { id: '12' }, {
      'GET /review/signings/12': [{ body: fixture('review_signing') }, { body: fixture('review_signing_approved') }],
      'POST /review/signings/12/approve': { status: 409, body: fixture('error_review_invalid_state') },
    })
    tap(page, '#approve-btn')
    await flush()
    answerDialog(page, true)
    await flush()
    expect(text(page, '#action-error')).toBe('该签约当前为“等待学校审核”，不能执行“审核通过”')
    expect(text(page, '#state')).toBe('等待学校审核')
  })

  test('an item that moved past my level (403) shows the API\'s message and reloads', async () => {
    const { page, calls } = await open('pages/reviewer/signing/index', { id: '12' }, {
      'GET /review/signings/12': [{ body: fixture('review_signing') }, { body: fixture('review_signing_approved') }],
      'POST /review/signings/12/reject': { status: 403, body: { error: { code: 'FORBIDDEN', message: '你无权执行此操作', fields: {} } } },
    })
    tap(page, '#reject-btn')
    await flush()
    input(page, '#reject-reason', '材料不全')
    await flush()
    answerDialog(page, true, '#reject-dialog')
    await flush()
    expect(text(page, '#action-error')).toBe('你无权执行此操作')
    expect(isOpen(page, '#reject-dialog')).toBe(false)
    expect(calls.filter(c => c.path === '/review/signings/12')).toHaveLength(2)
    expect(page.querySelector('#reject-btn')).toBeUndefined()
  })

  test('a network failure keeps the key: the retry sends the same Idempotency-Key', async () => {
    const { page, calls } = await open('pages/reviewer/signing/index', { id: '12' }, routes({
      'POST /review/signings/12/approve': [{ networkError: true }, { body: fixture('review_signing_approved') }],
    }))
    tap(page, '#approve-btn')
    await flush()
    answerDialog(page, true)
    await flush()
    expect(text(page, '#action-error')).toBe('网络连接失败，请检查网络后重试')
    tap(page, '#approve-btn')
    await flush()
    answerDialog(page, true)
    await flush()
    const [a, b] = posts(calls)
    expect(b.header['Idempotency-Key']).toBe(a.header['Idempotency-Key'])
    expect(text(page, '#state')).toBe('等待学校审核')
  })

  test('only the API\'s allowed_actions become buttons; desktop-only actions get a hint', async () => {
    const { page } = await open('pages/reviewer/signing/index', { id: '12' }, {
      'GET /review/signings/12': { body: { ...fixture('review_signing'), allowed_actions: ['withdraw_approval', 'void'] } },
    })
    expect(page.querySelector('#approve-btn')).toBeUndefined()
    expect(page.querySelector('#reject-btn')).toBeUndefined()
    expect(text(page, '#desktop-hint')).toContain('请在电脑端办理')
  })

  test('证明材料 is downloaded with the token and previewed; a refusal is told in Chinese', async () => {
    const { page, wx, calls } = await open('pages/reviewer/signing/index', { id: '12' }, routes({
      'GET /review/evidence/employer/3': [{ file: 'licence.jpg' }, { status: 404 }],
    }))
    expect(text(page, '#evidence')).toContain('营业执照')
    tap(page, page.querySelectorAll('.evidence')[0])
    await flush()
    const [download] = calls.filter(c => c.download)
    expect(download).toMatchObject({ path: '/review/evidence/employer/3', header: { Authorization: 'Bearer tok-reviewer' } })
    expect(wx.downloadFile.mock.calls[0][0].url).toBe('http://127.0.0.1:5000/api/v1/review/evidence/employer/3')
    expect(wx.previewImage).toHaveBeenCalledWith({ urls: ['wxfile://tmp/licence.jpg'], current: 'wxfile://tmp/licence.jpg' })
    tap(page, page.querySelectorAll('.evidence')[0])
    await flush()
    expect(text(page, '#t-toast')).toBe('内容不存在或已被删除')
  })

  test('a detail outside my reach shows the API\'s 404 in Chinese', async () => {
    const { page } = await open('pages/reviewer/signing/index', { id: '99' }, {})
    expect(text(page, '#load-error')).toContain('测试未配置 GET /review/signings/99')
  })
})

describe('termination detail', () => {
  const routes = (extra = {}) => ({ 'GET /review/terminations/4': { body: fixture('review_termination') }, ...extra })

  test('shows the request, the agreement and decides with 审核通过', async () => {
    const { page, calls } = await open('pages/reviewer/termination/index', { id: '4' }, routes({
      'POST /review/terminations/4/approve': { body: { ...fixture('review_termination'), state: 'school_review', state_label: '等待学校审核', overdue: false, allowed_actions: [] } },
    }))
    expect(text(page, '#state')).toBe('等待学院审核')
    expect(text(page, '#initiator')).toContain('用人单位')
    expect(text(page, '#reason')).toContain('岗位调整，经双方协商一致解除协议')
    expect(text(page, '#agreement')).toContain('HNU2026000123')
    expect(text(page, '#agreement')).toContain('欧彤欣（2022010001）')
    tap(page, '#approve-btn')
    await flush()
    expect(text(page, '#t-dialog')).toContain('解约审核通过')
    answerDialog(page, true)
    await flush()
    const [sent] = posts(calls)
    expect(sent).toMatchObject({ path: '/review/terminations/4/approve', data: {} })
    expect(sent.header['Idempotency-Key']).toBeTruthy()
    expect(text(page, '#state')).toBe('等待学校审核')
  })

  test('审核不通过 needs a reason, shows the manual\'s warning and posts once', async () => {
    const { page, calls } = await open('pages/reviewer/termination/index', { id: '4' }, routes({
      'POST /review/terminations/4/reject': { body: fixture('review_termination_rejected') },
    }))
    tap(page, '#reject-btn')
    await flush()
    expect(text(page, '#rejection-warning')).toContain('学校审核应充分尊重单位和学生的解约意愿')
    answerDialog(page, true, '#reject-dialog')
    await flush()
    expect(posts(calls)).toHaveLength(0)
    expect(text(page, '#reason-error')).toBe('请填写审核不通过的理由')
    input(page, '#reject-reason', '缺少双方解约证明')
    await flush()
    answerDialog(page, true, '#reject-dialog')
    answerDialog(page, true, '#reject-dialog')
    await flush()
    expect(posts(calls)).toHaveLength(1)
    expect(posts(calls)[0].data).toEqual({ reason: '缺少双方解约证明' })
    expect(text(page, '#state')).toBe('解约失败（审核不通过）')
    expect(text(page, '#remark')).toContain('缺少双方解约证明')
  })

  test('a field error from the API stays in the dialog under the reason', async () => {
    const { page } = await open('pages/reviewer/termination/index', { id: '4' }, routes({
      'POST /review/terminations/4/reject': { status: 400, body: { error: { code: 'VALIDATION_ERROR', message: '提交的内容有误', fields: { reason: '不能超过500个字' } } } },
    }))
    tap(page, '#reject-btn')
    await flush()
    input(page, '#reject-reason', '理由')
    await flush()
    answerDialog(page, true, '#reject-dialog')
    await flush()
    expect(isOpen(page, '#reject-dialog')).toBe(true)
    expect(text(page, '#reason-error')).toBe('不能超过500个字')
  })
})
