// 消息通知: tap → the message's page, marked read.
const { installWx, flush } = require('./helpers/wx')
const { mount, text, tap } = require('./helpers/page')
const { fixture } = require('./fixtures')

async function open(routes = {}) {
  const env = installWx({
    routes: {
      'GET /notifications': call => ({ body: fixture(call.query.cursor === 'MzA' ? 'notifications_page2' : 'notifications') }),
      'POST /notifications/read': { body: fixture('read_result') },
      ...routes,
    },
  })
  const page = mount('pages/notifications/index')
  page.instance.onLoad()
  await flush()
  return { ...env, page }
}

const items = page => page.querySelectorAll('.inbox__item')

test('lists the messages with the unread count', async () => {
  const { page } = await open()
  expect(items(page)).toHaveLength(2)
  expect(items(page)[0].dom.textContent).toContain('邀约内容已修改')
  expect(items(page)[0].dom.textContent).toContain('2026/06/05 11:00')
  expect(text(page, '#unread')).toBe('1 条未读')
})

test('tapping a message navigates to its page (with a leading slash) and marks it read', async () => {
  const { page, wx, calls } = await open()
  items(page)[0].dispatchEvent('tap')
  await flush()
  expect(wx.navigateTo).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/student/invitation/detail?id=12' }))
  const read = calls.find(c => c.method === 'POST')
  expect(read.path).toBe('/notifications/read')
  expect(read.data).toEqual({ ids: [31] })
  expect(page.data.items[0].read).toBe(true)
  expect(text(page, '#unread')).toBe('0 条未读')
})

test('a message already read is not marked again', async () => {
  const { page, wx, calls } = await open()
  items(page)[1].dispatchEvent('tap')
  await flush()
  expect(wx.navigateTo).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/student/invitation/detail?id=12' }))
  expect(calls.filter(c => c.method === 'POST')).toHaveLength(0)
})

test('加载更多 follows next_cursor; a message without a page only gets marked read', async () => {
  const { page, wx, calls } = await open()
  tap(page, '#load-more')
  await flush()
  expect(calls[1].query).toEqual({ cursor: 'MzA' })
  expect(items(page)).toHaveLength(3)
  items(page)[2].dispatchEvent('tap')
  await flush()
  expect(calls.find(c => c.method === 'POST').data).toEqual({ ids: [22] })
  expect(wx.navigateTo).not.toHaveBeenCalled()
})

test('全部已读 marks everything read', async () => {
  const { page, calls } = await open()
  tap(page, '#mark-all')
  await flush()
  expect(calls.find(c => c.method === 'POST').data).toEqual({})
  expect(page.data.items.every(n => n.read)).toBe(true)
  expect(page.querySelector('#mark-all')).toBeUndefined()
})

test('an inbox that cannot load says why', async () => {
  const { page } = await open({ 'GET /notifications': { networkError: true } })
  expect(text(page, '#error')).toMatch(/^网络连接失败，请检查网络后重试/)
})
