// 线下签约 screens: the list and 录入协议书, the draft saved (暂不提交), generation after two
// confirmations, the download, the stamped scan (a refusal says whose QR code it carried), and
// the termination request with its proof.
const { installWx, flush } = require('./helpers/wx')
const { mount, text, tap, input, answerDialog } = require('./helpers/page')
const { fixture } = require('./fixtures')

async function open(path, options, routes) {
  const env = installWx({ routes })
  const page = mount(path)
  page.instance.onLoad(options)
  await flush()
  return { ...env, page }
}

const posts = calls => calls.filter(c => c.method !== 'GET')
const DICTS = {
  'GET /dictionaries/industry': { body: fixture('dict_job_category') },
  'GET /dictionaries/unit_nature': { body: fixture('dict_job_category') },
  'GET /dictionaries/job_category': { body: fixture('dict_job_category') },
  'GET /dictionaries/region?top=true': { body: fixture('dict_region_top') },
}

test('the list offers 录入协议书 only when the student may enter one', async () => {
  const empty = await open('pages/student/paper/list', {}, { 'GET /student/paper-agreements': { body: fixture('paper_list_empty') } })
  expect(tap(empty.page, '#create-btn')).toBe(true)
  await flush()
  expect(empty.wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/student/paper/form' })
  const held = await open('pages/student/paper/list', {}, { 'GET /student/paper-agreements': { body: fixture('paper_list') } })
  expect(held.page.querySelector('#create-btn')).toBeUndefined()
  expect(text(held.page, '#blocker')).toContain('不能再进行线下签约')
  expect(text(held.page, '#papers')).toContain('长沙麓山精密机械有限公司')
})

test('a draft is saved with only what was entered (暂不提交)', async () => {
  const { page, calls, wx } = await open('pages/student/paper/form', {}, {
    ...DICTS, 'POST /student/paper-agreements': { status: 201, body: fixture('paper_draft') },
  })
  input(page, '#employer-name', '长沙麓山精密机械有限公司')
  input(page, '#probation_salary', '6000')
  await flush()
  tap(page, '#save-btn')
  await flush()
  const [post] = posts(calls)
  expect(post.data).toEqual({ content: { employer: { name: '长沙麓山精密机械有限公司' }, terms: { probation_salary: 6000 }, archive: { archive_receiving: 'employer', hukou_receiving: 'not_received' } } })
  expect(wx.redirectTo).toHaveBeenCalledWith({ url: '/pages/student/paper/detail?id=3' })
})

test('generation needs both confirmations, then goes to review', async () => {
  const { page, calls } = await open('pages/student/paper/detail', { id: '3' }, {
    'GET /student/paper-agreements/3': { body: fixture('paper_draft') },
    'POST /student/paper-agreements/3/generate': { body: fixture('paper_generated') },
  })
  expect(text(page, '#state')).toBe('暂不提交（草稿）')
  tap(page, '#generate-btn')
  await flush()
  expect(text(page, '#t-dialog')).toContain('协议书生成须知')
  answerDialog(page, true)
  await flush()
  expect(posts(calls)).toHaveLength(0)
  expect(text(page, '#t-dialog')).toContain('不可更改')
  answerDialog(page, true)
  await flush()
  const [post] = posts(calls)
  expect(post).toMatchObject({ path: '/student/paper-agreements/3/generate', data: { confirm: true } })
  expect(post.header['Idempotency-Key']).toBeTruthy()
  expect(text(page, '#state')).toBe('协议书待学院审核')
  expect(page.querySelector('#generate-btn')).toBeUndefined()
})

test('the school\'s minimum wage and damages cap are flagged on the draft', async () => {
  const draft = { ...fixture('paper_draft'), checks: ['违约金2000元高于华夏示范大学规定的上限1000元'] }
  const { page } = await open('pages/student/paper/detail', { id: '3' }, { 'GET /student/paper-agreements/3': { body: draft } })
  expect(text(page, '.check')).toContain('违约金2000元高于华夏示范大学规定的上限1000元')
  expect(page.querySelector('#generate-btn')).toBeDefined()
})

test('cancelling either confirmation generates nothing', async () => {
  const { page, calls } = await open('pages/student/paper/detail', { id: '3' }, {
    'GET /student/paper-agreements/3': { body: fixture('paper_draft') },
  })
  tap(page, '#generate-btn')
  await flush()
  answerDialog(page, false)
  await flush()
  expect(posts(calls)).toHaveLength(0)
})

test('awaiting feedback: download, then the stamped scan; a scan of another agreement is refused', async () => {
  const { page, calls, wx } = await open('pages/student/paper/detail', { id: '3' }, {
    'GET /student/paper-agreements/3': { body: fixture('paper_awaiting') },
    'POST /student/paper-agreements/3/feedback': [{ status: 400, body: fixture('error_scan_other') }, { body: fixture('paper_scan_submitted') }],
  })
  expect(text(page, '#agreement-no')).toContain('2202610532000001')
  expect(text(page, '#scan-notice')).toContain('二维码')
  wx.downloadFile = jest.fn(opts => opts.success({ statusCode: 200, tempFilePath: 'wxfile://tmp/agreement.pdf' }))
  wx.openDocument = jest.fn(opts => opts.success())
  tap(page, '#download-btn')
  await flush()
  expect(wx.downloadFile.mock.calls[0][0].url).toMatch(/\/paper-agreements\/3\/document$/)
  expect(wx.downloadFile.mock.calls[0][0].header.Authorization).toBe('Bearer tok-student')
  expect(wx.openDocument.mock.calls[0][0]).toMatchObject({ filePath: 'wxfile://tmp/agreement.pdf', fileType: 'pdf' })

  wx.chooseMedia = jest.fn(opts => opts.success({ tempFiles: [{ tempFilePath: 'wxfile://tmp/scan.jpg', size: 400000 }] }))
  tap(page, '#feedback-btn')
  await flush()
  expect(text(page, '#action-error')).toContain('另一份协议书')
  tap(page, '#feedback-btn')
  await flush()
  const uploads = wx.uploadFile.mock.calls.map(c => c[0])
  expect(uploads).toHaveLength(2)
  expect(uploads[1]).toMatchObject({ name: 'scan', filePath: 'wxfile://tmp/scan.jpg' })
  expect(text(page, '#state')).toBe('等待学院签约审核')
  expect(text(page, '#scan-match')).toContain('一致')
  expect(calls.length).toBeGreaterThan(0)
})

test('the termination request needs a type, a reason and the proof', async () => {
  const { page, wx } = await open('pages/student/paper/terminate', { id: '3' }, {
    'GET /student/paper-agreements/3': { body: fixture('paper_awaiting') },
    'POST /student/paper-agreements/3/terminations': { body: fixture('paper_awaiting') },
  })
  expect(text(page, '#proof-notice')).toContain('2MB')
  tap(page, '#submit-btn')
  await flush()
  expect(text(page, '#type-error')).toBe('请选择解约类型')
  expect(text(page, '#proof-error')).toBe('请上传解约证明')
  page.instance.onType({ detail: { value: 'mutual' } })
  input(page, '#reason', '双方协商一致')
  wx.chooseMedia = jest.fn(opts => opts.success({ tempFiles: [{ tempFilePath: 'wxfile://tmp/proof.png', size: 300000 }] }))
  tap(page, '#proof-btn')
  await flush()
  tap(page, '#submit-btn')
  await flush()
  answerDialog(page, true)
  await flush()
  const upload = wx.uploadFile.mock.calls[0][0]
  expect(upload).toMatchObject({ name: 'proof', filePath: 'wxfile://tmp/proof.png', formData: { type: 'mutual', reason: '双方协商一致', acknowledge: 'true' } })
  expect(wx.redirectTo).toHaveBeenCalledWith({ url: '/pages/student/paper/detail?id=3' })
})
