// Enrollment page script: talks to the gateway's GraphQL (POST, application/json, same-origin cookie)
// to enroll a factor and activate it with its first code. Plain browser JavaScript, no build step.
'use strict'
;(function () {
  const root = document.getElementById('enroll')
  if (!root) return
  const graphqlPath = root.dataset.graphql || '/graphql'
  const csrf = root.dataset.csrf || ''
  const doneHref = root.dataset.done || '/account'
  const messages = JSON.parse(document.getElementById('messages').textContent || '{}')
  const $ = (id) => document.getElementById(id)
  const errorBox = $('enroll-error')
  const statusBox = $('enroll-status')
  let busy = false

  /** A failure the page can explain: `code` is a gateway code (or NETWORK). showError also takes plain text. */
  class PageError extends Error {
    constructor (code, retryAfterSeconds, attemptsRemaining) {
      super(code)
      this.code = code
      this.retryAfterSeconds = retryAfterSeconds
      this.attemptsRemaining = attemptsRemaining
    }
  }

  function retryText (seconds) {
    const s = Math.max(1, Math.ceil(seconds))
    return s < 90 ? 'in ' + s + ' second' + (s === 1 ? '' : 's') : 'in about ' + Math.ceil(s / 60) + ' minutes'
  }

  /** "…paused for this account until 10:15 UTC (in about 15 minutes).": the server pages' words (messages.ts clockTime). */
  function lockedText (seconds) {
    if (!(seconds > 0)) return messages.LOCKED_OUT + ' Try again later.'
    const at = new Date(Math.ceil((Date.now() + seconds * 1000) / 60000) * 60000)
    const time = at.toISOString().slice(11, 16) + ' UTC'
    return messages.LOCKED_OUT.replace(/\.$/, '') + ' until ' + time + ' (' + retryText(seconds) + ').'
  }

  /** Okta's own lockout (or a suspended user): LOCKED_OUT without a wait. Only an administrator ends it. */
  function isAdminLockout (err) {
    return err instanceof PageError && err.code === 'LOCKED_OUT' && !(err.retryAfterSeconds > 0)
  }

  /** Whether a refusal means sign-in is paused now: during the pause, or the wrong code that used up the last attempt. */
  function isPause (err) {
    if (!(err instanceof PageError)) return false
    return err.code === 'LOCKED_OUT' || (err.attemptsRemaining === 0 && (err.code === 'INVALID_PASSCODE' || err.code === 'PASSCODE_REPLAYED'))
  }

  /**
   * A phone number as the server's pages show it (maskPhoneNumber of @okta-mfa/core): its whole country calling code
   * (from the server's table, on the phone form), then the national digits masked but the last 4 (at least 3 hidden).
   */
  function maskPhone (phone, codes) {
    const cleaned = phone.slice(0, 64).replace(/[\s().-]/g, '')
    const digits = cleaned.replace(/\D/g, '')
    let code
    if (/^\+[1-9]\d+$/.test(cleaned) && digits.length <= 15) {
      for (let length = 1; length <= 3 && code === undefined; length++) if (codes.has(digits.slice(0, length))) code = digits.slice(0, length)
    }
    const national = code === undefined ? '' : digits.slice(code.length)
    if (code !== undefined && national.length >= 4) {
      const shown = Math.max(0, Math.min(4, national.length - 3))
      return '+' + code + '\u2022'.repeat(national.length - shown) + national.slice(national.length - shown)
    }
    const shown = digits.length >= 8 && digits.length <= 15 ? 4 : 0
    return '\u2022'.repeat(Math.min(Math.max(digits.length - shown, 4), 11)) + digits.slice(digits.length - shown)
  }

  function explain (err) {
    if (err instanceof PageError) {
      if (err.code === 'NETWORK') return 'We could not reach this site. Check your connection and try again.'
      let text = messages[err.code] || messages.INTERNAL
      // The last wrong code of the window: it didn't match, and now sign-in is paused (say until when), with no advice
      // to enter or send another code.
      // A code already used says nothing of waiting for the next code then: the next one is refused too.
      if (err.attemptsRemaining === 0 && (err.code === 'INVALID_PASSCODE' || err.code === 'PASSCODE_REPLAYED')) {
        return (err.code === 'PASSCODE_REPLAYED' ? messages.REPLAYED_LAST : messages.WRONG_LAST) + ' ' + lockedText(err.retryAfterSeconds)
      }
      if (err.attemptsRemaining > 0 && (err.code === 'INVALID_PASSCODE' || err.code === 'PASSCODE_REPLAYED')) {
        return text + ' ' + err.attemptsRemaining + ' attempt' + (err.attemptsRemaining === 1 ? '' : 's') + ' left before sign-in is paused.'
      }
      if (isAdminLockout(err)) return messages.ACCOUNT_LOCKED
      if (err.code === 'LOCKED_OUT') return lockedText(err.retryAfterSeconds)
      if (err.code === 'RATE_LIMITED') {
        text += err.retryAfterSeconds > 0 ? ' Try again ' + retryText(err.retryAfterSeconds) + '.' : ' Try again later.'
      }
      return text
    }
    return messages.INTERNAL
  }

  const errorHome = errorBox.parentNode
  const errorNext = errorBox.nextSibling

  /** The server's errors of a post without JavaScript (under the code or the phone field): replaced by the script's. */
  function removeServedErrors () {
    for (const id of ['activate-error', 'phone-error']) {
      const served = $(id)
      if (!served) continue
      served.remove()
      // The field it described is described by the script's error box now.
      document.querySelectorAll('[aria-describedby~="' + id + '"]').forEach((field) => {
        field.setAttribute('aria-describedby', field.getAttribute('aria-describedby').replace(id, 'enroll-error'))
      })
    }
  }

  /**
   * Sign-in is paused: the view the server shows while paused (no QR code, key, phone or code field: every code would be
   * refused), with the sentence at the top and a way out.
   */
  function showPaused (err) {
    statusBox.hidden = true
    removeServedErrors()
    const step = $('step-totp') || $('step-sms')
    if (step) {
      const way = document.createElement('p')
      way.dataset.testid = isAdminLockout(err) ? 'locked-way-out' : 'paused-way-out'
      const out = document.createElement('a')
      out.href = '/logout'
      out.textContent = 'Sign out'
      way.append(out, isAdminLockout(err) ? ' and sign in again once an administrator has unlocked your account.' : ' and come back after that time.')
      step.replaceWith(way)
    }
    errorHome.insertBefore(errorBox, errorNext)
    errorBox.textContent = explain(err)
    errorBox.hidden = false
    errorBox.tabIndex = -1
    errorBox.focus()
  }

  function showError (err, focusId) {
    if (isPause(err)) return showPaused(err)
    statusBox.hidden = true
    removeServedErrors()
    // Show the error where the user is looking: above the field they typed in (on a phone the top of the
    // page is off screen by then), else at the top.
    const field = focusId ? $(focusId) : null
    const label = field ? field.closest('form').querySelector('label[for="' + focusId + '"]') : null
    if (label) label.after(errorBox)
    else errorHome.insertBefore(errorBox, errorNext)
    errorBox.textContent = typeof err === 'string' ? err : explain(err)
    errorBox.hidden = false
    if (err instanceof PageError && (err.code === 'UNAUTHENTICATED' || err.code === 'NOT_AUTHENTICATED')) {
      // "Your session ended. Sign in again.": its last sentence becomes the link, said once.
      const a = document.createElement('a')
      a.href = '/login'
      a.textContent = 'Sign in again.'
      errorBox.textContent = errorBox.textContent.replace(/\s*Sign in again\.\s*$/, '') + ' '
      errorBox.appendChild(a)
    }
    if (field) {
      field.setAttribute('aria-invalid', 'true')
      field.focus()
      field.select()
    }
  }

  function showStatus (text) {
    errorBox.hidden = true
    errorBox.textContent = '' // the fields it describes must not go on saying it
    statusBox.textContent = text
    statusBox.hidden = false
  }

  async function post (path, body, headers) {
    let res
    try {
      res = await fetch(path, {
        method: 'POST',
        credentials: 'same-origin',
        headers: Object.assign({ 'content-type': 'application/json', accept: 'application/json' }, headers),
        body: JSON.stringify(body),
      })
    } catch {
      throw new PageError('NETWORK')
    }
    // 204 and error pages have no JSON body: callers decide on the status then.
    let json = null
    try {
      const text = await res.text()
      json = text === '' ? null : JSON.parse(text)
    } catch {
      json = null
    }
    return { res, json }
  }

  async function gql (query, variables) {
    const { json } = await post(graphqlPath, { query, variables })
    if (json === null) throw new PageError('INTERNAL')
    if (json.errors && json.errors.length > 0) {
      const ext = json.errors[0].extensions || {}
      throw new PageError(ext.code || 'INTERNAL', ext.retryAfterSeconds, ext.attemptsRemaining)
    }
    if (!json.data) throw new PageError('INTERNAL')
    return json.data
  }

  /**
   * The message key of an outage answer to something other than a code, as the page without JavaScript says it: the
   * store (Redis) down is "Sign-in is briefly unavailable" (Okta is fine); Okta down or slow in `what`'s words
   * (`SEND`: a text, `FACTORS`: the sign-in methods).
   */
  function outageKey (res, what) {
    if (res.headers.get('x-error-code') === 'STORE_UNAVAILABLE') return 'STORE_PAGE'
    if (res.status === 503) return what + '_UNAVAILABLE'
    if (res.status === 504) return what + '_TIMEOUT'
    return 'INTERNAL'
  }

  /** Removes a half-done enrollment of this type (app route), so "start again" works after a reload. */
  async function restart (factorType) {
    const { res } = await post('/mfa/enroll/restart', { factorType }, { 'x-csrf-token': csrf })
    if (res.status === 409) throw new PageError('ALREADY_ENROLLED')
    if (res.status === 401) throw new PageError('MFA_REQUIRED') // adding a factor needs a fresh MFA step
    if (!res.ok) throw new PageError(outageKey(res, 'FACTORS'))
  }

  const ENROLL = 'mutation Enroll($input: EnrollFactorInput!) { enrollFactor(input: $input) { ' +
    'factor { id factorType status phoneNumber } activation { sharedSecret otpauthUri qrCodeDataUri } } }'
  const ACTIVATE = 'mutation Activate($factorId: ID!, $passCode: String!) { activateFactor(factorId: $factorId, passCode: $passCode) { id status } }'
  const VIEWER = 'query { viewer { mfa { completed } } }'
  const FACTORS = 'query { factors { id status } }'

  async function enroll (input) {
    try {
      return (await gql(ENROLL, { input })).enrollFactor
    } catch (err) {
      // No code was entered: the store down is said as for a page, not as for a code.
      if (err instanceof PageError && err.code === 'STORE_UNAVAILABLE') throw new PageError('STORE_PAGE')
      if (!(err instanceof PageError) || err.code !== 'ALREADY_ENROLLED') throw err
      await restart(input.factorType)
      return (await gql(ENROLL, { input })).enrollFactor
    }
  }

  /**
   * After activation: the accepted first code is the MFA step, so straight on (to /mfa only if the session lost it).
   * `already`: the factor was activated in another tab or window; the next page says so (already=1).
   */
  async function finish (already) {
    showStatus(already ? messages.ALREADY_ACTIVE + ' Taking you on…' : 'Done. Taking you on…')
    const data = await gql(VIEWER, {})
    if (!data.viewer.mfa.completed) return window.location.assign('/mfa?enrolled=1')
    const next = new URL(doneHref, window.location.href)
    if (already) next.searchParams.set('already', '1')
    window.location.assign(next.pathname + next.search)
  }

  /** Whether the factor is active already: the gateway refuses to activate it again (BAD_USER_INPUT). */
  async function isActive (id) {
    try {
      return (await gql(FACTORS, {})).factors.some((f) => f.id === id && f.status === 'ACTIVE')
    } catch {
      return false
    }
  }

  let totpFactorId = null
  let smsFactorId = null

  async function guard (fn) {
    if (busy) return
    busy = true
    try {
      await fn()
    } finally {
      busy = false
    }
  }

  /** Activation with the first code, shared by both kinds of factor. */
  function onActivate (form, factorId) {
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      void guard(async () => {
        const passCode = $('passCode').value.replace(/\s+/g, '')
        if (!/^\d{6}$/.test(passCode)) return showError(new PageError('PASSCODE_MALFORMED'), 'passCode')
        const id = factorId()
        if (!id) return showError('Your key is still being prepared. Wait a moment and try again.', 'passCode')
        try {
          await gql(ACTIVATE, { factorId: id, passCode })
          await finish(false)
        } catch (err) {
          // The MFA step went stale while the page was open (adding a factor needs a fresh one): the page asks for it.
          if (err instanceof PageError && err.code === 'MFA_REQUIRED') return window.location.assign(window.location.pathname + window.location.search)
          // Two tabs with the same key: the other one activated it. Not a form error: say so and go on.
          const refused = err instanceof PageError && (err.code === 'BAD_USER_INPUT' || err.code === 'ALREADY_ENROLLED')
          if (!refused || !(await isActive(id))) return showError(err, 'passCode')
          try {
            await finish(true)
          } catch (finishErr) {
            showError(finishErr, 'passCode')
          }
        }
      })
    })
  }

  // Authenticator app: the server created (or reused) the factor when the person pressed "Show my QR code", and wrote
  // the QR code and the key into the page; this script only activates it with the first code.
  if ($('totp-activate')) {
    totpFactorId = $('totp-activate').dataset.factorId || null
    $('copy-key').hidden = !navigator.clipboard
    $('copy-key').addEventListener('click', () => {
      const text = $('manual-key').textContent.replace(/\s+/g, '')
      navigator.clipboard.writeText(text).then(() => showStatus('Key copied.'), () => showStatus('Select the key and copy it.'))
    })
    onActivate($('totp-activate'), () => totpFactorId)
  }

  /**
   * "You can ask for another code in N s" under "No text?", as the server writes it (views/code-form.ts): the number
   * counts down and "Send a new code" waits (countdown.js).
   */
  function showResendWait (seconds) {
    const box = $('sms-resend-wait')
    if (!box || !(seconds > 0)) return
    const s = String(Math.max(1, Math.ceil(seconds)))
    const line = document.createElement('p')
    line.className = 'hint resend'
    line.dataset.testid = 'resend'
    line.setAttribute('role', 'status')
    const count = document.createElement('span')
    count.className = 'countdown'
    count.setAttribute('role', 'timer')
    count.setAttribute('aria-live', 'off')
    count.dataset.seconds = s
    count.dataset.button = 'sms-resend'
    count.textContent = s
    line.append('You can ask for another code in ', count, ' s.')
    box.replaceChildren(line)
    if (typeof window.startCountdowns === 'function') window.startCountdowns(box)
  }

  /** "Send a new code" and "use another number": forms that work without JavaScript; with it, fetch sends them. */
  function wireSmsOther () {
    $('sms-resend-form').addEventListener('submit', (event) => {
      event.preventDefault()
      void guard(async () => {
        showStatus('Sending a new code…')
        const { res, json } = await post('/mfa/enroll/resend', { factorId: smsFactorId }, { 'x-csrf-token': csrf })
        if (res.status === 204) {
          // The button waits now: the focus goes to the code field first, not to the page when the button is disabled.
          $('passCode').focus()
          showResendWait(Number($('sms-resend-wait').dataset.seconds))
          return showStatus($('sms-sent').textContent.replace('a 6-digit code', 'a new code'))
        }
        if (res.status === 429 && res.headers.get('x-error-code') === 'LOCKED_OUT') return window.location.assign('/mfa/enroll?method=sms') // paused: the page says until when
        if (res.status === 429) {
          // The text sent a moment ago is on its way: use it, and another may be asked for after the wait (Retry-After).
          const wait = Number((json && json.error && json.error.retryAfterSeconds) || res.headers.get('retry-after'))
          showResendWait(wait)
          return showError(messages.RESEND_TOO_SOON + (wait > 0 ? ' You can ask for another code ' + retryText(wait) + '.' : ''), 'passCode')
        }
        if (res.status === 404) return showError(new PageError('FACTOR_NOT_FOUND'))
        if (res.status === 401) return window.location.assign('/mfa/enroll?method=sms') // the step-up is over: the page asks for a code
        // Okta's own lockout, or a user it suspended: no wait ends it, so no code field; an administrator is the way out.
        if (res.status === 403 && res.headers.get('x-error-code') === 'LOCKED_OUT') return showPaused(new PageError('LOCKED_OUT'))
        // In a send's words: Okta unreachable, or too slow to say whether the text went (504); or the store down.
        if (res.status === 503 || res.status === 504) return showError(messages[outageKey(res, 'SEND')])
        showError(new PageError('INTERNAL'))
      })
    })
    $('sms-change-form').addEventListener('submit', (event) => {
      event.preventDefault()
      void guard(async () => {
        try {
          await restart('SMS')
          window.location.assign('/mfa/enroll?method=sms')
        } catch (err) {
          // The MFA step went stale while the page was open: the page asks for a fresh code.
          if (err instanceof PageError && err.code === 'MFA_REQUIRED') return window.location.assign('/mfa/enroll?method=sms')
          showError(err)
        }
      })
    })
  }

  // A text-message setup resumed (its code sent earlier, the page left): the server shows the code step at once.
  if ($('step-sms') && $('sms-activate')) {
    const form = $('sms-activate')
    smsFactorId = form.dataset.factorId || null
    onActivate(form, () => smsFactorId)
    wireSmsOther()
  } else if ($('step-sms')) {
    const countryCodes = new Set(($('sms-enroll').dataset.countryCodes || '').split(' '))
    $('sms-enroll').addEventListener('submit', (event) => {
      event.preventDefault()
      void guard(async () => {
        const phoneNumber = $('phone').value.replace(/[\s().-]/g, '')
        if (!/^\+[1-9]\d{6,14}$/.test(phoneNumber)) {
          showError('Enter the number with its country code, e.g. +1 555 555 0123.', 'phone')
          return
        }
        try {
          showStatus('Sending a code…')
          const result = await enroll({ factorType: 'SMS', phoneNumber })
          smsFactorId = result.factor.id
          // The code form replaces the phone form: one field and one button on the screen at a time.
          // With "No text? Send a new code or use another number" under it, as when the setup is resumed.
          $('sms-enroll').replaceWith($('sms-activate-template').content.cloneNode(true))
          const form = $('sms-activate')
          $('sms-sent').textContent = 'We sent a 6-digit code to ' + maskPhone(phoneNumber, countryCodes) + '.'
          onActivate(form, () => smsFactorId)
          wireSmsOther()
          showResendWait(Number($('sms-resend-wait').dataset.seconds))
          statusBox.hidden = true
          $('passCode').focus()
        } catch (err) {
          showError(err, 'phone')
        }
      })
    })
  }
})()
