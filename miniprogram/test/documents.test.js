// 电子协议书 on the phone (issue 14): the agreement's PDF and preview once it has its number,
// 生成中 while the background job renders, the 解约函 after an approved termination, and the
// download errors (wx.downloadFile saves an error body to a file: its message is read back).
const { installWx, flush } = require('./helpers/wx')
const { mount, text, tap } = require('./helpers/page')
const { fixture } = require('./fixtures')

const STUDENT_DETAIL = 'GET /student/invitations/12'
const DOCUMENTS = 'GET /agreements/12/documents'
const PDF = 'GET /agreements/12/document'
const PNG = 'GET /agreements/12/document.png'
const LETTER = 'GET /agreements/12/termination-letter'
const EMPLOYER = { wq_token: 'tok-employer', wq_role: 'employer_user' }

// The letter after the school's approval: effective, with its number.
function effective(name = 'invitation_invited') {
  return { ...fixture(name), state: 'effective', state_label: '已生效', agreement_no: '1202610532000017', allowed_actions: [] }
}

async function open(path, options, routes, storage) {
  const env = installWx({ routes, storage })
  const page = mount(path)
  page.instance.onLoad(options)
  await flush()
  return { ...env, page }
}

const openStudent = (routes, detail = effective()) => open('pages/student/invitation/detail', { id: '12' }, { [STUDENT_DETAIL]: { body: detail }, ...routes })

// The nodes inside the 电子协议书 component (its own shadow tree).
const docs = page => page.querySelector('#documents')
const inDocs = (page, selector) => docs(page) && docs(page).querySelector(selector)
const docsText = page => text(page, docs(page))
const paths = calls => calls.map(c => `${c.method} ${c.path}`)

afterEach(() => jest.useRealTimers())

test('before the school has numbered the agreement there is no 电子协议书 and nothing is asked', async () => {
  const { page, calls } = await openStudent({}, fixture('invitation_invited'))
  expect(docs(page)).toBeUndefined()
  expect(paths(calls).filter(p => p.includes('/agreements/'))).toEqual([])
})

test('once numbered: 查看协议书 downloads the PDF with the token and opens it in WeChat\'s viewer', async () => {
  const { page, calls, wx } = await openStudent({ [DOCUMENTS]: { body: fixture('documents_ready') }, [PDF]: { body: '%PDF-1.4 …' } })
  expect(paths(calls)).toContain(DOCUMENTS)
  expect(docsText(page)).toContain('电子协议书')
  expect(text(page, inDocs(page, '#agreement'))).toMatch(/就业协议书.*编号 1202610532000017 · 已生效.*可下载/)
  expect(text(page, inDocs(page, '#open-pdf'))).toBe('查看协议书')
  expect(text(page, inDocs(page, '#preview-png'))).toBe('预览')
  expect(inDocs(page, '#letter')).toBeUndefined()
  expect(inDocs(page, '#rendering')).toBeUndefined()

  tap(page, inDocs(page, '#open-pdf'))
  await flush()
  const download = calls.find(c => c.download)
  expect(download).toMatchObject({ path: '/agreements/12/document', header: { Authorization: 'Bearer tok-student' } })
  expect(wx.downloadFile).toHaveBeenCalledTimes(1)
  expect(wx.openDocument).toHaveBeenCalledWith(expect.objectContaining({ filePath: expect.stringMatching(/^wxfile:\/\/tmp\//), fileType: 'pdf', showMenu: true }))
  expect(wx.previewImage).not.toHaveBeenCalled()
  expect(text(page, inDocs(page, '#documents-error'))).toBe('')
})

test('预览 downloads the PNG and shows it in the image viewer', async () => {
  const { page, calls, wx } = await openStudent({ [DOCUMENTS]: { body: fixture('documents_ready') }, [PNG]: { body: 'PNG…' } })
  tap(page, inDocs(page, '#preview-png'))
  await flush()
  expect(paths(calls.filter(c => c.download))).toEqual([PNG])
  const [{ urls, current }] = wx.previewImage.mock.calls[0]
  expect(urls).toEqual([current])
  expect(current).toMatch(/^wxfile:\/\/tmp\//)
  expect(wx.openDocument).not.toHaveBeenCalled()
})

// Fake timers for the polling; the scripted server answers through promises, settled here.
async function settle() {
  for (let i = 0; i < 5; i++) await jest.advanceTimersByTimeAsync(0)
}

async function openPolling(replies) {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] })
  const env = installWx({ routes: { [STUDENT_DETAIL]: { body: effective() }, [DOCUMENTS]: replies } })
  const page = mount('pages/student/invitation/detail')
  page.instance.onLoad({ id: '12' })
  await settle()
  return { ...env, page }
}

const statusCalls = calls => calls.filter(c => c.path === '/agreements/12/documents').length

test('while the PDF is rendering: 生成中 without buttons, asked again every 3 s until it is ready', async () => {
  const { page, calls } = await openPolling([
    { body: fixture('documents_rendering') }, { body: fixture('documents_rendering') }, { body: fixture('documents_ready') },
  ])
  expect(statusCalls(calls)).toBe(1)
  expect(text(page, inDocs(page, '#agreement'))).toContain('生成中')
  expect(text(page, inDocs(page, '#rendering'))).toContain('生成中')
  expect(inDocs(page, '#open-pdf')).toBeUndefined()
  expect(inDocs(page, '#preview-png')).toBeUndefined()

  await jest.advanceTimersByTimeAsync(2900)
  expect(statusCalls(calls)).toBe(1)
  await jest.advanceTimersByTimeAsync(100)
  await settle()
  expect(statusCalls(calls)).toBe(2)
  expect(inDocs(page, '#open-pdf')).toBeUndefined()

  await jest.advanceTimersByTimeAsync(3000)
  await settle()
  expect(statusCalls(calls)).toBe(3)
  expect(text(page, inDocs(page, '#agreement'))).toContain('可下载')
  expect(text(page, inDocs(page, '#open-pdf'))).toBe('查看协议书')
  expect(inDocs(page, '#rendering')).toBeUndefined()

  await jest.advanceTimersByTimeAsync(30000) // ready: no more polling
  expect(statusCalls(calls)).toBe(3)
})

test('still rendering after 5 polls: the polling stops and 刷新 asks again', async () => {
  const { page, calls } = await openPolling({ body: fixture('documents_rendering') })
  for (let i = 0; i < 5; i++) {
    expect(inDocs(page, '#refresh-btn')).toBeUndefined()
    await jest.advanceTimersByTimeAsync(3000)
    await settle()
  }
  expect(statusCalls(calls)).toBe(6) // the first look and 5 polls
  expect(text(page, inDocs(page, '#rendering'))).toContain('文件仍在生成，请稍后刷新')
  expect(text(page, inDocs(page, '#refresh-btn'))).toBe('刷新')
  await jest.advanceTimersByTimeAsync(60000)
  expect(statusCalls(calls)).toBe(6)

  tap(page, inDocs(page, '#refresh-btn'))
  await settle()
  expect(statusCalls(calls)).toBe(7)
  expect(inDocs(page, '#refresh-btn')).toBeUndefined() // polling again
  expect(text(page, inDocs(page, '#rendering'))).toContain('生成中')
})

test('leaving the page stops the polling', async () => {
  const { page, calls } = await openPolling({ body: fixture('documents_rendering') })
  page.detach()
  await jest.advanceTimersByTimeAsync(30000)
  expect(statusCalls(calls)).toBe(1)
})

test.each([
  ['student', 'pages/student/invitation/detail', {}],
  ['employer', 'pages/employer/invitation/detail', EMPLOYER],
])('%s: pulling the page down asks again whether the documents are ready', async (role, path, storage) => {
  const detail = role === 'student' ? effective() : effective('employer_invitation')
  const { page, calls, wx } = await open(path, { id: '12' }, {
    [`GET /${role}/invitations/12`]: { body: detail },
    [DOCUMENTS]: { body: fixture('documents_ready') },
  }, Object.keys(storage).length ? storage : undefined)
  expect(statusCalls(calls)).toBe(1)
  await page.instance.onPullDownRefresh()
  expect(statusCalls(calls)).toBe(2)
  expect(wx.stopPullDownRefresh).toHaveBeenCalled()
})

test('a 404 download shows the API\'s message read back from the downloaded file; nothing is opened', async () => {
  const { page, wx } = await openStudent({
    [DOCUMENTS]: { body: fixture('documents_ready') },
    [PDF]: { status: 404, body: fixture('error_agreement_not_found') },
  })
  tap(page, inDocs(page, '#open-pdf'))
  await flush()
  expect(text(page, inDocs(page, '#documents-error'))).toBe('邀约不存在或无权查看')
  expect(wx.openDocument).not.toHaveBeenCalled()
  expect(wx.reLaunch).not.toHaveBeenCalled()
  expect(inDocs(page, '#open-pdf').data.disabled).toBe(false) // may try again
})

test('a 404 without our envelope (a proxy\'s HTML page) gets the Chinese fallback', async () => {
  const { page, wx } = await openStudent({
    [DOCUMENTS]: { body: fixture('documents_ready') },
    [PNG]: { status: 404, body: '<html><body>Not Found</body></html>' },
  })
  tap(page, inDocs(page, '#preview-png'))
  await flush()
  expect(text(page, inDocs(page, '#documents-error'))).toBe('内容不存在或已被删除')
  expect(wx.previewImage).not.toHaveBeenCalled()
})

test('a 401 download clears the token and goes to the log-in page, coming back here after', async () => {
  global.getCurrentPages = () => [{ route: 'pages/student/invitation/detail', options: { id: '12' } }]
  try {
    const { page, wx, store } = await openStudent({
      [DOCUMENTS]: { body: fixture('documents_ready') },
      [PDF]: { status: 401, body: fixture('error_auth_required') },
    })
    tap(page, inDocs(page, '#open-pdf'))
    await flush()
    expect(wx.reLaunch).toHaveBeenCalledWith(expect.objectContaining({
      url: `/pages/login/index?redirect=${encodeURIComponent('/pages/student/invitation/detail?id=12')}`,
    }))
    expect(store.wq_token).toBeUndefined()
    expect(wx.openDocument).not.toHaveBeenCalled()
  } finally {
    global.getCurrentPages = () => []
  }
})

test('a 409 while the file is being remade shows the message and the new status (生成中)', async () => {
  const { page, calls } = await openStudent({
    [DOCUMENTS]: [{ body: fixture('documents_ready') }, { body: fixture('documents_rendering') }],
    [PDF]: { status: 409, body: fixture('error_document_rendering') },
  })
  tap(page, inDocs(page, '#open-pdf'))
  await flush()
  expect(statusCalls(calls)).toBe(2)
  expect(text(page, inDocs(page, '#documents-error'))).toBe('协议书状态已变化，文件正在更新，请稍后再试')
  expect(inDocs(page, '#open-pdf')).toBeUndefined()
  expect(text(page, inDocs(page, '#rendering'))).toContain('生成中')
  page.detach() // its next poll would outlive the test
})

test('a file WeChat\'s viewer cannot open says so', async () => {
  const { page, wx } = await openStudent({ [DOCUMENTS]: { body: fixture('documents_ready') }, [PDF]: { body: '%PDF-1.4 …' } })
  wx.openDocument.mockImplementation(opts => opts.fail({ errMsg: 'openDocument:fail filetype not supported' }))
  tap(page, inDocs(page, '#open-pdf'))
  await flush()
  expect(text(page, inDocs(page, '#documents-error'))).toBe('无法打开文件，请稍后再试')
})

test('a network failure while downloading says so', async () => {
  const { page } = await openStudent({ [DOCUMENTS]: { body: fixture('documents_ready') }, [PDF]: { networkError: true } })
  tap(page, inDocs(page, '#open-pdf'))
  await flush()
  expect(text(page, inDocs(page, '#documents-error'))).toBe('网络连接失败，请检查网络后重试')
})

test('the employer: the same 电子协议书 on the agreement page, downloaded with the employer\'s token', async () => {
  const { page, calls, wx } = await open('pages/employer/invitation/detail', { id: '12' }, {
    'GET /employer/invitations/12': { body: effective('employer_invitation') },
    [DOCUMENTS]: { body: fixture('documents_ready') },
    [PDF]: { body: '%PDF-1.4 …' },
  }, EMPLOYER)
  expect(docsText(page)).toContain('电子协议书')
  tap(page, inDocs(page, '#open-pdf'))
  await flush()
  expect(calls.find(c => c.download)).toMatchObject({ path: '/agreements/12/document', header: { Authorization: 'Bearer tok-employer' } })
  expect(wx.openDocument).toHaveBeenCalledWith(expect.objectContaining({ fileType: 'pdf', showMenu: true }))
})

test('the employer\'s letter before numbering shows no 电子协议书', async () => {
  const { page, calls } = await open('pages/employer/invitation/detail', { id: '12' }, {
    'GET /employer/invitations/12': { body: fixture('employer_invitation') },
  }, EMPLOYER)
  expect(page.data.detail.id).toBe(12)
  expect(docs(page)).toBeUndefined()
  expect(paths(calls).filter(p => p.includes('/agreements/'))).toEqual([])
})

test('a terminated agreement\'s page offers the 解约函 next to the agreement', async () => {
  const detail = { ...effective(), state: 'terminated', state_label: '已解约' }
  const { page, wx, calls } = await openStudent({ [DOCUMENTS]: { body: fixture('documents_terminated') }, [LETTER]: { body: '%PDF-1.4 …' } }, detail)
  expect(text(page, inDocs(page, '#agreement'))).toContain('已解约')
  expect(text(page, inDocs(page, '#letter'))).toMatch(/解约函.*可下载/)
  tap(page, inDocs(page, '#open-letter'))
  await flush()
  expect(paths(calls.filter(c => c.download))).toEqual([LETTER])
  expect(wx.openDocument).toHaveBeenCalledWith(expect.objectContaining({ fileType: 'pdf', showMenu: true }))
})

describe('the termination page', () => {
  const approved = { ...fixture('termination_waiting'), invitation_id: 12, state: 'approved', state_label: '已解约', allowed_actions: [], waiting_for_me: false }

  test.each([
    ['student', {}],
    ['employer', EMPLOYER],
  ])('%s: once approved, 查看解约函 opens the letter (the agreement\'s buttons stay on its own page)', async (role, storage) => {
    const { page, wx, calls } = await open(`pages/${role}/termination/detail`, { id: '4' }, {
      [`GET /${role}/terminations/4`]: { body: approved },
      [DOCUMENTS]: { body: fixture('documents_terminated') },
      [LETTER]: { body: '%PDF-1.4 …' },
    }, Object.keys(storage).length ? storage : undefined)
    expect(docsText(page)).toContain('解约函')
    expect(inDocs(page, '#open-pdf')).toBeUndefined()
    tap(page, inDocs(page, '#open-letter'))
    await flush()
    expect(paths(calls.filter(c => c.download))).toEqual([LETTER])
    expect(wx.openDocument).toHaveBeenCalledWith(expect.objectContaining({ fileType: 'pdf', showMenu: true }))
  })

  test('still waiting for the other party: no 解约函', async () => {
    const { page, calls } = await open('pages/student/termination/detail', { id: '4' }, {
      'GET /student/terminations/4': { body: fixture('termination_waiting') },
    })
    expect(docs(page)).toBeUndefined()
    expect(paths(calls).filter(p => p.includes('/agreements/'))).toEqual([])
  })
})
