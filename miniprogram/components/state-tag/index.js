// A state's label as a TDesign tag in the state's colour: the API sends the state and its label.
const THEMES = {
  invited: 'primary',
  college_review: 'warning',
  school_review: 'warning',
  effective: 'success',
  rejected: 'danger',
  expired: 'danger',
  review_rejected: 'danger',
  voided: 'default',
  invalidated: 'default',
  terminated: 'default',
  // 解约 states (college_review, school_review and rejected read the same as above)
  awaiting_party: 'primary',
  disagreed: 'danger',
  approved: 'success',
}

Component({
  properties: {
    state: { type: String, value: '' },
    label: { type: String, value: '' },
  },
  data: { theme: 'default' },
  observers: {
    state(state) {
      this.setData({ theme: THEMES[state] || 'default' })
    },
  },
})
