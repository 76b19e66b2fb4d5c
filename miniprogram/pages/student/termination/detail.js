const { terminationPage } = require('../../../utils/termination-page')
const student = require('../../../services/student')

Page(terminationPage(student, 'student'))
