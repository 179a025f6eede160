// The passcode form shared by /mfa and the step-up confirmation on /account/security: the factor to use,
// the code field (numeric keypad on phones, one-time-code autofill), and "send me a code" for sms factors.
import { factorName, OKTA_VERIFY, SENT_BY, sentBy, type FactorView } from '../factors.js'
import { csrfField, html, type SafeHtml } from './layout.js'

/** What the code form needs. */
export interface CodeFormOptions {
  /** Where the code is posted. */
  action: string
  csrf: string
  /** Active factors the user can verify with (see `verifiableFactors`). */
  factors: FactorView[]
  /** The factor to preselect. */
  selectedFactorId?: string | undefined
  /** Text of the submit button. @default 'Verify' */
  submitLabel?: string
  /** When set, the code field is marked invalid and described by the error with this id. */
  errorId?: string | undefined
  /**
   * The ids of notes about what the submit button does (the remove page's "this is your last factor"): the code field
   * and the button are described by them, so a screen reader says them where the focus is.
   */
  warningIds?: string[] | undefined
  /** The path to come back to after "send me a code". */
  returnTo: string
  /** Extra hidden fields (e.g. the factor to remove). */
  hidden?: Record<string, string>
  /** Put "Send a code" above the code form (the remove page: never below its destructive button). @default only for sms-only users */
  sendFirst?: boolean
  /**
   * Seconds before another code may be sent, by factor id (after "Send a code"): that factor's send button says so,
   * with a live countdown.
   */
  resendWaits?: ReadonlyMap<string, number> | undefined
  /**
   * With more than one factor: show the selected one only, with "Use another method" links (plain links, so they work
   * without JavaScript) instead of a chooser; `switchHref(id)` is the page for another factor. @default a chooser
   */
  switchHref?: ((factorId: string) => string) | undefined
  /** Offer "Remember this device for N days" (an opt-in checkbox, unchecked). */
  rememberDays?: number | undefined
}

/** "1 day", "30 days". */
export function dayCount (days: number): string {
  return `${days} day${days === 1 ? '' : 's'}`
}

/**
 * "You can ask for another code in N s": the number counts down in the browser (public/countdown.js), the sentence
 * stands without it. The sentence is a polite live region (said as sent, and when it turns to "now"); the ticking
 * number is a timer, whose live setting is off, so a screen reader does not say it again every second.
 */
export function resendNotice (seconds: number, buttonId?: string): SafeHtml {
  const s = Math.max(1, Math.ceil(seconds))
  // The button that waits: the one with `data-wait` in the sentence's form, or the one `buttonId` names.
  const button = buttonId === undefined ? '' : html` data-button="${buttonId}"`
  return html`<p class="hint resend" data-testid="resend" role="status">You can ask for another code in <span class="countdown" role="timer" aria-live="off" data-seconds="${s}"${button}>${s}</span> s.</p>`
}

/** Before a step-up right after sign-in: the code just used cannot be used twice. */
export function freshCodeNotice (): SafeHtml {
  return html`<div class="notice notice-info" role="status" data-testid="fresh-code">You just used a code to sign in. Each code works only once:
    wait for your app to show the next code (up to 30 seconds), then enter that one.</div>`
}

/** The help under the code field, in the words of the factor the person uses. */
export function codeHelp (factors: FactorView[], selected: FactorView | undefined): string {
  if (factors.every((f) => f.kind === 'totp')) {
    // Okta Verify's code (enrolled through Okta, not these pages): named, as the other app's code would not pass.
    if (factors.length === 1 && selected?.detail === OKTA_VERIFY) return 'Open Okta Verify and enter the 6-digit code it shows for this account.'
    return 'Open your authenticator app and enter the 6-digit code it shows for “okta-mfa demo”.'
  }
  if (factors.every((f) => f.sendsCode)) return `Send yourself a code${selected?.kind === 'email' ? ' by e-mail' : selected?.kind === 'call' ? ' by voice call' : ' by text message'}, then enter the 6 digits here.`
  // An app and factors that send codes: each way a code can be sent, in the order the factors come.
  const ways = [...new Set(factors.map((f) => sentBy(f)).filter((k) => k !== undefined))].map((k) => SENT_BY[k])
  const by = ways.length < 2 ? ways.join('') : `${ways.slice(0, -1).join(', ')} or ${ways.at(-1)!}`
  return `Enter the 6-digit code from your authenticator app, or send yourself a code by ${by}.`
}

/** The form, plus one "send a code" form per sms/call/email factor. */
export function codeForm (opts: CodeFormOptions): SafeHtml {
  const all = opts.factors
  const csrf = opts.csrf
  const selectedAll = all.find((f) => f.id === opts.selectedFactorId) ?? all[0]
  // "Use another method": the form speaks of one factor at a time; the others are links.
  const switching = opts.switchHref !== undefined && all.length > 1
  const factors = switching && selectedAll !== undefined ? [selectedAll] : all
  const selected = selectedAll
  const others = switching ? all.filter((f) => f.id !== selected?.id) : []
  const switcher = others.length === 0
    ? ''
    : html`<div class="other-methods" data-testid="other-methods"><p class="hint">Use another method:</p>
      <ul>${others.map((f) => html`<li><a href="${opts.switchHref!(f.id)}">${factorName(f)}</a></li>`)}</ul></div>`
  const chooser = factors.length > 1
    ? html`<fieldset class="choices">
        <legend>Verify with</legend>
        ${factors.map((f) => html`<label class="choice"><input type="radio" name="factorId" value="${f.id}" ${f.id === selected?.id ? html`checked` : ''}> ${factorName(f)}</label>`)}
      </fieldset>`
    : selected === undefined ? html`` : html`<input type="hidden" name="factorId" value="${selected.id}">`
  const onlySenders = factors.length > 0 && factors.every((f) => f.sendsCode)
  const sendFirst = opts.sendFirst ?? onlySenders
  const help = codeHelp(factors, selected)
  const warnings = opts.warningIds ?? []
  const hidden = Object.entries(opts.hidden ?? {}).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)
  const senders = factors.filter((f) => f.sendsCode).map((f) => {
    const wait = opts.resendWaits?.get(f.id)
    return html`
    <form method="post" action="/mfa/challenge" class="send-code">
      ${csrfField(csrf)}
      <input type="hidden" name="factorId" value="${f.id}">
      <input type="hidden" name="returnTo" value="${opts.returnTo}">
      <button type="submit" class="secondary" ${wait === undefined ? '' : html`data-wait="${Math.ceil(wait)}"`}>${wait === undefined ? 'Send a code' : 'Send another code'} to ${f.detail ?? f.label}</button>
      ${wait === undefined ? '' : resendNotice(wait)}
    </form>`
  })
  // Someone who only has sms needs a code before the field makes sense: put "send" first for them (and always on the
  // remove page, where the submit button is destructive).
  return html`
    ${sendFirst ? senders : ''}
    <form method="post" action="${opts.action}" class="code-form" novalidate>
      ${csrfField(csrf)}
      ${hidden}
      ${chooser}
      ${switching && selected !== undefined ? html`<p class="method" data-testid="selected-method">${factorName(selected)}</p>` : ''}
      <label for="passCode">Verification code</label>
      <input id="passCode" name="passCode" type="text" inputmode="numeric" autocomplete="one-time-code"
        pattern="[0-9 ]{6,16}" maxlength="16" minlength="6" required autofocus spellcheck="false"
        class="code-input" aria-describedby="${[...warnings, 'code-help', ...opts.errorId === undefined ? [] : [opts.errorId]].join(' ')}"
        ${opts.errorId === undefined ? '' : html`aria-invalid="true"`}>
      <p id="code-help" class="hint">${help}</p>
      ${opts.rememberDays === undefined
        ? ''
        : html`<label class="choice remember"><input type="checkbox" name="rememberDevice" value="1" data-testid="remember-device" aria-describedby="remember-help">
          Remember this device for ${dayCount(opts.rememberDays)}</label>
          <p class="hint" id="remember-help">Only on a device that is yours: this browser then skips the code at sign-in. Removing or
          adding a factor, or “Forget remembered devices” on the Security page, undoes it.</p>`}
      <button type="submit" class="primary"${warnings.length === 0 ? '' : html` aria-describedby="${warnings.join(' ')}"`}>${opts.submitLabel ?? 'Verify'}</button>
    </form>
    ${sendFirst ? '' : senders}
    ${switcher}`
}
