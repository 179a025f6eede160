// /account/security: the user's factors, each removable after a fresh code (step-up).
import { canAddHere, factorName, statusText, type FactorView } from '../factors.js'
import { ALL_ADDED } from '../messages.js'
import { codeForm, dayCount, freshCodeNotice } from './code-form.js'
import { csrfField, html, notice, page, type SafeHtml } from './layout.js'
import { timeTag } from './account.js'
import { outboxHint } from './mfa.js'

/** The kinds of factor whose setup these pages finish (/mfa/enroll): an authenticator app and a text message. */
const FINISHED_HERE: ReadonlySet<FactorView['kind']> = new Set(['totp', 'sms'])

/** "28 Nov 2026": a date as people read it (UTC). */
export function day (iso: string | undefined): string | undefined {
  if (iso === undefined) return undefined
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return undefined
  return d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' })
}

/** What the security page shows. */
export interface SecurityView {
  csrf: string
  userName: string
  factors: FactorView[]
  /** The factors of this session's MFA steps (at sign-in, and any activated since), each with when (the "last used" line). */
  used?: ReadonlyArray<{ factorId: string, at: number }> | undefined
  now: number
  /**
   * Remembered devices: the lifetime in days when the feature is on; whether this browser is one of them now
   * (`thisDevice`), and whether this session began on it without a code (`signedInWithoutCode`: still true after
   * "Forget remembered devices", when `thisDevice` is not).
   */
  remembered?: { days: number, thisDevice: boolean, signedInWithoutCode: boolean } | undefined
  factorsError?: string | undefined
  success?: string | undefined
  info?: string | undefined
  error?: string | undefined
}

/** What is true of this browser now, and of how this session began: never "remembered" once it is not. */
function rememberedNow (r: { thisDevice: boolean, signedInWithoutCode: boolean }): SafeHtml | string {
  if (r.thisDevice) {
    return html`<strong data-testid="this-device-remembered">This browser is remembered: ${r.signedInWithoutCode ? 'you signed in without a code.' : 'its next sign-in skips the code.'}</strong> `
  }
  if (!r.signedInWithoutCode) return ''
  return html`<span data-testid="this-device-was-remembered">You signed in without a code because this browser was remembered. It is not any more:
    its next sign-in asks for a code.</span> `
}

/** The list of factors with a remove link each and a link to add one. */
export function securityPage (view: SecurityView): string {
  const rows = view.factors.map((f) => {
    const added = day(f.created)
    const used = view.used?.find((u) => u.factorId === f.id)?.at
    return html`<li data-factor-id="${f.id}">
      <div class="factor-main">
        <span class="factor-label">${f.label}</span>${f.detail === undefined ? '' : html` <span class="factor-detail">${f.detail}</span>`}
        <span class="badge ${f.active ? 'badge-ok' : 'badge-warn'}">${statusText(f)}</span>
        <span class="factor-dates hint" data-testid="factor-dates">${added === undefined ? '' : html`Added on <time datetime="${f.created}">${added}</time>`}${used === undefined
          ? (f.active ? ' · not used in this session' : '')
          : html` · last used ${timeTag(used, view.now)}`}</span>
      </div>
      <div class="factor-actions">
        ${f.active || !FINISHED_HERE.has(f.kind) ? '' : html`<a href="/mfa/enroll${f.kind === 'sms' ? '?method=sms' : ''}">Finish setup</a>`}
        <a class="remove" href="/account/security/remove/${encodeURIComponent(f.id)}" aria-label="Remove ${factorName(f)}">Remove</a>
      </div>
    </li>`
  })
  const body = html`
  <section class="card">
    <h1>Security</h1>
    ${notice('success', view.success)}
    ${notice('info', view.info)}
    ${notice('error', view.error)}
    <h2>Factors</h2>
    ${view.factorsError !== undefined
      ? notice('error', view.factorsError)
      : view.factors.length === 0 ? html`<p>No factors. You will set one up at your next sign-in.</p>` : html`<ul class="factors">${rows}</ul>`}
    ${view.factorsError !== undefined || canAddHere(view.factors)
      ? html`<p><a class="button secondary" href="/mfa/enroll">Add a factor</a></p>`
      : html`<p class="hint" data-testid="all-added">${ALL_ADDED}</p>`}
    <p class="hint">Removing a factor asks for a fresh code first, so someone at an unlocked computer cannot take over your account.</p>
    ${view.remembered === undefined
      ? ''
      : html`<h2>Remembered devices</h2>
    <p>${rememberedNow(view.remembered)}A remembered device skips the code for ${dayCount(view.remembered.days)}; removing or adding a factor forgets every device.</p>
    <form method="post" action="/account/security/forget-devices">${csrfField(view.csrf)}<button type="submit" class="secondary" data-testid="forget-devices">Forget remembered devices</button></form>
    <p class="hint">Every browser where you ticked “Remember this device” asks for a code again at the next sign-in.</p>`}
    <h2>Sessions</h2>
    <form method="post" action="/account/security/sign-out-everywhere">${csrfField(view.csrf)}<button type="submit" class="secondary">Sign out of all sessions</button></form>
    <p class="hint">Signs you out on every browser and device, this one included.</p>
  </section>`
  return page({ title: 'Security', body, userName: view.userName, csrf: view.csrf })
}

/** What the step-up confirmation shows. */
export interface RemoveView {
  csrf: string
  userName: string
  factor: FactorView
  /** Factors that can confirm (active, take a code). */
  verifyWith: FactorView[]
  selectedFactorId?: string | undefined
  isLast: boolean
  /** The account's other active factors are all of kinds the pages cannot check: removing this one strands it. */
  strands?: boolean
  emulator: boolean
  error?: string | undefined
  info?: string | undefined
  /** Seconds before another code may be sent, by factor id. */
  resendWaits?: ReadonlyMap<string, number> | undefined
  /** The last code was used moments ago: warn before the person types it again. */
  freshCodeWarning?: boolean
  /** The id the code form carries back once (a page sent again is not checked twice). */
  formId?: string | undefined
  /** Sign-in is paused (`error` says until when): no code form, a way out instead. */
  locked?: boolean
  /** With `locked`: locked until an administrator unlocks the account (Okta's lockout), not for a while. */
  adminLocked?: boolean
}

/** "Remove this factor? Enter a fresh code." */
export function removePage (view: RemoveView): string {
  const path = `/account/security/remove/${encodeURIComponent(view.factor.id)}`
  const body = html`
  <section class="card">
    <h1>Remove ${view.factor.label}?</h1>
    ${view.factor.detail === undefined ? '' : html`<p>${view.factor.detail}</p>`}
    ${view.isLast ? html`<p class="notice notice-info" id="remove-last">This is your only factor. At your next sign-in you will set up a new one.</p>` : ''}
    ${view.strands === true ? html`<p class="notice notice-error" id="remove-strands" data-testid="strands">This is the last factor this app can check. Without it, your next sign-in here will need an administrator to reset your sign-in methods: add another factor first.</p>` : ''}
    ${notice('info', view.info)}
    ${notice('error', view.error, 'remove-error')}
    ${view.locked !== true && view.freshCodeWarning === true && view.verifyWith.some((f) => f.kind === 'totp') ? freshCodeNotice() : ''}
    ${view.locked === true
      ? view.adminLocked === true
        ? html`<p data-testid="locked-way-out">Once an administrator has unlocked your account, come back to remove it.</p>`
        : html`<p data-testid="paused-way-out">Come back after that time to remove it.</p>`
      : view.verifyWith.length === 0
      ? html`<p>None of your factors can confirm this. <a href="/account/security">Back</a></p>`
      : html`<p>To confirm it's you, enter a fresh code.</p>
        ${codeForm({
          action: path,
          csrf: view.csrf,
          factors: view.verifyWith,
          selectedFactorId: view.selectedFactorId,
          submitLabel: 'Remove factor',
          errorId: view.error === undefined ? undefined : 'remove-error',
          warningIds: [...view.isLast ? ['remove-last'] : [], ...view.strands === true ? ['remove-strands'] : []],
          returnTo: path,
          sendFirst: true,
          resendWaits: view.resendWaits,
          ...(view.formId === undefined ? {} : { hidden: { formId: view.formId } }),
        })}
        ${view.emulator && view.verifyWith.some((f) => f.sendsCode) ? outboxHint() : ''}`}
    <p><a href="/account/security">Cancel</a></p>
  </section>`
  return page({ title: 'Remove a factor', body, userName: view.userName, csrf: view.csrf, scripts: ['/assets/countdown.js'] })
}
