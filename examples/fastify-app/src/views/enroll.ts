// /mfa/enroll: set up a factor. public/enroll.js drives the gateway's GraphQL (enrollFactor, then
// activateFactor with the first code); this page is the markup it fills in, plus the texts it shows.
import { COUNTRY_CALLING_CODES } from '../phone-codes.js'
import { freshCodeNotice, resendNotice } from './code-form.js'
import { lockedWayOut } from './mfa.js'
import { RESEND_WAITS } from '../factors.js'
import { groupKey, type PendingTotp } from '../enrollment.js'
import { SafeHtml, csrfField, html, notice, page } from './layout.js'

/** What the enrollment page needs. */
export interface EnrollView {
  csrf: string
  userName: string
  /** Where the gateway listens. */
  graphqlPath: string
  /** Where to go once the factor is active and MFA is complete. */
  doneHref: string
  /** True when the emulator runs in-process: the sms step says where the code went. */
  emulator: boolean
  /** Failure code → sentence, for the script (the same table the server uses). */
  messages: Record<string, string>
  /** The name authenticator apps show for the account (the Okta login). */
  accountName: string
  /** The session already has MFA (adding a second factor). */
  mfaDone: boolean
  /** Shown above the steps (e.g. "already set up"). */
  info?: string | undefined
  /**
   * Which factor the page sets up: `totp` starts at once (QR code, manual key and code field on one screen),
   * `sms` asks for a phone number first. Each mode links to the other.
   * @default 'totp'
   */
  method?: 'totp' | 'sms'
  /** An authenticator app is active already: the sms step does not offer one. */
  hasTotp?: boolean
  /** The pending authenticator factor (key and QR code); undefined until the person presses "Show my QR code". */
  pending?: PendingTotp | undefined
  /** A text-message setup already started (its code sent): the page resumes at the code step. */
  pendingSms?: { factorId: string, sentTo: string | undefined } | undefined
  /** Shown as an error above the steps (e.g. Okta could not start the setup), or under the code field of a code step. */
  error?: string | undefined
  /** The phone step without JavaScript, sent back: the number as typed, and what is wrong with it (under its field). */
  phone?: { value: string, error?: string | undefined } | undefined
  /** The last code was used moments ago (step-up right after sign-in): say to wait for the next one. */
  freshCodeWarning?: boolean
  /** Sign-in is paused (`error` says until when): no QR code, code field or phone form, a way out instead. */
  locked?: boolean
  /** With `locked`: Okta's own lockout (or a user it suspended), which only an administrator ends. */
  adminLocked?: boolean
  /** Seconds until another code may be sent, by factor id (a resumed text-message setup shows its own countdown). */
  resendWaits?: ReadonlyMap<string, number> | undefined
}

/** JSON for a `<script type="application/json">` block: `<` escaped so the text cannot close the element. */
function jsonBlock (value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c')
}

// One code field and one primary submit button per screen (the sms code form waits in a <template>): a page, a
// screen reader or a test looking for "the" passCode field or "the" Activate button finds exactly one. A resumed
// text-message step also has the small "Send a new code" and "use another number" forms, after the code form.

/**
 * Authenticator app. Before the person starts: what will happen and a "Show my QR code" button (a form post, so it
 * works without JavaScript); nothing is created in Okta yet. Then: the QR code, the key and the code field at once.
 */
function totpStep (view: EnrollView): SafeHtml {
  const p = view.pending
  const appStep = html`<li>Open an authenticator app on your phone (Google Authenticator, Microsoft Authenticator, 1Password, Authy…) and add an account.</li>`
  if (p === undefined) {
    return html`<div id="step-totp">
      <p class="hint">Using an authenticator app (recommended). <a href="/mfa/enroll?method=sms" id="use-sms">Use a text message instead</a></p>
      <ol class="steps">
        ${appStep}
        <li>Scan the QR code we show you (or type its setup key).</li>
        <li>Enter the 6-digit code the app shows.</li>
      </ol>
      <form method="post" action="/mfa/enroll/start" id="totp-start">
        ${csrfField(view.csrf)}
        <button type="submit" class="primary" data-testid="start-totp">Show my QR code</button>
      </form>
    </div>`
  }
  const error = codeError(view)
  return html`<div id="step-totp">
      <p class="hint">Using an authenticator app (recommended). <a href="/mfa/enroll?method=sms" id="use-sms">Use a text message instead</a></p>
      <ol class="steps">
        ${appStep}
        <li>Scan this QR code:
          <div class="qr"><img id="qr" src="${p.qrCodeDataUri}" alt="QR code for your authenticator app. If you cannot scan it, use the key below." width="220" height="220"></div>
          <div id="manual">
            <p id="manual-key-label"><strong>Can't scan? Enter this setup key instead</strong> (account: ${view.accountName}, type: time-based; spaces don't matter):</p>
            <p class="key-row" id="manual-key-row"><code id="manual-key" class="key" data-testid="manual-key" aria-labelledby="manual-key-label">${groupKey(p.sharedSecret)}</code>
              <button type="button" id="copy-key" class="link" hidden>Copy</button></p>
          </div>
        </li>
        <li>
          <form id="totp-activate" class="code-form" data-factor-id="${p.factorId}" method="post" action="/mfa/enroll/activate" novalidate>
            ${csrfField(view.csrf)}
            <input type="hidden" name="factorId" value="${p.factorId}">
            <label for="passCode">Enter the 6-digit code the app shows</label>
            ${error.slot}
            <input id="passCode" name="passCode" type="text" inputmode="numeric" autocomplete="one-time-code"
              pattern="[0-9 ]{6,16}" maxlength="16" required spellcheck="false" class="code-input" ${error.field}>
            <button type="submit" class="primary">Activate</button>
          </form>
        </li>
      </ol>
      <p class="hint">This key stays the same until you finish: reloading this page or coming back later shows the same QR code.</p>
    </div>`
}

/**
 * The error of a code step without JavaScript, in the field's error slot under its label (the script replaces it with
 * its own): the field is described by it and marked invalid.
 */
function codeError (view: EnrollView): { slot: SafeHtml | string, field: SafeHtml } {
  if (view.error === undefined) return { slot: '', field: html`aria-describedby="enroll-error"` }
  return {
    slot: html`<div class="notice notice-error" role="alert" data-testid="error" id="activate-error">${view.error}</div>`,
    field: html`aria-describedby="activate-error" aria-invalid="true" autofocus`,
  }
}

/** The code form of a text-message setup: in a <template> until the text is sent, or at once when resumed. */
function smsCodeForm (view: EnrollView, resumed?: { factorId: string, sentTo: string | undefined }): SafeHtml {
  // Resumed, the form also works without JavaScript (a post to /mfa/enroll/activate, as the authenticator's), and so do
  // "Send a new code" and "use another number" (their own forms; enroll.js sends them with fetch when it runs). In the
  // template, enroll.js shows them with the code form as soon as the text is sent.
  const error = resumed === undefined ? { slot: '', field: html`aria-describedby="enroll-error"` } : codeError(view)
  // "You can ask for another code in N s" under "No text?", as at sign-in; enroll.js writes it after a send.
  const wait = resumed === undefined ? undefined : view.resendWaits?.get(resumed.factorId)
  return html`<form id="sms-activate" class="code-form" novalidate${resumed === undefined ? '' : html` data-factor-id="${resumed.factorId}" method="post" action="/mfa/enroll/activate"`}>
        ${resumed === undefined ? '' : html`${csrfField(view.csrf)}<input type="hidden" name="factorId" value="${resumed.factorId}">`}
        <p id="sms-sent">${resumed === undefined ? '' : `We sent a 6-digit code to ${resumed.sentTo ?? 'your phone'}.`}</p>
        ${view.emulator
          ? html`<p class="hint" data-testid="outbox-hint">No phone needed: the local emulator puts the text in its outbox.
              Open <a href="/dev/outbox" target="_blank" rel="noopener">the outbox page</a> (or look at the server console, or
              <code>GET /__emulator/messages</code> on the emulator) to read the code.</p>`
          : ''}
        <label for="passCode">Enter the 6-digit code from the text</label>
        ${error.slot}
        <input id="passCode" name="passCode" type="text" inputmode="numeric" autocomplete="one-time-code"
          pattern="[0-9 ]{6,16}" maxlength="16" required spellcheck="false" class="code-input" ${error.field}>
        <button type="submit" class="primary">Activate</button>
      </form>
      <div class="hint" id="sms-other">No text?
          <form method="post" action="/mfa/enroll/resend" id="sms-resend-form" class="inline">${csrfField(view.csrf)}${resumed === undefined ? '' : html`<input type="hidden" name="factorId" value="${resumed.factorId}">`}<button type="submit" id="sms-resend" class="link">Send a new code</button></form>
          or <form method="post" action="/mfa/enroll/restart" id="sms-change-form" class="inline">${csrfField(view.csrf)}<input type="hidden" name="factorType" value="SMS"><button type="submit" id="sms-change" class="link">use another number</button></form>.</div>
      <div id="sms-resend-wait" data-seconds="${RESEND_WAITS.sms}">${wait === undefined ? '' : resendNotice(wait, 'sms-resend')}</div>`
}

/** Text message: the phone number first; the code form replaces it once the text is sent (or at once, when resumed). */
function smsStep (view: EnrollView): SafeHtml {
  // With an authenticator app set up already (Back after its setup, or ?method=totp): say why this is a phone.
  const head = view.hasTotp === true
    ? html`<p class="hint" id="totp-already">Using text messages. Your authenticator app is set up already: this adds text messages as another way to sign in.</p>`
    : html`<p class="hint">Using text messages. <a href="/mfa/enroll?method=totp" id="use-totp">Use an authenticator app instead</a></p>`
  if (view.pendingSms !== undefined) return html`<div id="step-sms">${head}${smsCodeForm(view, view.pendingSms)}</div>`
  // A form post without JavaScript (/mfa/enroll/sms); with it, enroll.js enrolls through the gateway instead.
  const phoneError = view.phone?.error
  return html`<div id="step-sms">
      ${head}
      <form id="sms-enroll" method="post" action="/mfa/enroll/sms" novalidate data-country-codes="${COUNTRY_CALLING_CODES.join(' ')}">
        ${csrfField(view.csrf)}
        <label for="phone">Mobile phone number</label>
        ${phoneError === undefined ? '' : html`<div class="notice notice-error" role="alert" data-testid="error" id="phone-error">${phoneError}</div>`}
        <input id="phone" name="phoneNumber" type="tel" autocomplete="tel" placeholder="+1 555 555 0123" required value="${view.phone?.value ?? ''}"
          ${phoneError === undefined ? html`aria-describedby="enroll-error phone-help"` : html`aria-describedby="phone-error phone-help" aria-invalid="true" autofocus`}>
        <p id="phone-help" class="hint">With the country code, e.g. +1 555 555 0123.</p>
        <button type="submit" class="primary">Text me a code</button>
      </form>
      <template id="sms-activate-template">
      ${smsCodeForm(view)}
      </template>
    </div>`
}

/** The enrollment page. */
export function enrollPage (view: EnrollView): string {
  const body = html`
  <section class="card" id="enroll" data-csrf="${view.csrf}" data-graphql="${view.graphqlPath}" data-done="${view.doneHref}">
    <h1>Set up two-step sign-in</h1>
    ${notice('info', view.info)}
    ${view.freshCodeWarning === true ? freshCodeNotice() : ''}
    ${(view.pending === undefined && view.pendingSms === undefined) || view.locked === true ? notice('error', view.error) : ''}
    <div id="enroll-error" class="notice notice-error" role="alert" data-testid="error" hidden></div>
    <div id="enroll-status" class="notice notice-info" role="status" hidden></div>

    ${view.locked === true
      ? lockedWayOut(view.adminLocked === true)
      : (view.method ?? 'totp') === 'totp' ? totpStep(view) : smsStep(view)}

    <p class="hint"><a href="${view.mfaDone ? '/account/security' : '/mfa'}">Back</a></p>
  </section>
  <script type="application/json" id="messages">${new SafeHtml(jsonBlock(view.messages))}</script>`
  return page({ title: 'Set up two-step sign-in', body, userName: view.userName, csrf: view.csrf, scripts: ['/assets/countdown.js', '/assets/enroll.js'], fullNav: view.mfaDone })
}
