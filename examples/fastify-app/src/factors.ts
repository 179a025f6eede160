// How the pages describe an Okta factor: one small view model built from @okta-mfa/client's UserFactor,
// so no view reads Okta's wire shapes.
import { maskEmail, maskPhoneNumber } from '@okta-mfa/core'

/** The fields of an Okta factor the pages use (a subset of @okta-mfa/client's UserFactor). */
export interface FactorLike {
  id: string
  factorType: string
  provider: string
  vendorName?: string | undefined
  status: string
  created?: string | undefined
  lastUpdated?: string | undefined
  profile?: unknown
}

/** A factor as the pages show it. */
export interface FactorView {
  id: string
  /** `totp`, `sms`, `call`, `email`, `question`, `push` or `other`. */
  kind: 'totp' | 'sms' | 'call' | 'email' | 'question' | 'push' | 'other'
  /** "Authenticator app (Google Authenticator)", "Text message". */
  label: string
  /** A phone number (masked) or an address, when there is one. */
  detail: string | undefined
  status: string
  active: boolean
  /** True for factors that send a code (sms, call, email): the page offers "send me a code". */
  sendsCode: boolean
  created: string | undefined
  /** When Okta last changed the factor (activation, for most). */
  lastUpdated: string | undefined
}

const KIND: Record<string, FactorView['kind']> = {
  'token:software:totp': 'totp',
  sms: 'sms',
  call: 'call',
  email: 'email',
  question: 'question',
  push: 'push',
}

/** The detail of an authenticator app factor of Okta Verify (provider OKTA), beside Google's "time-based codes". */
export const OKTA_VERIFY = 'Okta Verify'

/** Builds the view model of a factor. */
export function factorView (factor: FactorLike): FactorView {
  // Own keys only: a factor type of `constructor` (Okta's text) must not find Object's members.
  const kind = Object.hasOwn(KIND, factor.factorType) ? KIND[factor.factorType]! : 'other'
  const profile = (typeof factor.profile === 'object' && factor.profile !== null ? factor.profile : {}) as Record<string, unknown>
  let label: string
  let detail: string | undefined
  switch (kind) {
    case 'totp':
      label = 'Authenticator app'
      detail = factor.provider === 'OKTA' ? OKTA_VERIFY : 'time-based codes'
      break
    case 'sms':
      label = 'Text message'
      detail = typeof profile.phoneNumber === 'string' ? maskPhoneNumber(profile.phoneNumber) : undefined
      break
    case 'call':
      label = 'Voice call'
      detail = typeof profile.phoneNumber === 'string' ? maskPhoneNumber(profile.phoneNumber) : undefined
      break
    case 'email':
      label = 'E-mail'
      detail = typeof profile.email === 'string' ? maskEmail(profile.email) : undefined
      break
    case 'question':
      label = 'Security question'
      break
    case 'push':
      label = 'Okta Verify push'
      break
    default:
      label = factor.factorType
  }
  return {
    id: factor.id,
    kind,
    label,
    detail,
    status: factor.status,
    active: factor.status === 'ACTIVE',
    sendsCode: kind === 'sms' || kind === 'call' || kind === 'email',
    created: factor.created,
    lastUpdated: factor.lastUpdated,
  }
}

/**
 * Whether the setup pages have something left to add: they set up an authenticator app and a text message, and an
 * account with both active (and neither pending) has nothing more to set up here.
 */
export function canAddHere (factors: FactorView[]): boolean {
  const active = (kind: FactorView['kind']): boolean => factors.some((f) => f.kind === kind && f.active)
  const pending = factors.some((f) => (f.kind === 'totp' || f.kind === 'sms') && f.status === 'PENDING_ACTIVATION')
  return pending || !(active('totp') && active('sms'))
}

/** "Authenticator app · Okta Verify": a factor's label with its detail, which tells two factors of a kind apart. */
export function factorName (f: Pick<FactorView, 'label' | 'detail'>): string {
  return f.detail === undefined ? f.label : `${f.label} · ${f.detail}`
}

/** A factor that sends its code, and how the code arrives in the pages' words. */
export const SENT_BY = { sms: 'text message', call: 'voice call', email: 'e-mail' } as const

/**
 * Okta's wait between two codes of one factor, in seconds, by how it sends them: E0000109 (text message) and E0000133
 * (voice call) after 30 s, E0000118 (e-mail) after 5 s.
 */
export const RESEND_WAITS: Readonly<Record<keyof typeof SENT_BY, number>> = { sms: 30, call: 30, email: 5 }

/** How `factor` sends its code (`sms`, `call`, `email`), or undefined for one that does not (an authenticator app). */
export function sentBy (factor: FactorView | undefined): 'sms' | 'call' | 'email' | undefined {
  return factor?.kind === 'sms' || factor?.kind === 'call' || factor?.kind === 'email' ? factor.kind : undefined
}

/** A factor's badge, the same words on every page: "active", "setup not finished" (Okta's PENDING_ACTIVATION), … */
export function statusText (factor: Pick<FactorView, 'active' | 'status'>): string {
  if (factor.active) return 'active'
  return factor.status === 'PENDING_ACTIVATION' ? 'setup not finished' : factor.status.toLowerCase().replace(/_/g, ' ')
}

/** Active factors that take a passcode the pages can verify (TOTP first, then sms, call, email). */
export function verifiableFactors (factors: FactorView[]): FactorView[] {
  const order: FactorView['kind'][] = ['totp', 'sms', 'call', 'email']
  return factors
    .filter((f) => f.active && order.includes(f.kind))
    .sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind))
}

/**
 * The active factors of an account that has some but none the pages can verify (a security question, push…), or
 * `undefined` when the pages can work with the account (it has a verifiable factor, or no active factor at all).
 * Such an account can neither pass /mfa here nor add a factor (that needs a fresh MFA step): the pages say so.
 */
export function unusableActiveFactors (factors: FactorView[]): FactorView[] | undefined {
  const active = factors.filter((f) => f.active)
  return active.length > 0 && verifiableFactors(factors).length === 0 ? active : undefined
}
