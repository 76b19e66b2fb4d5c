// 构建 npm: copies each package of "dependencies" into miniprogram_npm/, as WeChat DevTools'
// "工具 → 构建 npm" does — with the builder DevTools ships (miniprogram-ci's packNpm), so the
// folder DevTools would make and the one the jest suite renders are the same.
// Building npm touches no WeChat server: the project needs no upload key for it.
const path = require('path')
const ci = require('miniprogram-ci')

const root = path.resolve(__dirname, '..')
const project = new ci.Project({
  appid: require('../project.config.json').appid,
  type: 'miniProgram',
  projectPath: root,
  privateKey: 'build-npm-uses-no-key',
  ignores: ['node_modules/**/*', 'test/**/*', 'scripts/**/*'],
})

ci.packNpm(project, { reporter: r => console.log(`miniprogram_npm: ${r.miniprogram_pack_num} mini-program package(s), ${r.other_pack_num} other(s) built in ${r.pack_time} ms`) })
  .then(warnings => {
    warnings.forEach(w => console.warn(`warning: ${w.msg || JSON.stringify(w)}`))
  })
  .catch(err => {
    console.error(err)
    process.exit(1)
  })
