// Where the API lives, per mini-program environment (develop = the devtools and `make run`).
// The trial/release hosts must be listed as request domains in the mini-program console.
const API_BASE = {
  develop: 'http://127.0.0.1:5000/api/v1',
  trial: 'https://wq-staging.example.edu.cn/api/v1',
  release: 'https://wq.example.edu.cn/api/v1',
}

function envVersion() {
  try {
    return wx.getAccountInfoSync().miniProgram.envVersion || 'develop'
  } catch (e) {
    return 'develop'
  }
}

module.exports = {
  apiBase() {
    return API_BASE[envVersion()] || API_BASE.develop
  },
  TOKEN_KEY: 'wq_token',
  ROLE_KEY: 'wq_role',
  LOGIN_PAGE: '/pages/login/index',
  // Each role's home; a role missing here uses the desktop only.
  HOME_PAGES: {
    student: '/pages/student/home/index',
    employer_user: '/pages/employer/home/index',
    // Reviewers bind with their desktop username and password (the employer form).
    college_reviewer: '/pages/reviewer/home/index',
    school_reviewer: '/pages/reviewer/home/index',
  },
}
