// Load a page (or component) of this mini-program into miniprogram-simulate.
const path = require('path')
const simulate = require('miniprogram-simulate')
const jComponent = require('j-component') // the instance miniprogram-simulate renders with

const ROOT = path.resolve(__dirname, '../..')

// The builtin tags simulate registers drop their attributes; give the ones the tests look at
// their properties so `disabled` and `checked` can be read back.
jComponent.register({ id: 'button', tagName: 'wx-button', template: '<slot/>', properties: { disabled: Boolean, loading: Boolean } })
jComponent.register({ id: 'checkbox', tagName: 'wx-checkbox', template: '<slot/>', properties: { value: String, checked: Boolean } })

// Each mount runs the page's JS afresh (a cached require would skip its Page/Component call).
function mount(relativePath, props) {
  let id
  jest.isolateModules(() => {
    id = simulate.load(path.join(ROOT, relativePath), { rootPath: ROOT, compiler: 'simulate' })
  })
  const comp = simulate.render(id, props)
  comp.attach(document.createElement('parent-wrapper'))
  return comp
}

function text(comp, selector) {
  const node = comp.querySelector(selector)
  return node ? node.dom.textContent.replace(/\s+/g, ' ').trim() : null
}

const isDisabled = (comp, selector) => !!comp.querySelector(selector).data.disabled

// A user cannot tap a disabled button: neither can the tests.
function tap(comp, selector) {
  const node = comp.querySelector(selector)
  if (!node) throw new Error(`nothing matches ${selector}`)
  if (node.data && node.data.disabled) return false
  node.dispatchEvent('tap')
  return true
}

function input(comp, selector, value) {
  comp.querySelector(selector).dispatchEvent('input', { detail: { value } })
}

module.exports = { ROOT, mount, text, isDisabled, tap, input }
