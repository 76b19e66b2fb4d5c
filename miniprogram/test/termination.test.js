// 解约 detail, opened from pushed messages by either party.
const { installWx, flush } = require('./helpers/wx')
const { mount, text, tap } = require('./helpers/page')
const { fixture } = require('./fixtures')

async function open(role, id, routes) {
  const env = installWx({ routes })
  const page = mount(`pages/${role}/termination/detail`)
  page.instance.onLoad({ id: String(id) })
  await flush()
  return { ...env, page }
}

test('the student sees the employer\'s request and agrees after a confirmation', async () => {
  const { page, calls, wx } = await open('student', 4, {
    'GET /student/terminations/4': { body: fixture('termination_waiting') },
    'POST /student/terminations/4/agree': { body: fixture('termination_agreed') },
  })
  expect(text(page, '#state')).toBe('待对方确认')
  expect(text(page, '#reason')).toBe('岗位调整，经双方协商一致解除协议')
  expect(page.dom.textContent).toContain('用人单位')
  tap(page, '#agree-btn')
  await flush()
  expect(wx.showModal).toHaveBeenCalledWith(expect.objectContaining({ title: '同意解约' }))
  const post = calls.find(c => c.method === 'POST')
  expect(post.data).toEqual({ confirm: true })
  expect(post.header['Idempotency-Key']).toBeTruthy()
  expect(text(page, '#state')).toBe('等待学院审核')
  expect(page.querySelector('#agree-btn')).toBeUndefined()
})

test('the employer disagrees with a reason typed into the dialog', async () => {
  const { page, calls, wx } = await open('employer', 6, {
    'GET /employer/terminations/6': { body: { ...fixture('termination_waiting'), id: 6, initiated_by: 'student' } },
    'POST /employer/terminations/6/disagree': { body: fixture('termination_disagreed') },
  })
  wx.showModal.mockImplementationOnce(o => o.success({ confirm: true, content: '希望按原协议履行' }))
  tap(page, '#disagree-btn')
  await flush()
  expect(calls.find(c => c.method === 'POST')).toMatchObject({ path: '/employer/terminations/6/disagree', data: { reason: '希望按原协议履行' } })
  expect(text(page, '#state')).toBe('解约失败（对方不同意）')
})

test('a refused answer shows the API\'s message', async () => {
  const conflict = { error: { code: 'INVALID_STATE', message: '该解约申请已处理', fields: {} } }
  const { page } = await open('student', 4, {
    'GET /student/terminations/4': [{ body: fixture('termination_waiting') }, { body: fixture('termination_agreed') }],
    'POST /student/terminations/4/agree': { status: 409, body: conflict },
  })
  tap(page, '#agree-btn')
  await flush()
  expect(text(page, '#action-error')).toBe('该解约申请已处理')
  expect(text(page, '#state')).toBe('等待学院审核')
})
