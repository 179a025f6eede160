// Progressive enhancement of the forms: a form the browser sends is sent once. A double click on "Verify" would
// otherwise send the same code twice; Okta refuses the second as used, and that answer, arriving last, would be the
// page shown (and, with the session kept in the cookie, the session kept). A form a page's own script sends (it
// cancels the submit) stays as that script leaves it. Without JavaScript the forms work as before.
'use strict'
;(function () {
  // Capture: before the page's own handlers. A form already on its way is not sent again.
  document.addEventListener('submit', function (event) {
    const form = event.target
    if (form instanceof HTMLFormElement && form.dataset.sent === '1') {
      event.preventDefault()
      event.stopImmediatePropagation()
    }
  }, true)
  // Bubble: after them. Only a submit no script took over is the browser's own, and marks the form as sent.
  document.addEventListener('submit', function (event) {
    const form = event.target
    if (!(form instanceof HTMLFormElement) || event.defaultPrevented) return
    form.dataset.sent = '1'
    form.setAttribute('aria-busy', 'true')
    // A sending stopped (Esc, the Stop button) leaves the page here: after a while the form can be sent again. The
    // while is longer than the server takes to answer, or to give up on Okta (seconds), and shorter than a code lives.
    setTimeout(function () { release(form) }, 25000)
  })
  function release (form) {
    delete form.dataset.sent
    form.removeAttribute('aria-busy')
  }
  // Back to a page kept in the browser's cache: its forms may be sent again.
  window.addEventListener('pageshow', function () {
    document.querySelectorAll('form[data-sent]').forEach(release)
  })
})()
