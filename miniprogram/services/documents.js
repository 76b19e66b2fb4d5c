// The e-agreement's documents (API.md "GET /agreements/{id}/document"), the same for the student
// and the employer: the agreement id is the invitation's id. Downloads go through wx.downloadFile
// (utils/request.download), then WeChat's own viewers show them.
const { request, download, ApiError } = require('../utils/request')

const agreement = id => `/agreements/${encodeURIComponent(id)}`

// Whether the PDF/PNG and the 解约函 are ready (status ready | rendering); 409 before numbering.
function getDocuments(id) {
  return request({ path: `${agreement(id)}/documents` })
}

function viewerError(what) {
  return () => Promise.reject(new ApiError({ status: 0, code: 'VIEWER_FAILED', message: `无法打开${what}，请稍后再试` }))
}

// A PDF in WeChat's document viewer, with its menu (forward, save, print).
function openPdf(filePath) {
  return new Promise((resolve, reject) => {
    wx.openDocument({ filePath, fileType: 'pdf', showMenu: true, success: resolve, fail: reject })
  }).catch(viewerError('文件'))
}

// 查看协议书: the A4 PDF (the employer's copy has the student's ID number and phone masked).
function openAgreement(id) {
  return download({ path: `${agreement(id)}/document` }).then(openPdf)
}

// 预览: the pages as one phone-wide PNG in the image viewer.
function previewAgreement(id) {
  return download({ path: `${agreement(id)}/document.png` }).then(filePath => new Promise((resolve, reject) => {
    wx.previewImage({ urls: [filePath], current: filePath, success: resolve, fail: reject })
  }).catch(viewerError('预览图')))
}

// The 解约函 of the agreement's approved termination (PDF).
function openTerminationLetter(id) {
  return download({ path: `${agreement(id)}/termination-letter` }).then(openPdf)
}

module.exports = { getDocuments, openAgreement, previewAgreement, openTerminationLetter }
