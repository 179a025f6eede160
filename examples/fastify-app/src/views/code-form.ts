// The passcode form shared by /mfa and the step-up confirmation on /account/security: the factor to use,
// the code field (numeric keypad on phones, one-time-code autofill), and "send me a code" for sms factors.
import type { FactorView } from '../factors.js'
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
  /** The path to come back to after "send me a code". */
  returnTo: string
  /** Extra hidden fields (e.g. the factor to remove). */
  hidden?: Record<string, string>
}

function factorText (f: FactorView): string {
  return f.detail === undefined ? f.label : `${f.label} · ${f.detail}`
}

/** The form, plus one "send a code" form per sms/call/email factor. */
export function codeForm (opts: CodeFormOptions): SafeHtml {
  const { factors, csrf } = opts
  const selected = factors.find((f) => f.id === opts.selectedFactorId) ?? factors[0]
  const chooser = factors.length > 1
    ? html`<fieldset class="choices">
        <legend>Verify with</legend>
        ${factors.map((f) => html`<label class="choice"><input type="radio" name="factorId" value="${f.id}" ${f.id === selected?.id ? html`checked` : ''}> ${factorText(f)}</label>`)}
      </fieldset>`
    : selected === undefined ? html`` : html`<input type="hidden" name="factorId" value="${selected.id}">`
  const onlySenders = factors.length > 0 && factors.every((f) => f.sendsCode)
  const help = factors.every((f) => f.kind === 'totp')
    ? 'Open your authenticator app and enter the 6-digit code it shows for “okta-mfa demo”.'
    : onlySenders ? 'Send yourself a code, then enter the 6 digits here.' : 'Enter the 6-digit code from your authenticator app, or send yourself a code by text.'
  const hidden = Object.entries(opts.hidden ?? {}).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)
  const senders = factors.filter((f) => f.sendsCode).map((f) => html`
    <form method="post" action="/mfa/challenge" class="send-code">
      ${csrfField(csrf)}
      <input type="hidden" name="factorId" value="${f.id}">
      <input type="hidden" name="returnTo" value="${opts.returnTo}">
      <button type="submit" class="secondary">Send a code to ${f.detail ?? f.label}</button>
    </form>`)
  // Someone who only has sms needs a code before the field makes sense: put "send" first for them.
  return html`
    ${onlySenders ? senders : ''}
    <form method="post" action="${opts.action}" class="code-form" novalidate>
      ${csrfField(csrf)}
      ${hidden}
      ${chooser}
      <label for="passCode">Verification code</label>
      <input id="passCode" name="passCode" type="text" inputmode="numeric" autocomplete="one-time-code"
        pattern="[0-9]{6}" maxlength="6" minlength="6" required autofocus spellcheck="false"
        class="code-input" aria-describedby="code-help${opts.errorId === undefined ? '' : ` ${opts.errorId}`}"
        ${opts.errorId === undefined ? '' : html`aria-invalid="true"`}>
      <p id="code-help" class="hint">${help}</p>
      <button type="submit" class="primary">${opts.submitLabel ?? 'Verify'}</button>
    </form>
    ${onlySenders ? '' : senders}`
}
