// The employer's phone pages: workbench and invitation detail (push targets).
const { installWx, flush } = require('./helpers/wx')
const { mount, text, tap, emit } = require('./helpers/page')
const { fixture } = require('./fixtures')

test('the workbench shows counts that open the filtered lists, waiting terminations and the latest letters', async () => {
  const { calls, wx } = installWx({
    routes: {
      'GET /employer/home': { body: fixture('employer_home') },
      'GET /employer/invitations': { body: fixture('employer_invitations') },
    },
    storage: { wq_token: 'tok-employer', wq_role: 'employer_user' },
  })
  const page = mount('pages/employer/home/index')
  page.instance.onShow()
  await flush()
  expect(calls.map(c => c.path).sort()).toEqual(['/employer/home', '/employer/invitations'])
  expect(calls.find(c => c.path === '/employer/invitations').query).toEqual({ limit: '5' })
  expect(text(page, '#workbench-head')).toContain('长沙星辰软件科技有限公司')
  expect(text(page, '#workbench')).toMatch(/已签约\s*5 人/)
  expect(page.querySelector('#unverified')).toBeUndefined()
  expect(text(page, '#waiting-terminations')).toContain('丁萱艳')
  expect(page.querySelectorAll('.recent').map(n => text(page, n).slice(0, 3))).toEqual(['欧彤欣', '丁萱艳'])
  tap(page, page.querySelectorAll('.count')[1])
  tap(page, page.querySelector('.waiting-termination'))
  tap(page, '#search')
  await flush()
  expect(wx.navigateTo.mock.calls.map(c => c[0].url)).toEqual([
    '/pages/employer/invitation/list?status=signed', '/pages/employer/termination/detail?id=6', '/pages/employer/student/search'])
})

test('an unverified employer is sent to verification', async () => {
  const { wx } = installWx({
    routes: {
      'GET /employer/home': { body: { ...fixture('employer_home'), verified: false } },
      'GET /employer/invitations': { body: { items: [], next_cursor: null } },
    },
    storage: { wq_token: 'tok-employer', wq_role: 'employer_user' },
  })
  const page = mount('pages/employer/home/index')
  page.instance.onShow()
  await flush()
  expect(text(page, '#unverified')).toContain('单位认证尚未通过')
  expect(text(page, '#empty')).toContain('尚未发出邀约')
  emit(page, '#unverified', 'click', { trigger: 'operation' })
  await flush()
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/employer/verification/index' })
})

test('an invitation detail shows the student (masked ID), the letter and the flow log', async () => {
  installWx({ routes: { 'GET /employer/invitations/12': { body: fixture('employer_invitation') } } })
  const page = mount('pages/employer/invitation/detail')
  page.instance.onLoad({ id: '12' })
  await flush()
  expect(text(page, '#state')).toBe('单位发起邀约')
  expect(page.dom.textContent).toContain('身份证号 430102********1401')
  expect(text(page, '#letter')).toContain('请于2026/06/07日24时之前反馈')
  expect(text(page, '#flow')).toContain('周晓燕')
})
