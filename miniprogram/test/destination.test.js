// 其他去向: the list with its notice, the form (category → sub-category → the category's fields,
// 派遣信息, 档案信息 with 未迁入), the detail (evidence upload, 送审, 撤回, 申请注销).
const { installWx, flush } = require('./helpers/wx')
const { mount, text, tap, input, emit, answerDialog, isOpen } = require('./helpers/page')
const { fixture } = require('./fixtures')

async function open(path, options, routes) {
  const env = installWx({ routes })
  const page = mount(path)
  page.instance.onLoad(options)
  await flush()
  return { ...env, page }
}

const CATEGORIES = { 'GET /destination-categories': { body: fixture('destination_categories') } }
const REGIONS = { 'GET /dictionaries/region': call => ({ body: fixture(call.query.parent === '430000' ? 'dict_region_hunan' : 'dict_region_top') }) }
const writes = calls => calls.filter(c => c.method !== 'GET')

test('the list shows the notice and my registration; no second one can be started', async () => {
  const { page, wx } = await open('pages/student/destination/index', {}, {
    ...CATEGORIES, 'GET /student/other-destinations': { body: fixture('destinations_student') },
  })
  expect(text(page, '#notice')).toContain('只有非协议就业')
  const [item] = fixture('destinations_student').items
  expect(text(page, `#item-${item.id}`)).toContain(item.unit_name)
  expect(page.querySelector('#create-btn')).toBeUndefined()
  tap(page, `#item-${item.id}`)
  await flush()
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: `/pages/student/destination/detail?id=${item.id}` })
})

test('an empty list offers 录入其他去向', async () => {
  const { page, wx } = await open('pages/student/destination/index', {}, {
    ...CATEGORIES, 'GET /student/other-destinations': { body: { items: [], next_cursor: null } },
  })
  expect(text(page, '#empty')).toBe('尚未登记其他去向')
  tap(page, '#create-btn')
  await flush()
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/student/destination/form' })
})

test('the form follows the category: sub-categories, choices that depend on each other, 派遣 and 档案', async () => {
  const { page, calls, wx } = await open('pages/student/destination/form', {}, {
    ...CATEGORIES, ...REGIONS, 'POST /student/other-destinations': { body: fixture('destination_saved') },
  })
  expect(page.querySelector('#fields')).toBeUndefined()
  emit(page, '#category', 'change', { value: '80' })
  await flush()
  expect(page.data.childOptions.map(o => o.value)).toEqual(['801', '802'])
  emit(page, '#subcategory', 'change', { value: '801' })
  await flush()
  expect(text(page, '#dispatch')).toContain('录取院校名称')
  expect(text(page, '#evidence-hint')).toContain('录取通知书')
  const disposition = () => page.data.fields.find(f => f.key === 'archive_disposition')
  expect(disposition().offered.map(o => o.value)).toEqual(['institution'])  // nothing chosen yet
  emit(page, '#field-study_mode', 'change', { value: 'part_time' })
  await flush()
  expect(disposition().offered.map(o => o.value)).toEqual(['home', 'agency', 'employer', 'institution'])
  expect(page.data.form.fields.archive_disposition).toBe('home')  // 迁回原籍 by default
  emit(page, '#field-study_mode', 'change', { value: 'full_time' })
  await flush()
  expect(page.data.form.fields.archive_disposition).toBeUndefined()  // 迁回原籍 is not for 全日制
  emit(page, '#field-archive_disposition', 'change', { value: 'institution' })
  await flush()
  input(page, '#field-admitting_institution', '湖南大学')
  tap(page, '#field-institution_region')
  await flush()
  expect(isOpen(page, '#region-picker')).toBe(true)
  emit(page, '#region-picker', 'change', { value: '430100', selectedOptions: [{ label: '湖南省', value: '430000' }, { label: '长沙市', value: '430100' }] })
  await flush()
  expect(text(page, '#field-institution_region')).toContain('湖南省 长沙市')
  input(page, '#archive-address', '长沙市芙蓉区五一大道98号')
  tap(page, '#save-btn')
  await flush()
  const [post] = writes(calls)
  expect(post.path).toBe('/student/other-destinations')
  expect(post.data).toMatchObject({
    category_code: '80', subcategory_code: '801', submit: false,
    fields: { admitting_institution: '湖南大学', institution_region: '430100', study_mode: 'full_time', archive_disposition: 'institution' },
    archive: { address: '长沙市芙蓉区五一大道98号', hukou_not_moved: false },
  })
  expect(post.header['Idempotency-Key']).toBeTruthy()
  expect(wx.redirectTo).toHaveBeenCalledWith({ url: `/pages/student/destination/detail?id=${fixture('destination_saved').id}` })
})

test('the API\'s field errors are shown beside the fields', async () => {
  const refused = { error: { code: 'VALIDATION_FAILED', message: '去向信息有误，请检查后重试', fields: { 'archive.address': '档案转递地址应精确到门牌号' } } }
  const { page } = await open('pages/student/destination/form', {}, {
    ...CATEGORIES, ...REGIONS, 'POST /student/other-destinations': { status: 400, body: refused },
  })
  emit(page, '#category', 'change', { value: '70' })
  await flush()
  emit(page, '#hukou-not-moved', 'change', { value: true })
  input(page, '#archive-address', '长沙市芙蓉区五一大道')
  tap(page, '#send-btn')
  await flush()
  expect(text(page, '#error-archive-address')).toBe('档案转递地址应精确到门牌号')
  expect(text(page, '#action-error')).toContain('去向信息有误')
  expect(page.querySelector('#hukou-address')).toBeUndefined()
})

test('a draft shows what 送审 still needs; evidence is uploaded, then it is sent', async () => {
  const { page, calls, wx } = await open('pages/student/destination/detail', { id: '1' }, {
    ...CATEGORIES,
    'GET /student/other-destinations/1': { body: fixture('destination_draft') },
    'POST /student/other-destinations/1/evidence': { body: fixture('destination_ready') },
    'POST /student/other-destinations/1/submit': { body: fixture('destination_submitted') },
  })
  expect(text(page, '#state')).toBe('暂存')
  expect(text(page, '#missing')).toContain('请上传证明材料')
  expect(page.querySelector('#submit-btn')).toBeUndefined()
  wx.chooseMedia.mockImplementation(opts => opts.success({ tempFiles: [{ tempFilePath: 'wxfile://tmp/offer.png' }] }))
  tap(page, '#upload-btn')
  await flush()
  const upload = writes(calls)[0]
  expect(upload).toMatchObject({ path: '/student/other-destinations/1/evidence', file: { name: 'file', path: 'wxfile://tmp/offer.png' } })
  expect(page.querySelector('#missing')).toBeUndefined()
  expect(text(page, '#evidence')).toContain('证明材料1')
  tap(page, '#submit-btn')
  await flush()
  answerDialog(page, true)
  await flush()
  expect(writes(calls)[1].path).toBe('/student/other-destinations/1/submit')
  expect(text(page, '#state')).toBe('等待学院审核')
  expect(page.querySelector('#withdraw-btn')).toBeTruthy()
  expect(text(page, '#category')).toContain('境内升学（研究生）')
})

test('an approved destination is cancelled with a reason (a multipart form without an image)', async () => {
  const { page, calls } = await open('pages/student/destination/detail', { id: '1' }, {
    ...CATEGORIES,
    'GET /student/other-destinations/1': { body: fixture('destination_approved') },
    'POST /student/other-destinations/1/cancellations': { body: fixture('destination_cancel_requested') },
  })
  expect(text(page, '#state')).toBe('审核通过')
  tap(page, '#cancel-btn')
  await flush()
  expect(isOpen(page, '#cancel-dialog')).toBe(true)
  answerDialog(page, true, '#cancel-dialog')
  await flush()
  expect(text(page, '#reason-error')).toBe('请填写注销原因')
  expect(writes(calls)).toHaveLength(0)
  input(page, '#cancel-reason-input', '已与单位签订就业协议')
  await flush()
  answerDialog(page, true, '#cancel-dialog')
  await flush()
  const [post] = writes(calls)
  expect(post.header['Content-Type']).toMatch(/^multipart\/form-data; boundary=/)
  expect(post.data).toContain('name="reason"\r\n\r\n已与单位签订就业协议')
  expect(text(page, '#state')).toBe('注销申请等待学院审核')
  expect(isOpen(page, '#cancel-dialog')).toBe(false)
})
