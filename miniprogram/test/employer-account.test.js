// The employer's own records on the phone: 户档信息, 单位认证 (licence upload), 单位注册,
// 账号管理 and 修改密码.
const config = require('../config')
const { installWx, flush } = require('./helpers/wx')
const { mount, text, tap, input, emit, answerDialog, isOpen } = require('./helpers/page')
const { fixture } = require('./fixtures')

const EMPLOYER = { wq_token: 'tok-employer', wq_role: 'employer_user' }

async function open(path, routes, storage = EMPLOYER) {
  const env = installWx({ routes, storage })
  const page = mount(path)
  if (page.instance.onLoad) await page.instance.onLoad({})
  await flush()
  return { ...env, page }
}

describe('户档信息', () => {
  test('shows the current version and every earlier one; saving PUTs the whole profile', async () => {
    const saved = { ...fixture('employer_archive_profile'), version: 3 }
    const { page, calls } = await open('pages/employer/archive/index', {
      'GET /employer/archive-profile': { body: fixture('employer_archive_profile') },
      'PUT /employer/archive-profile': { body: saved },
    })
    expect(text(page, '#intro')).toContain('当前为第2版')
    expect(text(page, '#history')).toMatch(/第2版 · 2026\/06\/01 10:00/)
    expect(text(page, '#history')).toMatch(/第1版/)
    input(page, '#archive_phone', '0731-88880000')
    await flush()
    tap(page, '#save-btn')
    await flush()
    const put = calls.find(c => c.method === 'PUT')
    expect(put.data).toMatchObject({ archive_receiving: 'employer', archive_phone: '0731-88880000', hukou_receiving: 'not_received', hukou_address: null })
    expect(put.header['Idempotency-Key']).toBeTruthy()
    expect(text(page, '#intro')).toContain('当前为第3版')
    expect(text(page, '#t-toast')).toBe('户档信息已保存')
  })

  test('an incomplete address is refused with the API\'s words', async () => {
    const refused = { error: { code: 'VALIDATION_FAILED', message: '提交的内容有误，请检查后重试', fields: { body: '档案接收地址应精确到门牌号' } } }
    const { page } = await open('pages/employer/archive/index', {
      'GET /employer/archive-profile': { body: { profile: null, version: 0, history: [] } },
      'PUT /employer/archive-profile': { status: 400, body: refused },
    })
    expect(text(page, '#intro')).toContain('尚未填写户档信息')
    tap(page, '#save-btn')
    await flush()
    expect(text(page, '#action-error')).toBe('档案接收地址应精确到门牌号')
  })
})

describe('单位认证', () => {
  test('a pending employer without evidence uploads the licence it chose, as multipart', async () => {
    const { page, calls } = await open('pages/employer/verification/index', {
      'GET /employer/verification': { body: fixture('employer_verification_pending') },
      'POST /employer/verification': { body: fixture('employer_verification_submitted') },
    })
    expect(text(page, '#status')).toContain('待审核')
    expect(text(page, '#status')).toContain('请上传营业执照扫描件')
    expect(tap(page, '#submit-btn')).toBe(false)
    emit(page, '#licence', 'add', { files: [{ url: 'wxfile://tmp/licence.png', name: 'licence.png', type: 'image' }] })
    await flush()
    tap(page, '#submit-btn')
    page.instance.submit()
    await flush()
    const uploads = calls.filter(c => c.file)
    expect(uploads).toHaveLength(1)
    expect(uploads[0]).toMatchObject({ path: '/employer/verification', file: { name: 'licence', path: 'wxfile://tmp/licence.png' } })
    expect(uploads[0].header.Authorization).toBe('Bearer tok-employer')
    expect(text(page, '#evidence')).toContain('营业执照（或法人证书）')
    expect(text(page, '#status')).toContain('材料提交后由平台或学校审核')
  })

  test('a rejected upload (not an image) shows the API\'s message', async () => {
    const refused = { error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: '营业执照（或法人证书）扫描件应为 JPG 或 PNG 图片', fields: { licence: '应为 JPG 或 PNG 图片' } } }
    const { page } = await open('pages/employer/verification/index', {
      'GET /employer/verification': { body: fixture('employer_verification_pending') },
      'POST /employer/verification': { status: 415, body: refused },
    })
    emit(page, '#licence', 'add', { files: [{ url: 'wxfile://tmp/licence.pdf', name: 'licence.pdf' }] })
    await flush()
    tap(page, '#submit-btn')
    await flush()
    expect(text(page, '#action-error')).toBe('营业执照（或法人证书）扫描件应为 JPG 或 PNG 图片')
  })

  test('an approved employer sees no upload', async () => {
    const approved = { ...fixture('employer_verification_submitted'), verification_status: 'approved', verification_label: '已认证', verified_at: '2026-06-02T10:00:00+08:00' }
    const { page } = await open('pages/employer/verification/index', { 'GET /employer/verification': { body: approved } })
    expect(text(page, '#status')).toContain('单位已通过认证')
    expect(page.querySelector('#upload')).toBeUndefined()
  })
})

describe('单位注册', () => {
  const dicts = {
    'GET /dictionaries/unit_nature': { body: { kind: 'unit_nature', items: [{ code: '39', name: '其他企业', parent: null, has_children: false }] } },
    'GET /dictionaries/industry': { body: { kind: 'industry', items: [{ code: 'I', name: '信息传输、软件和信息技术服务业', parent: null, has_children: true }, { code: '65', name: '软件和信息技术服务业', parent: 'I', has_children: false }] } },
    'GET /dictionaries/region': { body: fixture('dict_region_top') },
  }
  const FORM = { name: '长沙星辰软件科技有限公司', credit_code: '91430100MA4L7K2C7C', address: '长沙市岳麓区麓谷大道658号', contact_name: '王经理', contact_phone: '0731-88888888', email: 'hr@xingchen.example.cn', username: 'xingchen_hr', password: 'Xingchen2026' }

  async function filled(routes) {
    const env = await open('pages/employer/register/index', { ...dicts, ...routes }, {})
    const { page } = env
    Object.keys(FORM).forEach(k => input(page, `#${k}`, FORM[k]))
    emit(page, '#nature-picker', 'confirm', { value: ['39'], label: ['其他企业'] })
    page.setData({ picker: 'industry_code' })
    emit(page, '#industry-picker', 'change', { value: '65', selectedOptions: [{ label: '信息传输、软件和信息技术服务业', value: 'I' }, { label: '软件和信息技术服务业', value: '65' }] })
    page.setData({ picker: 'region_code' })
    emit(page, '#region-picker', 'change', { value: '430000', selectedOptions: [{ label: '湖南省', value: '430000' }] })
    await flush()
    return env
  }

  test('registers with the dictionary codes picked, keeps the new token and goes to the licence upload', async () => {
    const { page, calls, store, wx } = await filled({ 'POST /employer/register': { body: fixture('employer_registered') } })
    expect(page.data.industryOptions[0].children[0]).toEqual({ label: '软件和信息技术服务业', value: '65' })
    expect(calls.find(c => c.path === '/dictionaries/region').query).toEqual({ top: 'true' })
    expect(text(page, '#industry')).toContain('信息传输、软件和信息技术服务业 / 软件和信息技术服务业')
    tap(page, '#register-btn')
    await flush()
    const post = calls.find(c => c.path === '/employer/register')
    expect(post.data).toEqual({ ...FORM, nature_code: '39', industry_code: '65', region_code: '430000' })
    expect(post.header.Authorization).toBeUndefined()
    expect(store[config.TOKEN_KEY]).toBe('tok-new-employer-0123456789abcdef0123')
    expect(wx.reLaunch).toHaveBeenCalledWith({ url: '/pages/employer/verification/index' })
  })

  test('a wrong credit code is shown on its field', async () => {
    const refused = { error: { code: 'VALIDATION_FAILED', message: '提交的内容有误，请检查后重试', fields: { credit_code: '统一社会信用代码校验位不正确' } } }
    const { page } = await filled({ 'POST /employer/register': { status: 400, body: refused } })
    tap(page, '#register-btn')
    await flush()
    expect(text(page, '#credit_code')).toContain('统一社会信用代码校验位不正确')
    expect(text(page, '#action-error')).toBe('提交的内容有误，请检查后重试')
  })
})

describe('账号管理', () => {
  test('lists the accounts; the admin adds a colleague', async () => {
    const { page, calls } = await open('pages/employer/accounts/index', {
      'GET /employer/accounts': { body: fixture('employer_accounts') },
      'POST /employer/accounts': { body: fixture('employer_account_added') },
    })
    const rows = page.querySelectorAll('.account').map(n => text(page, n))
    expect(rows[0]).toMatch(/周晓燕（我）.*管理员/)
    expect(rows[1]).toMatch(/王经理.*从未登录.*重置密码/)
    tap(page, '#add-btn')
    await flush()
    expect(isOpen(page, '#add-dialog')).toBe(true)
    input(page, '#new-username', 'hr3.xingchen')
    input(page, '#new-display_name', '赵六')
    input(page, '#new-password', 'Zhaoliu2026')
    await flush()
    answerDialog(page, true, '#add-dialog')
    await flush()
    expect(calls.find(c => c.method === 'POST').data).toEqual({ username: 'hr3.xingchen', display_name: '赵六', password: 'Zhaoliu2026' })
    expect(isOpen(page, '#add-dialog')).toBe(false)
    expect(text(page, '#t-toast')).toBe('账号已添加')
  })

  test('the admin resets a colleague\'s password; a weak one is refused on its field', async () => {
    const weak = { error: { code: 'VALIDATION_FAILED', message: '密码须同时包含字母和数字', fields: { password: '密码须同时包含字母和数字' } } }
    const { page, calls } = await open('pages/employer/accounts/index', {
      'GET /employer/accounts': { body: fixture('employer_accounts') },
      'POST /employer/accounts/8/password': [{ status: 400, body: weak }, { body: fixture('employer_accounts').items[1] }],
    })
    tap(page, page.querySelector('.reset-btn'))
    await flush()
    expect(text(page, '#reset-dialog')).toContain('重置 王经理 的密码')
    input(page, '#reset-password', '12345678')
    await flush()
    answerDialog(page, true, '#reset-dialog')
    await flush()
    expect(text(page, '#reset-password')).toContain('密码须同时包含字母和数字')
    input(page, '#reset-password', 'Wangjl2026')
    await flush()
    answerDialog(page, true, '#reset-dialog')
    await flush()
    const resets = calls.filter(c => c.path === '/employer/accounts/8/password')
    expect(resets.map(c => c.data)).toEqual([{ password: '12345678' }, { password: 'Wangjl2026' }])
    expect(text(page, '#t-toast')).toBe('已重置 王经理 的密码')
  })

  test('a colleague who is not the admin only sees the list', async () => {
    const mine = { ...fixture('employer_accounts'), my_account_id: 8, i_am_admin: false }
    const { page } = await open('pages/employer/accounts/index', { 'GET /employer/accounts': { body: mine } })
    expect(page.querySelector('#add-btn')).toBeUndefined()
    expect(page.querySelector('.reset-btn')).toBeUndefined()
    expect(text(page, '#not-admin')).toContain('请联系本单位管理员')
  })
})

describe('修改密码', () => {
  test('checks the repeat locally, then sends the current and the new password', async () => {
    const wrong = { error: { code: 'BAD_CREDENTIALS', message: '当前密码不正确', fields: { old_password: '当前密码不正确' } } }
    const { page, calls } = await open('pages/employer/password/index', { 'POST /employer/password': [{ status: 400, body: wrong }, { body: { ok: true } }] })
    input(page, '#old_password', 'Oldpass2026')
    input(page, '#new_password', 'Newpass2026')
    input(page, '#repeat', 'Newpass2025')
    await flush()
    tap(page, '#save-btn')
    await flush()
    expect(text(page, '#repeat')).toContain('两次输入的新密码不一致')
    expect(calls).toHaveLength(0)
    input(page, '#repeat', 'Newpass2026')
    await flush()
    tap(page, '#save-btn')
    await flush()
    expect(text(page, '#old_password')).toContain('当前密码不正确')
    tap(page, '#save-btn')
    await flush()
    expect(calls.map(c => c.data)).toEqual([{ old_password: 'Oldpass2026', new_password: 'Newpass2026' }, { old_password: 'Oldpass2026', new_password: 'Newpass2026' }])
    expect(text(page, '#t-toast')).toContain('密码已修改')
  })
})
