// Runs before each test file: the mini-program globals the framework would provide.
require('miniprogram-simulate') // defines global Component and a default wx

// Page(options) → a component whose methods are the page's handlers and lifecycle functions;
// tests call page.instance.onLoad(query) as the framework would.
global.Page = options => {
  const methods = {}
  Object.keys(options).forEach(key => {
    if (typeof options[key] === 'function') methods[key] = options[key]
  })
  global.Component({ data: options.data || {}, methods })
}
global.getApp = () => ({ globalData: {} })
global.getCurrentPages = () => []
