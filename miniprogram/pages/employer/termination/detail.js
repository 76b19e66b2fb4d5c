const { terminationPage } = require('../../../utils/termination-page')
const employer = require('../../../services/employer')

Page(terminationPage(employer, 'employer'))
