// 网签 mini-program. Log-in is driven by pages/login (the first page); the token lives in storage.
App({
  globalData: {},
})
