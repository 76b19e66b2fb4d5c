// A state's label in its colour: the API sends the state string and its Chinese label.
const TONES = {
  invited: 'pending',
  college_review: 'review',
  school_review: 'review',
  effective: 'success',
  rejected: 'failed',
  expired: 'failed',
  review_rejected: 'failed',
  voided: 'closed',
  invalidated: 'closed',
  terminated: 'closed',
  // 解约 states (college_review, school_review and rejected read the same as above)
  awaiting_party: 'pending',
  disagreed: 'failed',
  approved: 'success',
}

Component({
  properties: {
    state: { type: String, value: '' },
    label: { type: String, value: '' },
  },
  data: { tone: 'neutral' },
  observers: {
    state(state) {
      this.setData({ tone: TONES[state] || 'neutral' })
    },
  },
})
