// 线上签约 list: tabs by status and cursor "load more".
const { installWx, flush } = require('./helpers/wx')
const { mount, text, tap, emit, input } = require('./helpers/page')
const { fixture } = require('./fixtures')

function byStatusAndCursor(call) {
  if (call.query.status === 'open' && !call.query.cursor) return { body: fixture('student_invitations_page1') }
  if (call.query.status === 'open' && call.query.cursor === 'MTE') return { body: fixture('student_invitations_page2') }
  if (call.query.status === 'done') return { body: fixture('student_invitations_done') }
  return { body: fixture('student_invitations_empty') }
}

async function open(options = {}) {
  const env = installWx({ routes: { 'GET /student/invitations': byStatusAndCursor } })
  const page = mount('pages/student/invitation/list')
  page.instance.onLoad(options)
  await flush()
  return { ...env, page }
}

const cards = page => page.querySelectorAll('.invitation').map(c => c.dom.textContent)

test('opens on 待处理 and lists open invitations with their state and deadline', async () => {
  const { page, calls } = await open()
  expect(calls[0].query).toEqual({ status: 'open' })
  expect(text(page, '#tabs')).toMatch(/^待处理\s*已处理\s*全部/)
  expect(cards(page)).toHaveLength(2)
  expect(cards(page)[0]).toContain('长沙星辰软件科技有限公司')
  expect(cards(page)[0]).toContain('单位发起邀约')
  expect(cards(page)[0]).toContain('请于 2026/06/07 日24时之前反馈')
})

test('加载更多 asks for the next page with next_cursor and appends it', async () => {
  const { page, calls } = await open()
  expect(text(page, '#load-more')).toBe('加载更多')
  tap(page, '#load-more')
  await flush()
  expect(calls[1].query).toEqual({ status: 'open', cursor: 'MTE' })
  expect(cards(page)).toHaveLength(3)
  expect(cards(page)[2]).toContain('岳麓数据服务有限公司')
  expect(page.querySelector('#load-more')).toBeUndefined()
  expect(text(page, '#no-more')).toBe('没有更多了')
})

test('switching to 已处理 reloads from the first page of that status', async () => {
  const { page, calls } = await open()
  emit(page, '#tabs', 'change', { value: 'done', label: '已处理' })
  await flush()
  expect(calls[1].query).toEqual({ status: 'done' })
  expect(cards(page)).toHaveLength(1)
  expect(cards(page)[0]).toContain('签约失败（学生拒绝）')
  expect(cards(page)[0]).not.toContain('请于')
})

test('全部 with nothing in it shows the empty state', async () => {
  const { page } = await open({ status: 'all' })
  expect(text(page, '#empty')).toContain('暂无邀约')
})

test('tapping an invitation opens its detail page', async () => {
  const { page, wx } = await open()
  page.querySelectorAll('.invitation')[1].dispatchEvent('tap')
  await flush()
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/student/invitation/detail?id=11' })
})

test('a failed load shows the error message', async () => {
  installWx({ routes: { 'GET /student/invitations': { status: 403, body: { error: { code: 'ROLE_NOT_ALLOWED', message: '当前账号无权使用该功能', fields: {} } } } } })
  const page = mount('pages/student/invitation/list')
  page.instance.onLoad({})
  await flush()
  expect(text(page, '#error')).toMatch(/^当前账号无权使用该功能/)
  expect(page.querySelector('#empty')).toBeUndefined()
})

test('the employer-name filter searches within the tab and can be cleared', async () => {
  const { page, calls } = await open()
  input(page, '#search', '星辰')
  await flush()
  emit(page, '#search', 'submit', { value: '星辰' })
  await flush()
  expect(calls[1].query).toEqual({ status: 'open', employer_name: '星辰' })
  emit(page, '#search', 'clear')
  await flush()
  expect(calls[2].query).toEqual({ status: 'open' })
})
