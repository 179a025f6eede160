// Progressive enhancement of "You can ask for another code in N s": the number counts down, the "Send another code"
// button waits until then, and the sentence says when a new code can be sent. Without JavaScript the sentence
// stands as the server wrote it and the button works (the server answers "a moment ago" if pressed too soon).
// The count runs against a deadline, not by counting ticks: a background tab's timers slow down, the clock does not.
'use strict'
;(function () {
  /** Starts every countdown under `root` not started yet (enroll.js calls it for a sentence it writes). */
  function startCountdowns (root) {
    root.querySelectorAll('.countdown[data-seconds]:not([data-started])').forEach(function (el) {
      const seconds = parseInt(el.dataset.seconds, 10)
      if (!(seconds > 0)) return
      el.dataset.started = '1'
      const deadline = Date.now() + seconds * 1000
      const form = el.closest('form')
      const button = el.dataset.button
        ? document.getElementById(el.dataset.button)
        : form ? form.querySelector('button[data-wait]') : null
      const line = el.closest('.resend')
      if (button) button.disabled = true
      const timer = setInterval(function () {
        // Replaced by a newer sentence (another code sent): that one's countdown holds the button now.
        if (!el.isConnected) return clearInterval(timer)
        const left = Math.ceil((deadline - Date.now()) / 1000)
        if (left > 0) {
          if (el.textContent !== String(left)) el.textContent = String(left)
          return
        }
        clearInterval(timer)
        if (button) button.disabled = false
        if (line) line.textContent = 'You can ask for another code now.'
      }, 250)
    })
  }
  window.startCountdowns = startCountdowns
  startCountdowns(document)
})()
