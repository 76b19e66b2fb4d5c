// Load a page (or component) of this mini-program into miniprogram-simulate.
const crypto = require('crypto')
const fs = require('fs')
const path = require('path')
const simulate = require('miniprogram-simulate')
const jComponent = require('j-component') // the instance miniprogram-simulate renders with

const ROOT = path.resolve(__dirname, '../..')

// usingComponents paths that are neither relative nor absolute name an npm package: the
// runtime looks them up in miniprogram_npm/ (what "构建 npm" made). miniprogram-simulate would
// take them as relative to the page, so they are made absolute here, as the runtime reads them.
const utils = require('miniprogram-simulate/src/utils')
const readJson = utils.readJson
utils.readJson = file => {
  const json = readJson(file)
  const using = json && json.usingComponents
  if (using) {
    Object.keys(using).forEach(tag => {
      if (!/^[./]/.test(using[tag])) using[tag] = `/miniprogram_npm/${using[tag]}`
    })
  }
  return json
}

// WXML is compiled by WeChat's own compiler (wcc, from miniprogram-compiler), as DevTools does:
// TDesign's templates use WXS modules and expressions the pure-JS compiler cannot read. wcc
// compiles every .wxml under the root at once (TDesign included, ~4 s), so its output is kept
// on disk per set of sources and each test file reads it back.
function templates(dir, prefix = '') {
  return fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name)).flatMap(entry => {
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : templates(path.join(dir, entry.name), `${prefix}${entry.name}/`)
    return /\.(wxml|wxs)$/.test(entry.name) ? [`${prefix}${entry.name}`] : []
  })
}

const wcc = require('miniprogram-compiler')
const wxmlToJs = wcc.wxmlToJs
wcc.wxmlToJs = (rootPath, options) => {
  const sources = templates(rootPath)
  const hash = crypto.createHash('sha256')
  sources.forEach(file => {
    const stat = fs.statSync(path.join(rootPath, file))
    hash.update(`${file}:${stat.size}:${stat.mtimeMs}\n`)
  })
  const cached = path.join(rootPath, 'node_modules', '.cache', 'wq-wcc', `${hash.digest('hex').slice(0, 32)}.js`)
  if (fs.existsSync(cached)) return fs.readFileSync(cached, 'utf8')
  const compiled = wxmlToJs(rootPath, options)
  fs.mkdirSync(path.dirname(cached), { recursive: true })
  fs.writeFileSync(`${cached}.tmp${process.pid}`, compiled)
  fs.renameSync(`${cached}.tmp${process.pid}`, cached)
  return compiled
}

// The builtin tags simulate registers drop their attributes; give the ones the tests look at
// their properties so `disabled` and `checked` can be read back.
jComponent.register({ id: 'button', tagName: 'wx-button', template: '<slot/>', properties: { disabled: Boolean, loading: Boolean } })
jComponent.register({ id: 'checkbox', tagName: 'wx-checkbox', template: '<slot/>', properties: { value: String, checked: Boolean } })

// Each mount runs the page's JS afresh (a cached require would skip its Page/Component call).
function mount(relativePath, props) {
  let id
  jest.isolateModules(() => {
    id = simulate.load(path.join(ROOT, relativePath), { rootPath: ROOT, compiler: 'official', compilerOptions: { maxBuffer: 64 * 1024 * 1024 } })
  })
  const comp = simulate.render(id, props)
  comp.attach(document.createElement('parent-wrapper'))
  return comp
}

// TDesign components are virtual hosts (no element of their own, as on WeChat ≥ 2.19.2): what
// the user sees and taps is their first rendered node.
function find(comp, selector) {
  const node = typeof selector === 'string' ? comp.querySelector(selector) : selector
  if (!node) throw new Error(`nothing matches ${selector}`)
  return node
}

// The elements an exparser node shows: its own, or (virtual hosts, wx:if/block wrappers,
// shadow roots) those of its children.
function elements(exNode) {
  if (exNode.$$) return [exNode.$$]
  if (exNode.shadowRoot) return elements(exNode.shadowRoot)
  return (exNode.childNodes || []).flatMap(elements)
}

function firstShown(exNode) {
  if (exNode.$$) return exNode
  if (exNode.shadowRoot) return firstShown(exNode.shadowRoot)
  for (const child of exNode.childNodes || []) {
    const found = firstShown(child)
    if (found) return found
  }
  return null
}

function surface(node) {
  if (node.dom) return node
  const shown = firstShown(node._exparserNode)
  if (!shown) throw new Error('a virtual-host component with nothing rendered')
  return shown.__componentNode__ || new node.constructor(shown)
}

function text(comp, selector) {
  const node = typeof selector === 'string' ? comp.querySelector(selector) : selector
  return node ? elements(node._exparserNode).map(d => d.textContent).join(' ').replace(/\s+/g, ' ').trim() : null
}

const isDisabled = (comp, selector) => !!find(comp, selector).data.disabled

// A user cannot tap a disabled button: neither can the tests.
function tap(comp, selector) {
  const node = find(comp, selector)
  if (node.data && (node.data.disabled || node.data._disabled || node.data.loading)) return false
  surface(node).dispatchEvent('tap')
  return true
}

// Typing into a native input, a TDesign t-input/t-textarea/t-search (their inner native field).
function input(comp, selector, value) {
  const node = find(comp, selector)
  const field = node.dom ? node : node.querySelector('.t-input__control, .t-textarea__wrapper-inner, .t-input__keyword')
  if (!field) throw new Error(`${selector} has no text field`)
  field.dispatchEvent('input', { detail: { value, cursor: String(value).length } })
}

// What a TDesign widget reports when the user picks something (a picker's confirm, a tab change…).
function emit(comp, selector, eventName, detail = {}) {
  find(comp, selector).instance.triggerEvent(eventName, detail)
}

// The page's t-dialog (TDesign Dialog.confirm): tap its confirm or cancel button.
function answerDialog(comp, confirm = true, selector = '#t-dialog') {
  const dialog = find(comp, selector)
  if (!dialog.data.visible) throw new Error(`${selector} is not open`)
  return tap(comp, dialog.querySelector(confirm ? '.t-dialog__button--confirm' : '.t-dialog__button--cancel'))
}

// A declarative t-dialog's confirm/cancel button (to read `disabled`, or tap it).
function dialogButton(comp, selector, confirm = true) {
  const dialog = find(comp, selector)
  return dialog.querySelector(confirm ? '.t-dialog__button--confirm' : '.t-dialog__button--cancel')
}

const isOpen = (comp, selector) => !!find(comp, selector).data.visible

module.exports = { ROOT, mount, text, isDisabled, tap, input, emit, answerDialog, dialogButton, isOpen }
