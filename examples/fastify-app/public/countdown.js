// Progressive enhancement of "You can ask for another code in N s": the number counts down, the "Send another code"
// button waits until then, and the sentence says when a new code can be sent. Without JavaScript the sentence
// stands as the server wrote it and the button works (the server answers "a moment ago" if pressed too soon).
'use strict'
;(function () {
  document.querySelectorAll('.countdown[data-seconds]').forEach(function (el) {
    let left = parseInt(el.dataset.seconds, 10)
    if (!(left > 0)) return
    const form = el.closest('form')
    const button = form ? form.querySelector('button[data-wait]') : null
    const line = el.closest('.resend')
    if (button) button.disabled = true
    const timer = setInterval(function () {
      left -= 1
      if (left > 0) {
        el.textContent = String(left)
        return
      }
      clearInterval(timer)
      if (button) button.disabled = false
      if (line) line.textContent = 'You can ask for another code now.'
    }, 1000)
  })
})()
