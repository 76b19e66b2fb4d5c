// The employer's signing on the phone (seed 003 §2.1: 签约发起 → 搜索 → 发送签约邀请 → 确认):
// search, the send list, the letter with its checks and preview, send, lists, modify.
const { installWx, flush } = require('./helpers/wx')
const { mount, text, tap, input, emit, answerDialog } = require('./helpers/page')
const { fixture } = require('./fixtures')

const EMPLOYER = { wq_token: 'tok-employer', wq_role: 'employer_user' }
const posts = calls => calls.filter(c => c.method === 'POST' || c.method === 'PUT')

async function open(path, options, routes) {
  const env = installWx({ routes, storage: EMPLOYER })
  const page = mount(path)
  await page.instance.onLoad(options)
  await flush()
  return { ...env, page }
}

describe('签约发起: search', () => {
  const routes = () => ({
    'GET /schools': { body: fixture('employer_schools') },
    'GET /employer/students/search': { body: fixture('employer_search') },
    'POST /employer/favorites': { body: fixture('employer_favorite_added') },
  })

  test('picks the school by its name, then searches with the four exact values', async () => {
    const { page, calls } = await open('pages/employer/student/search', {}, routes())
    input(page, '#school-search', '华夏')
    await flush()
    expect(calls[0]).toMatchObject({ path: '/schools', query: { q: '华夏' } })
    expect(page.querySelectorAll('.school-option').map(n => text(page, n))).toEqual(['华夏示范大学10532', '华夏师范学院10542'])
    tap(page, page.querySelectorAll('.school-option')[0])
    await flush()
    expect(text(page, '#school-chosen')).toContain('华夏示范大学')
    input(page, '#name', '欧彤欣')
    input(page, '#phone_or_id', '13913160265')
    await flush()
    tap(page, '#search-btn')
    await flush()
    const search = calls.find(c => c.path === '/employer/students/search')
    expect(search.query).toEqual({ school_code: '10532', cohort: String(new Date().getFullYear()), name: '欧彤欣', phone_or_id: '13913160265' })
    expect(text(page, '#results')).toContain('欧彤欣 · 本科')
    expect(text(page, '#results')).toContain('身份证 430102********1401')
  })

  test('every value is required, the school picked from the list', async () => {
    const { page, calls } = await open('pages/employer/student/search', {}, routes())
    input(page, '#cohort', '')
    await flush()
    tap(page, '#search-btn')
    await flush()
    expect(text(page, '#school-error')).toBe('请选择学校')
    expect(page.data.fieldErrors).toMatchObject({ cohort: '必填', name: '必填', phone_or_id: '必填' })
    expect(calls).toHaveLength(0)
  })

  test('加入 adds the student to the send list once, even on a double tap', async () => {
    const { page, calls } = await open('pages/employer/student/search', {}, routes())
    page.setData({ school: { code: '10532', name: '华夏示范大学' }, form: { cohort: '2026', name: '欧彤欣', phone_or_id: '13913160265' } })
    tap(page, '#search-btn')
    await flush()
    const add = page.querySelector('.add-btn')
    tap(page, add)
    page.instance.add({ currentTarget: { dataset: { index: 0 } } })
    await flush()
    expect(posts(calls)).toHaveLength(1)
    expect(posts(calls)[0]).toMatchObject({ path: '/employer/favorites', data: { student_id: 1 } })
    expect(text(page, '#results')).toContain('已在签约发送列表')
    expect(text(page, '#t-toast')).toBe('已加入签约发送列表')
  })

  test('a refused search shows the API\'s message', async () => {
    const limited = { error: { code: 'RATE_LIMITED', message: '搜索过于频繁，请稍后再试', fields: {} } }
    const { page } = await open('pages/employer/student/search', {}, { ...routes(), 'GET /employer/students/search': { status: 429, body: limited } })
    page.setData({ school: { code: '10532', name: '华夏示范大学' }, form: { cohort: '2026', name: '欧彤欣', phone_or_id: '13913160265' } })
    tap(page, '#search-btn')
    await flush()
    expect(text(page, '#error')).toBe('搜索过于频繁，请稍后再试')
  })
})

describe('签约发送列表 (favorites)', () => {
  test('lists the students; only signable ones can be picked; 发送签约邀请 opens the letter for the picked', async () => {
    const { page, wx } = await open('pages/employer/favorites/index', {}, { 'GET /employer/favorites': { body: fixture('employer_favorites') } })
    expect(page.querySelectorAll('.favorite')).toHaveLength(3)
    expect(text(page, page.querySelectorAll('.favorite')[2])).toContain('该学生暂不能邀约')
    expect(tap(page, '#compose-btn')).toBe(false)
    emit(page, page.querySelectorAll('.favorite__pick')[0], 'change', { checked: true })
    emit(page, page.querySelectorAll('.favorite__pick')[1], 'change', { checked: true })
    await flush()
    expect(text(page, '#picked-count')).toBe('已选 2 人')
    expect(tap(page, page.querySelectorAll('.favorite__pick')[2])).toBe(false)
    tap(page, '#compose-btn')
    await flush()
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/employer/invitation/form?students=1,2' })
  })

  test('移除 asks first, then deletes the student from the list', async () => {
    const { page, calls } = await open('pages/employer/favorites/index', {}, {
      'GET /employer/favorites': { body: fixture('employer_favorites') },
      'DELETE /employer/favorites': { body: fixture('employer_favorite_removed') },
    })
    tap(page, page.querySelectorAll('.remove-btn')[1])
    await flush()
    expect(text(page, '#t-dialog')).toContain('确定将 丁萱艳 移出签约发送列表吗？')
    answerDialog(page, true)
    await flush()
    expect(calls.find(c => c.method === 'DELETE')).toMatchObject({ path: '/employer/favorites', query: { student_id: '2' } })
    expect(page.querySelectorAll('.favorite')).toHaveLength(2)
  })

  test('an empty list leads to the search', async () => {
    const { page, wx } = await open('pages/employer/favorites/index', {}, { 'GET /employer/favorites': { body: { items: [], next_cursor: null } } })
    expect(text(page, '#empty')).toContain('签约发送列表为空')
    tap(page, '#to-search')
    await flush()
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/employer/student/search' })
  })
})

describe('the letter (签约邀请函)', () => {
  const terms = fixture('invitation_invited').terms
  const routes = extra => ({
    'GET /dictionaries/job_category': { body: fixture('dict_job_category') },
    'GET /dictionaries/region': call => ({ body: fixture(call.query.parent === '430000' ? 'dict_region_hunan' : 'dict_region_top') }),
    'GET /employer/archive-profile': { body: fixture('employer_archive_profile') },
    'GET /employer/favorites': { body: fixture('employer_favorites') },
    ...extra,
  })

  async function compose(extra = {}) {
    const env = await open('pages/employer/invitation/form', { students: '1,2' }, routes(extra))
    const { page } = env
    emit(page, '#job-picker', 'confirm', { value: ['13'], label: ['工程技术人员'] })
    ;[['position', '软件工程师'], ['probation_days', '60'], ['probation_salary', '8000'], ['regular_salary', '10000'], ['liquidated_damages', '3000'],
      ['report_place', '长沙市岳麓区'], ['work_address', '长沙市岳麓区麓谷大道658号'], ['contact_name', '王经理'], ['contact_phone', '0731-88888888']]
      .forEach(([id, value]) => input(page, `#${id}`, value))
    emit(page, '#deadline-picker', 'confirm', { value: '2026-07-15' })
    emit(page, '#region-picker', 'change', { value: '430100', selectedOptions: [{ label: '湖南省', value: '430000' }, { label: '长沙市', value: '430100' }] })
    await flush()
    return env
  }

  const expectedTerms = {
    job_category_code: '13', position: '软件工程师', feedback_days: 5, probation_days: 60, probation_salary: 8000, regular_salary: 10000,
    liquidated_damages: 3000, report_place: '长沙市岳麓区', report_deadline: '2026-07-15', work_region_code: '430100',
    work_address: '长沙市岳麓区麓谷大道658号', contact_name: '王经理', contact_phone: '0731-88888888', archive: null, supplementary_terms: null,
  }

  test('names the picked students and takes archive/hukou from the 户档信息 by default', async () => {
    const { page } = await open('pages/employer/invitation/form', { students: '1,2' }, routes())
    expect(text(page, '#recipients')).toContain('2 名学生')
    expect(text(page, '#recipients')).toContain('欧彤欣、丁萱艳')
    expect(page.data.useProfile).toBe(true)
    expect(page.querySelector('#archive_unit')).toBeUndefined()
    emit(page, '#use-profile', 'change', { value: false })
    await flush()
    expect(page.data.form.archive.archive_unit).toBe('长沙星辰软件科技有限公司')
  })

  test('the region picker goes down a level when a province is picked', async () => {
    const { page, calls } = await open('pages/employer/invitation/form', { students: '1' }, routes())
    tap(page, '#work-region')
    await flush()
    await page.instance.onRegionPick({ detail: { value: '430000', level: 0, index: 0 } })
    await flush()
    expect(calls.find(c => c.path === '/dictionaries/region' && c.query.parent === '430000')).toBeTruthy()
    expect(page.data.regionOptions[0].children.map(c => c.label)).toEqual(['长沙市', '株洲市'])
  })

  test('missing terms are flagged before anything is sent', async () => {
    const { page, calls } = await open('pages/employer/invitation/form', { students: '1' }, routes())
    tap(page, '#preview-btn')
    await flush()
    expect(page.data.fieldErrors).toMatchObject({ job_category_code: '必填', position: '必填', report_deadline: '必填', work_region_code: '必填' })
    expect(text(page, '#action-error')).toBe('请填写标记为必填的内容')
    expect(posts(calls)).toHaveLength(0)
  })

  test('检查并预览 shows the checks (damages above the school\'s cap) and the letter as the student will read it', async () => {
    const { page, calls } = await compose({
      'POST /employer/invitations/checks': { body: fixture('employer_checks') },
      'POST /employer/invitations/preview': { body: fixture('employer_preview') },
    })
    tap(page, '#preview-btn')
    await flush()
    const check = calls.find(c => c.path === '/employer/invitations/checks')
    expect(check.data).toEqual({ student_ids: [1, 2], terms: expectedTerms })
    expect(calls.find(c => c.path === '/employer/invitations/preview').data).toEqual({ student_id: 1, terms: expectedTerms })
    expect(text(page, '#checks')).toContain('违约金3000元高于华夏示范大学规定的上限2000元')
    expect(text(page, '#preview')).toContain('我单位拟录用（聘用）你为 软件工程师 岗位员工，请于2026/06/07日24时之前反馈')
    expect(text(page, '#preview')).toMatch(/转正起薪\s*10000 元\/月/)
  })

  test('发送邀请 asks for the answers\' messages, confirms, sends once and reports each student', async () => {
    const templates = { moment: 'employer_sent', template_ids: ['SUB_INVITATION_ACCEPTED'], events: ['invitation_accepted'] }
    const { page, calls, wx } = await compose({
      'GET /subscriptions/templates': { body: templates },
      'POST /subscriptions': { body: { granted: [] } },
      'POST /employer/invitations': { body: fixture('employer_send_results') },
    })
    tap(page, '#send-btn')
    await flush()
    expect(wx.requestSubscribeMessage).toHaveBeenCalledWith(expect.objectContaining({ tmplIds: ['SUB_INVITATION_ACCEPTED'] }))
    expect(text(page, '#t-dialog')).toContain('将向 2 名学生发送签约邀请')
    answerDialog(page, true)
    page.instance.deliver(expectedTerms) // a second tap while the first is on its way
    await flush()
    const sends = calls.filter(c => c.path === '/employer/invitations')
    expect(sends).toHaveLength(1)
    expect(sends[0].data).toEqual({ student_ids: [1, 2], terms: expectedTerms })
    expect(sends[0].header['Idempotency-Key']).toBeTruthy()
    expect(text(page, '#result')).toContain('已发送 1 份邀请')
    expect(text(page, '#failures')).toContain('丁萱艳')
    expect(text(page, '#failures')).toContain('你单位对该学生已有未结束的邀约，不能重复邀请')
  })

  test('the server\'s field errors appear on their fields', async () => {
    const invalid = { error: { code: 'VALIDATION_FAILED', message: '提交的内容有误，请检查后重试', fields: { 'terms.contact_phone': '格式不正确' } } }
    const { page } = await compose({
      'POST /employer/invitations/checks': { status: 400, body: invalid },
      'POST /employer/invitations/preview': { status: 400, body: invalid },
    })
    tap(page, '#preview-btn')
    await flush()
    expect(page.data.fieldErrors.contact_phone).toBe('格式不正确')
    expect(text(page, '#contact_phone')).toContain('格式不正确')
    expect(text(page, '#action-error')).toBe('提交的内容有误，请检查后重试')
  })

  test('修改邀约 starts from the current terms and PUTs the new revision', async () => {
    const { page, calls, wx } = await open('pages/employer/invitation/form', { id: '12' }, routes({
      'GET /employer/invitations/12': { body: fixture('employer_invitation') },
      'PUT /employer/invitations/12': { body: fixture('employer_invitation') },
    }))
    expect(text(page, '#recipients')).toContain('欧彤欣（第1版 → 第2版）')
    expect(page.data.form.position).toBe('软件工程师')
    input(page, '#regular_salary', '12000')
    await flush()
    tap(page, '#save-btn')
    await flush()
    const [put] = posts(calls)
    expect(put.method).toBe('PUT')
    expect(put.data).toMatchObject({ regular_salary: 12000, position: '软件工程师', archive: { ...terms.archive } })
    expect(wx.redirectTo).toHaveBeenCalledWith({ url: '/pages/employer/invitation/detail?id=12' })
  })
})

describe('签约名单 and the detail', () => {
  test('opens on the workbench group it was given and filters by name, cohort and dates', async () => {
    const { page, calls } = await open('pages/employer/invitation/list', { status: 'signed' }, { 'GET /employer/invitations': { body: fixture('employer_invitations') } })
    expect(calls[0].query).toEqual({ status: 'signed' })
    expect(page.querySelectorAll('.letter')).toHaveLength(2)
    emit(page, '#search', 'action-click')
    await flush()
    input(page, '#search', '欧彤欣')
    input(page, '#cohort', '2026')
    await flush()
    tap(page, '#from')
    await flush()
    emit(page, '#date-picker', 'confirm', { value: '2026-06-01' })
    await flush()
    tap(page, '#apply-btn')
    await flush()
    expect(calls[calls.length - 1].query).toEqual({ status: 'signed', name: '欧彤欣', cohort: '2026', from: '2026-06-01' })
    emit(page, '#tabs', 'change', { value: 'all' })
    await flush()
    expect(calls[calls.length - 1].query).toEqual({ name: '欧彤欣', cohort: '2026', from: '2026-06-01' })
  })

  test('the detail\'s buttons are the API\'s allowed_actions: 修改邀约, later 申请解约', async () => {
    const { page, wx } = await open('pages/employer/invitation/detail', { id: '12' }, { 'GET /employer/invitations/12': { body: fixture('employer_invitation') } })
    expect(text(page, '#progress')).toContain('学生处理')
    expect(page.querySelector('#terminate-btn')).toBeUndefined()
    tap(page, '#modify-btn')
    await flush()
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/employer/invitation/form?id=12' })

    const effective = { ...fixture('employer_invitation'), state: 'effective', state_label: '已签约', agreement_no: '1202610532000017', allowed_actions: ['request_termination'], signed_elsewhere: false }
    const signed = await open('pages/employer/invitation/detail', { id: '12' }, { 'GET /employer/invitations/12': { body: effective } })
    expect(signed.page.querySelector('#modify-btn')).toBeUndefined()
    tap(signed.page, '#terminate-btn')
    await flush()
    expect(signed.wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/employer/termination/request?invitation_id=12' })
  })
})
