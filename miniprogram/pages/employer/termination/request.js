const { terminationRequestPage } = require('../../../utils/termination-request')
const employer = require('../../../services/employer')

Page(terminationRequestPage(employer, 'employer'))
