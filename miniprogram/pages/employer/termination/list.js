const { terminationListPage } = require('../../../utils/termination-list')
const employer = require('../../../services/employer')

Page(terminationListPage(employer, 'employer'))
