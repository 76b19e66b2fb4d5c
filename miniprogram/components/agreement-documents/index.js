// 电子协议书: the agreement's PDF (查看协议书) and phone preview (预览), and the 解约函 once a
// termination is approved. Shown by the agreement pages once the agreement has its number (the
// documents endpoint answers 409 before). Rendering happens in a background job after each state
// change: while a document is "rendering" the status is asked again every POLL_MS, at most
// POLL_MAX times, then 刷新 lets the user ask again.
const documents = require('../../services/documents')

const POLL_MS = 3000
const POLL_MAX = 5

Component({
  options: { addGlobalClass: true },
  properties: {
    agreementId: { type: Number, value: 0 },
    letterOnly: { type: Boolean, value: false }, // the termination page: the 解约函 alone
  },
  data: {
    loading: false,
    agreement: null, // AgreementDocumentOut
    letter: null, // TerminationLetterOut, when a termination was approved
    rendering: false,
    stalled: false, // still rendering after POLL_MAX polls: offer 刷新
    busy: '', // the download under way: pdf | png | letter
    errorMessage: '',
  },
  observers: {
    agreementId(id) {
      if (id) this.refresh()
    },
  },
  lifetimes: {
    detached() {
      this.stopPolling()
    },
  },
  methods: {
    refresh() {
      this.stopPolling()
      this.polls = 0
      this.setData({ stalled: false })
      return this.load()
    },

    load() {
      this.setData({ loading: true, errorMessage: '' })
      return documents.getDocuments(this.data.agreementId)
        .then(docs => this.show(docs))
        .catch(err => this.setData({ errorMessage: err.message }))
        .then(() => this.setData({ loading: false }))
    },

    show({ agreement, termination_letter: letter }) {
      const watched = this.data.letterOnly ? [letter] : [agreement, letter]
      const rendering = watched.some(d => d && d.status === 'rendering')
      this.setData({ agreement, letter: letter || null, rendering, stalled: rendering && this.polls >= POLL_MAX })
      if (rendering && this.polls < POLL_MAX) {
        this.polls += 1
        this.timer = setTimeout(() => { this.timer = null; this.load() }, POLL_MS)
      }
    },

    stopPolling() {
      if (this.timer) clearTimeout(this.timer)
      this.timer = null
    },

    openPdf() {
      return this.download('pdf', documents.openAgreement)
    },

    previewPng() {
      return this.download('png', documents.previewAgreement)
    },

    openLetter() {
      return this.download('letter', documents.openTerminationLetter)
    },

    // One download at a time; a 409 means the file is being (re)made: show the new status.
    download(what, call) {
      if (this.data.busy) return Promise.resolve()
      this.setData({ busy: what, errorMessage: '' })
      return call(this.data.agreementId)
        .catch(err => {
          this.setData({ errorMessage: err.message })
          if (err.status === 409) return this.refresh().then(() => this.setData({ errorMessage: err.message }))
        })
        .then(() => this.setData({ busy: '' }))
    },
  },
})
