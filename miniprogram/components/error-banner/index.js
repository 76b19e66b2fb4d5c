// An inline error message (the API's Chinese message), with an optional retry button.
Component({
  properties: {
    message: { type: String, value: '' },
    retryable: { type: Boolean, value: false },
  },
  methods: {
    onRetry() {
      this.triggerEvent('retry')
    },
  },
})
