const { terminationRequestPage } = require('../../../utils/termination-request')
const student = require('../../../services/student')

Page(terminationRequestPage(student, 'student'))
