module.exports = {
  testEnvironment: 'jsdom',
  testMatch: ['<rootDir>/test/**/*.test.js'],
  setupFiles: ['<rootDir>/test/helpers/setup.js'],
  resetModules: true,
  testTimeout: 15000, // the first page mount of a run compiles every template with wcc
  // TDesign ships ES modules in miniprogram_npm/ (as the mini-program runtime reads them);
  // jest runs CommonJS, so those files are transformed. Bare imports inside them (tslib, dayjs)
  // resolve in miniprogram_npm/ like the runtime does.
  transform: { '\\.js$': ['babel-jest', { babelrc: false, configFile: false, plugins: ['@babel/plugin-transform-modules-commonjs'] }] },
  moduleDirectories: ['node_modules', 'miniprogram_npm'],
}
