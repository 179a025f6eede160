// /account: the protected page. Shows who is signed in, their factors and when MFA was last completed.
import type { MfaMethod } from 'passport-okta-mfa'
import { statusText, type FactorView } from '../factors.js'
import { html, notice, page, type SafeHtml } from './layout.js'

/** How long ago, in words: "just now", "5 minutes ago", "2 hours ago". */
export function ago (thenMs: number, nowMs: number): string {
  const s = Math.max(0, Math.round((nowMs - thenMs) / 1000))
  if (s < 45) return 'just now'
  const m = Math.round(s / 60)
  if (m < 60) return `${m} minute${m === 1 ? '' : 's'} ago`
  const h = Math.round(m / 60)
  return `${h} hour${h === 1 ? '' : 's'} ago`
}

/** A time as an accessible `<time>` element: "2026-11-28 10:59 UTC (5 minutes ago)". */
export function timeTag (ms: number, nowMs: number): SafeHtml {
  const iso = new Date(ms).toISOString()
  return html`<time datetime="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time> (${ago(ms, nowMs)})`
}

/** A list of factors with their status. */
export function factorList (factors: FactorView[]): SafeHtml {
  if (factors.length === 0) return html`<p>No factor set up.</p>`
  return html`<ul class="factors">${factors.map((f) => html`<li data-factor-id="${f.id}">
    <span class="factor-label">${f.label}</span>${f.detail === undefined ? '' : html` <span class="factor-detail">${f.detail}</span>`}
    <span class="badge ${f.active ? 'badge-ok' : 'badge-warn'}">${statusText(f)}</span>
  </li>`)}</ul>`
}

/** What the account page shows. */
export interface AccountView {
  csrf: string
  user: { username: string, displayName: string, oktaLogin: string }
  factors: FactorView[]
  /** The factors could not be read (Okta unavailable): say so instead of an empty list. */
  factorsError?: string | undefined
  /**
   * The session's MFA step. `remembered`: this session began on a remembered browser without a code (said in the past
   * tense: after "Forget remembered devices" the browser is not remembered any more, but the session began that way).
   */
  mfa: { completedAt: number, method: MfaMethod, factorLabel: string | undefined, remembered?: boolean }
  now: number
  success?: string | undefined
}

/** The account page. */
export function accountPage (view: AccountView): string {
  // A remembered browser skipped the code: the page does not claim a second factor was used this time.
  const how = view.mfa.remembered === true ? ', on a browser remembered after a code from your second factor' : ' and a second factor'
  const body = html`
  <section class="card">
    <h1>Hello, ${view.user.displayName}</h1>
    ${notice('success', view.success)}
    ${view.factorsError !== undefined || view.factors.some((f) => f.active)
      ? html`<p data-testid="signed-in-note">You are signed in with your password${how}.</p>`
      : html`<p data-testid="no-factor-note">You signed in with your password${how}, but you have no factor now.
        You will set one up at your next sign-in, or <a href="/mfa/enroll">set one up now</a>.</p>`}
    <dl class="facts">
      <dt>Username</dt><dd data-testid="username">${view.user.username}</dd>
      <dt>Okta login</dt><dd>${view.user.oktaLogin}</dd>
      <dt>Last MFA</dt><dd data-testid="mfa-completed">${timeTag(view.mfa.completedAt, view.now)}
        ${view.mfa.factorLabel === undefined ? '' : `with ${view.mfa.factorLabel}`}${view.mfa.remembered === true ? ' (this sign-in skipped the code because this browser was remembered)' : ''}</dd>
    </dl>
  </section>
  <section class="card">
    <h2>Your factors</h2>
    ${view.factorsError === undefined ? factorList(view.factors) : notice('error', view.factorsError)}
    <p><a href="/account/security">Manage factors</a></p>
  </section>`
  return page({ title: 'Your account', body, userName: view.user.displayName, csrf: view.csrf })
}
