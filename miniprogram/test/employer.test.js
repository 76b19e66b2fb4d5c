// The employer's phone pages: workbench and invitation detail (push targets).
const { installWx, flush } = require('./helpers/wx')
const { mount, text } = require('./helpers/page')
const { fixture } = require('./fixtures')

test('the workbench shows counts, waiting terminations and the invitations sent', async () => {
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
  expect(text(page, '#workbench')).toContain('长沙星辰软件科技有限公司')
  expect(text(page, '#workbench')).toMatch(/5\s*已签约/)
  expect(page.querySelector('#unverified')).toBeUndefined()
  expect(text(page, '#waiting-terminations')).toContain('丁萱艳：个人原因，已考取研究生')
  expect(page.querySelectorAll('.employer__student').map(n => n.dom.textContent)).toEqual(['欧彤欣', '丁萱艳'])
  page.querySelector('#waiting-terminations .row').dispatchEvent('tap')
  await flush()
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/employer/termination/detail?id=6' })
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
