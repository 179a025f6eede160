// /mfa: the second step. A plain form posted to passport.authenticate('okta-mfa'); works without JavaScript.
// Also the emulator's outbox page, where sms codes land when there is no phone.
import type { FactorView } from '../factors.js'
import { codeForm, freshCodeNotice } from './code-form.js'
import { html, notice, page } from './layout.js'

/** What the MFA page shows. */
export interface MfaView {
  csrf: string
  userName: string
  /** Active factors that take a code. Empty: the page offers enrollment instead. */
  factors: FactorView[]
  selectedFactorId?: string | undefined
  error?: string | undefined
  info?: string | undefined
  /** The text of a success notice (e.g. after enrollment or after a code was sent). */
  success?: string | undefined
  /** True when the emulator runs in-process: the page says where sms codes go. */
  emulator: boolean
  /** The session already has MFA (this is a step-up). */
  mfaDone: boolean
  /** Seconds before another code may be sent, by factor id (live countdown). */
  resendWaits?: ReadonlyMap<string, number> | undefined
  /** The last code was used moments ago: warn before the person types it again. */
  freshCodeWarning?: boolean
  /** Sign-in is paused (the error says until when): the code field is not offered. */
  locked?: boolean
  /** With `locked`: the account is locked until an administrator unlocks it (Okta's lockout), not for a while. */
  adminLocked?: boolean
  /** Remember this device (opt-in checkbox); undefined: not offered. */
  rememberDays?: number | undefined
  /** The id the code form carries back once (a page sent again is not checked twice). */
  formId?: string | undefined
}

/** Where sent codes (text message, voice call, e-mail) go with the emulator, in words and with a link. */
export function outboxHint (): ReturnType<typeof html> {
  return html`<p class="hint outbox-hint" data-testid="outbox-hint">Nothing is really sent: with the local emulator, codes by text
    message, voice call and e-mail land in its outbox. Open <a href="/dev/outbox">the outbox page</a> (or look at the server console, or <code>GET /__emulator/messages</code>
    on the emulator) to read the code.</p>`
}

/**
 * The way out of a locked code page: come back after the pause, or (`admin`: Okta's lockout) once an administrator
 * has unlocked the account.
 */
export function lockedWayOut (admin: boolean): ReturnType<typeof html> {
  return admin
    ? html`<p data-testid="locked-way-out"><a href="/logout">Sign out</a> and sign in again once an administrator has unlocked your account.</p>`
    : html`<p data-testid="paused-way-out"><a href="/logout">Sign out</a> and come back after that time.</p>`
}

/** The MFA page. */
export function mfaPage (view: MfaView): string {
  const hasSms = view.factors.some((f) => f.sendsCode)
  const body = view.factors.length === 0
    ? html`
  <section class="card">
    <h1>Set up two-step sign-in</h1>
    ${notice('error', view.error, 'mfa-error')}
    ${view.locked === true
      // Paused, or held by Okta: a setup could not be finished now, so the way out rather than an invitation to it.
      ? lockedWayOut(view.adminLocked === true)
      : html`<p>You have not set up a second factor yet. It takes a minute: scan a QR code with an authenticator app
      (Google Authenticator, 1Password, Authy…) or get codes by text message.</p>
    <p><a class="button primary" href="/mfa/enroll" data-testid="enroll-link">Set up an authenticator</a></p>`}
  </section>`
    : html`
  <section class="card">
    <h1>Confirm it's you</h1>
    <p>Signed in as <strong>${view.userName}</strong>. One more step.</p>
    ${notice('success', view.success)}
    ${notice('info', view.info)}
    ${notice('error', view.error, 'mfa-error')}
    ${view.freshCodeWarning === true && view.factors.some((f) => f.kind === 'totp') ? freshCodeNotice() : ''}
    ${view.locked === true ? lockedWayOut(view.adminLocked === true) : codeForm({
      action: '/mfa',
      csrf: view.csrf,
      factors: view.factors,
      selectedFactorId: view.selectedFactorId,
      errorId: view.error === undefined ? undefined : 'mfa-error',
      returnTo: '/mfa',
      resendWaits: view.resendWaits,
      rememberDays: view.rememberDays,
      switchHref: (id) => `/mfa?factor=${encodeURIComponent(id)}`,
      ...(view.formId === undefined ? {} : { hidden: { formId: view.formId } }),
    })}
    ${view.emulator && hasSms ? outboxHint() : ''}
  </section>`
  // The title says what the heading says: the set-up invitation when there is no factor to confirm with.
  return page({ title: view.factors.length === 0 ? 'Set up two-step sign-in' : "Confirm it's you", body, userName: view.userName, csrf: view.csrf, fullNav: view.mfaDone, scripts: ['/assets/countdown.js'] })
}

/**
 * The account has active factors, none of a kind these pages can verify: say which, that this app cannot use them,
 * and what to do (an administrator resets the factors), with Sign out. No code field, no setup link.
 */
export function unusableFactorsPage (view: { csrf: string, userName: string, factors: FactorView[], mfaDone: boolean }): string {
  const labels = [...new Set(view.factors.map((f) => f.label))]
  const body = html`
  <section class="card" data-testid="unusable-factors">
    <h1>This app can't use your sign-in methods</h1>
    <p>Signed in as <strong>${view.userName}</strong>. Your account's two-step sign-in is set up with:</p>
    <ul data-testid="unusable-factor-list">${labels.map((label) => html`<li>${label}</li>`)}</ul>
    <p>This app can only check a code from an authenticator app, a text message, a voice call or an e-mail, so it
      cannot use ${labels.length === 1 ? 'that method' : 'those methods'}. Nor can it add another one for you: adding a
      sign-in method to an account that has one needs a code from an existing method first.</p>
    <p data-testid="unusable-advice"><strong>What to do:</strong> ask an administrator to reset your sign-in methods
      (your factors in Okta). At your next sign-in you can then set up an authenticator app here.</p>
    <p class="actions"><a class="button primary" href="/logout" data-testid="unusable-logout">Sign out</a></p>
  </section>`
  return page({ title: "This app can't use your sign-in methods", body, userName: view.userName, csrf: view.csrf, fullNav: view.mfaDone })
}

/** One message of the emulator's outbox. */
export interface OutboxItem {
  channel: string
  to: string
  code: string
  sentAt: string
}

/** The emulator outbox of the signed-in user (emulator mode only). */
export function outboxPage (view: { csrf: string, userName: string, messages: OutboxItem[], mfaDone: boolean }): string {
  const body = html`
  <section class="card">
    <h1>Emulator outbox</h1>
    <p class="hint" data-testid="outbox-note">Codes the local Okta emulator "sent" to you by text, call or e-mail, newest first.
      This page is a development aid: it exists only while this app runs its in-process emulator (no OKTA_ORG_URL).
      With a real Okta org, codes go to your phone or inbox and this page is gone.</p>
    ${view.messages.length === 0
      ? html`<p data-testid="outbox-empty">Nothing yet. Ask for a code on the sign-in or setup page, then reload.</p>`
      : html`<ul class="outbox">${view.messages.map((m) => html`<li><span class="code" data-testid="outbox-code">${m.code}</span>
          <span>${m.channel} to ${m.to}</span> <time datetime="${m.sentAt}">${m.sentAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}</time></li>`)}</ul>`}
    <p><a href="/mfa">Back to sign-in</a> · <a href="/mfa/enroll">Back to setup</a></p>
  </section>`
  return page({ title: 'Emulator outbox', body, userName: view.userName, csrf: view.csrf, fullNav: view.mfaDone })
}
