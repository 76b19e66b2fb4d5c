// What a list shows when it has nothing (an action may go in the slot).
Component({
  properties: {
    text: { type: String, value: '暂无数据' },
  },
})
