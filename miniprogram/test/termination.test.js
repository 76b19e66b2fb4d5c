// 解约: the detail opened from pushed messages by either party, the list, and the request.
const { installWx, flush } = require('./helpers/wx')
const { mount, text, tap, input, emit, answerDialog, isOpen } = require('./helpers/page')
const { fixture } = require('./fixtures')

async function open(path, options, routes, storage) {
  const env = installWx({ routes, storage })
  const page = mount(path)
  page.instance.onLoad(options)
  await flush()
  return { ...env, page }
}

const EMPLOYER = { wq_token: 'tok-employer', wq_role: 'employer_user' }
const posts = calls => calls.filter(c => c.method === 'POST')

test('the student sees the employer\'s request and agrees after a confirmation', async () => {
  const { page, calls } = await open('pages/student/termination/detail', { id: '4' }, {
    'GET /student/terminations/4': { body: fixture('termination_waiting') },
    'POST /student/terminations/4/agree': { body: fixture('termination_agreed') },
  })
  expect(text(page, '#state')).toBe('待对方确认')
  expect(text(page, '#reason')).toContain('岗位调整，经双方协商一致解除协议')
  expect(text(page, '#initiator')).toContain('用人单位')
  tap(page, '#agree-btn')
  await flush()
  expect(text(page, '#t-dialog')).toContain('同意解约')
  expect(posts(calls)).toHaveLength(0)
  answerDialog(page, true)
  await flush()
  const [post] = posts(calls)
  expect(post.data).toEqual({ confirm: true })
  expect(post.header['Idempotency-Key']).toBeTruthy()
  expect(text(page, '#state')).toBe('等待学院审核')
  expect(page.querySelector('#agree-btn')).toBeUndefined()
  expect(text(page, '#t-toast')).toBe('已同意解约')
})

test('the employer disagrees with a reason typed into the dialog', async () => {
  const { page, calls } = await open('pages/employer/termination/detail', { id: '6' }, {
    'GET /employer/terminations/6': { body: { ...fixture('termination_waiting'), id: 6, initiated_by: 'student' } },
    'POST /employer/terminations/6/disagree': { body: fixture('termination_disagreed') },
  }, EMPLOYER)
  tap(page, '#disagree-btn')
  await flush()
  expect(isOpen(page, '#disagree-dialog')).toBe(true)
  input(page, '#disagree-reason', '希望按原协议履行')
  await flush()
  answerDialog(page, true, '#disagree-dialog')
  await flush()
  expect(posts(calls)[0]).toMatchObject({ path: '/employer/terminations/6/disagree', data: { reason: '希望按原协议履行' } })
  expect(text(page, '#state')).toBe('解约失败（对方不同意）')
  expect(isOpen(page, '#disagree-dialog')).toBe(false)
})

test('a refused answer shows the API\'s message and the fresh state', async () => {
  const conflict = { error: { code: 'INVALID_STATE', message: '该解约申请已处理', fields: {} } }
  const { page } = await open('pages/student/termination/detail', { id: '4' }, {
    'GET /student/terminations/4': [{ body: fixture('termination_waiting') }, { body: fixture('termination_agreed') }],
    'POST /student/terminations/4/agree': { status: 409, body: conflict },
  })
  tap(page, '#agree-btn')
  await flush()
  answerDialog(page, true)
  await flush()
  expect(text(page, '#action-error')).toBe('该解约申请已处理')
  expect(text(page, '#state')).toBe('等待学院审核')
})

test('the buttons are the API\'s allowed_actions (none for the party that asked)', async () => {
  const { page } = await open('pages/student/termination/detail', { id: '4' }, {
    'GET /student/terminations/4': { body: { ...fixture('termination_waiting'), initiated_by: 'student', waiting_for_me: false, allowed_actions: [] } },
  })
  expect(page.querySelector('#agree-btn')).toBeUndefined()
  expect(page.querySelector('#disagree-btn')).toBeUndefined()
})

test('查看协议 opens the agreement of the party', async () => {
  const { page, wx } = await open('pages/employer/termination/detail', { id: '6' }, {
    'GET /employer/terminations/6': { body: { ...fixture('termination_waiting'), id: 6 } },
  }, EMPLOYER)
  tap(page, '#agreement')
  await flush()
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/employer/invitation/detail?id=9' })
})

test('the list says who started each termination and opens it', async () => {
  const { page, calls, wx } = await open('pages/student/termination/list', {}, {
    'GET /student/terminations': { body: fixture('terminations_student') },
  })
  expect(calls[0]).toMatchObject({ method: 'GET', path: '/student/terminations' })
  const rows = page.querySelectorAll('.termination').map(n => text(page, n))
  expect(rows[0]).toMatch(/湘江智造装备有限公司.*单位发起.*待对方确认/)
  expect(rows[1]).toMatch(/长沙星辰软件科技有限公司.*学生发起.*已解约/)
  tap(page, page.querySelectorAll('.termination')[1])
  await flush()
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/student/termination/detail?id=2' })
})

test('an empty list says so', async () => {
  const { page } = await open('pages/employer/termination/list', {}, {
    'GET /employer/terminations': { body: { items: [], next_cursor: null } },
  }, EMPLOYER)
  expect(text(page, '#empty')).toContain('暂无解约记录')
})

describe('申请解约', () => {
  const NOTICE = 'GET /student/agreements/9/termination-notice'
  const REQUEST = 'POST /student/agreements/9/terminations'

  test('shows the 解约须知 and the school\'s remaining allowance; needs a reason and the acknowledgement', async () => {
    const { page, calls } = await open('pages/student/termination/request', { invitation_id: '9' }, {
      [NOTICE]: { body: fixture('termination_notice') },
    })
    expect(text(page, '#notice')).toContain('解约须知')
    expect(text(page, '#allowance')).toContain('学校规定每名毕业生可完成解约 1 次，已完成 0 次，剩余 1 次')
    expect(tap(page, '#submit-btn')).toBe(false) // not acknowledged yet
    emit(page, '#ack', 'change', { checked: true })
    await flush()
    tap(page, '#submit-btn')
    await flush()
    expect(text(page, '#reason-error')).toBe('请填写解约原因')
    expect(posts(calls)).toHaveLength(0)
  })

  test('submits the reason with the acknowledgement after the last confirmation, then opens the termination', async () => {
    const created = { ...fixture('termination_waiting'), id: 11, initiated_by: 'student', waiting_for_me: false, allowed_actions: [] }
    const { page, calls, wx } = await open('pages/student/termination/request', { invitation_id: '9' }, {
      [NOTICE]: { body: fixture('termination_notice') },
      [REQUEST]: { body: created },
    })
    input(page, '#reason', '已考取研究生，经与单位协商解除协议')
    emit(page, '#ack', 'change', { checked: true })
    await flush()
    tap(page, '#submit-btn')
    await flush()
    expect(text(page, '#t-dialog')).toContain('解约申请提交后不能撤回')
    answerDialog(page, true)
    await flush()
    const [post] = posts(calls)
    expect(post).toMatchObject({ path: '/student/agreements/9/terminations', data: { reason: '已考取研究生，经与单位协商解除协议', acknowledge: true } })
    expect(post.header['Idempotency-Key']).toBeTruthy()
    expect(wx.redirectTo).toHaveBeenCalledWith({ url: '/pages/student/termination/detail?id=11' })
  })

  test('a school limit reached disables the request', async () => {
    const { page } = await open('pages/student/termination/request', { invitation_id: '9' }, {
      [NOTICE]: { body: { ...fixture('termination_notice'), completed: 1, limit_reached: true } },
    })
    expect(text(page, '#allowance')).toContain('已达到学校规定的解约次数，不能再申请解约')
    emit(page, '#ack', 'change', { checked: true })
    await flush()
    expect(tap(page, '#submit-btn')).toBe(false)
  })

  test('a refusal from the API is shown in Chinese', async () => {
    const refused = { error: { code: 'TERMINATION_IN_FLIGHT', message: '该协议已有解约申请在办理中', fields: {} } }
    const { page, calls } = await open('pages/employer/termination/request', { invitation_id: '9' }, {
      'GET /employer/agreements/9/termination-notice': { body: fixture('termination_notice') },
      'POST /employer/agreements/9/terminations': { status: 409, body: refused },
    }, EMPLOYER)
    input(page, '#reason', '单位业务调整')
    emit(page, '#ack', 'change', { checked: true })
    await flush()
    tap(page, '#submit-btn')
    await flush()
    answerDialog(page, true)
    await flush()
    expect(text(page, '#action-error')).toBe('该协议已有解约申请在办理中')
    expect(posts(calls)).toHaveLength(1)
  })
})
