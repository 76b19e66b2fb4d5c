const { terminationListPage } = require('../../../utils/termination-list')
const student = require('../../../services/student')

Page(terminationListPage(student, 'student'))
