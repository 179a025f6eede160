// Which factor a passcode is for, and how factor details are shown before the MFA step.
import { MfaError } from './outcomes.js'
import type { OktaFactorLike } from './okta-port.js'

/** The factor type verified when the user names none. */
export const TOTP_FACTOR_TYPE = 'token:software:totp'

/** Factor types whose verify takes a passCode. */
export const PASSCODE_FACTOR_TYPES: ReadonlySet<string> = new Set([TOTP_FACTOR_TYPE, 'token:hotp', 'token', 'sms', 'call', 'email'])
/** Factor types whose verify takes an answer. */
export const ANSWER_FACTOR_TYPES: ReadonlySet<string> = new Set(['question'])

/** The refusal of a factor that takes no passcode or answer: an Okta Verify push, a security key. */
const NOT_VERIFIABLE = 'This authenticator cannot be verified here.'
/** The refusal of a code sent without a factor id by a user with several authenticator apps. */
const SEVERAL_TOTP = 'You have more than one authenticator app: choose the one this code is from.'

/** The outcome of {@link selectFactor}. */
export type FactorSelection =
  | {
    /** Whether a factor was picked. */
    ok: true
    /** The factor to verify. */
    factor: OktaFactorLike
  }
  | {
    ok: false
    /** The refusal, an outcome code of {@link MFA_OUTCOMES}. */
    code: 'FACTOR_NOT_FOUND' | 'ENROLLMENT_REQUIRED'
  }
  /**
   * The user's own factor, sent the other kind of secret: `field` is the one it takes; `factorId` for a factor that
   * takes neither (an Okta Verify push, a security key), or (`several`) for a passcode sent without a factor id by a
   * user with more than one ACTIVE TOTP factor (Google Authenticator and Okta Verify's code): which one is for them to say.
   */
  | {
    ok: false
    code: 'BAD_USER_INPUT'
    /** The field at fault: the one the factor takes, or `factorId`. */
    field: 'passCode' | 'answer' | 'factorId'
    /** Set for a passcode sent without a factor id by a user with several ACTIVE TOTP factors. */
    several?: true
  }

/**
 * Picks the factor to verify: `requestedId` must be one of the user's own factors (else FACTOR_NOT_FOUND), ACTIVE
 * (one not active, pending activation or deactivated, is ENROLLMENT_REQUIRED), of a kind that takes this secret (a
 * passcode sent to a question factor, or an answer to a code factor, is BAD_USER_INPUT naming the secret it takes, as
 * Okta's own refusal is; one that takes neither, a push or a security key, is BAD_USER_INPUT naming `factorId`).
 * Without `requestedId`: a passcode goes to the user's ACTIVE TOTP factor (with several, Google's and Okta's, it is
 * BAD_USER_INPUT naming `factorId`, `several`: sent to the wrong one, a right code would count as a wrong one, towards
 * Okta's lockout), an answer to their ACTIVE security question;
 * with no ACTIVE factor at all, or no ACTIVE TOTP for a passcode, ENROLLMENT_REQUIRED; an answer from a user whose
 * ACTIVE factors take codes is BAD_USER_INPUT naming `passCode` (only push or security keys: `factorId`).
 *
 * @example
 * selectFactor(await client.listFactors(userId), undefined)
 */
export function selectFactor (factors: readonly OktaFactorLike[], requestedId: string | undefined, secret: 'passCode' | 'answer' = 'passCode'): FactorSelection {
  const kinds = secret === 'answer' ? ANSWER_FACTOR_TYPES : PASSCODE_FACTOR_TYPES
  if (requestedId !== undefined) {
    const factor = factors.find((f) => f.id === requestedId)
    if (factor === undefined) return { ok: false, code: 'FACTOR_NOT_FOUND' }
    if (!kinds.has(factor.factorType)) {
      if (secret === 'answer' && PASSCODE_FACTOR_TYPES.has(factor.factorType)) return { ok: false, code: 'BAD_USER_INPUT', field: 'passCode' }
      if (secret === 'passCode' && ANSWER_FACTOR_TYPES.has(factor.factorType)) return { ok: false, code: 'BAD_USER_INPUT', field: 'answer' }
      return { ok: false, code: 'BAD_USER_INPUT', field: 'factorId' }
    }
    if (factor.status !== 'ACTIVE') return { ok: false, code: 'ENROLLMENT_REQUIRED' }
    return { ok: true, factor }
  }
  if (secret === 'passCode') {
    const totp = factors.filter((f) => f.factorType === TOTP_FACTOR_TYPE && f.status === 'ACTIVE')
    if (totp.length > 1) return { ok: false, code: 'BAD_USER_INPUT', field: 'factorId', several: true }
    return totp.length === 0 ? { ok: false, code: 'ENROLLMENT_REQUIRED' } : { ok: true, factor: totp[0]! }
  }
  const active = factors.filter((f) => f.status === 'ACTIVE')
  const question = active.find((f) => ANSWER_FACTOR_TYPES.has(f.factorType))
  if (question !== undefined) return { ok: true, factor: question }
  if (active.length === 0) return { ok: false, code: 'ENROLLMENT_REQUIRED' }
  return { ok: false, code: 'BAD_USER_INPUT', field: active.some((f) => PASSCODE_FACTOR_TYPES.has(f.factorType)) ? 'passCode' : 'factorId' }
}

/**
 * The factor a code goes to when the factor it named was the session's and Okta no longer knows it (reset or
 * replaced elsewhere): with no ACTIVE factor at all, ENROLLMENT_REQUIRED; else the one {@link selectFactor} picks
 * with no id (the active TOTP), or the only one that takes this secret; else FACTOR_NOT_FOUND (several are left, or
 * only factors of another kind: the person picks one again).
 */
export function selectReplacement (factors: readonly OktaFactorLike[], secret: 'passCode' | 'answer'): FactorSelection {
  if (!factors.some((f) => f.status === 'ACTIVE')) return { ok: false, code: 'ENROLLMENT_REQUIRED' }
  const kinds = secret === 'answer' ? ANSWER_FACTOR_TYPES : PASSCODE_FACTOR_TYPES
  const usable = factors.filter((f) => kinds.has(f.factorType) && f.status === 'ACTIVE')
  if (usable.length === 0) return { ok: false, code: 'FACTOR_NOT_FOUND' }
  const unnamed = selectFactor(factors, undefined, secret)
  if (unnamed.ok) return unnamed
  return usable.length === 1 ? { ok: true, factor: usable[0]! } : { ok: false, code: 'FACTOR_NOT_FOUND' }
}

/** {@link selectFactor}, throwing the refusal. @throws MfaError FACTOR_NOT_FOUND, ENROLLMENT_REQUIRED or BAD_USER_INPUT. */
export function requireFactor (factors: readonly OktaFactorLike[], requestedId: string | undefined, secret: 'passCode' | 'answer' = 'passCode'): OktaFactorLike {
  const selected = selectFactor(factors, requestedId, secret)
  if (!selected.ok) throw selectionError(selected)
  return selected.factor
}

/** The error of a refused {@link selectFactor}, naming the field at fault. */
export function selectionError (selected: Exclude<FactorSelection, { ok: true }>): MfaError {
  if (selected.code === 'BAD_USER_INPUT') {
    if (selected.field === 'factorId') return new MfaError('BAD_USER_INPUT', { field: 'factorId' }, selected.several === true ? SEVERAL_TOTP : NOT_VERIFIABLE)
    const takes = selected.field === 'answer' ? 'the answer to its question' : 'a code, not an answer'
    return new MfaError('BAD_USER_INPUT', { field: selected.field }, `This authenticator takes ${takes}.`)
  }
  return new MfaError(selected.code, selected.code === 'FACTOR_NOT_FOUND' ? { field: 'factorId' } : {})
}

/** An email address as shown before the MFA step: "ada.lovelace@example.com" → "a•••@example.com". */
export function maskEmail (email: string): string {
  const at = email.lastIndexOf('@')
  if (at <= 0 || email.length > 320) return '•••'
  // The first character, not the first UTF-16 unit: "𝓐da@…" keeps "𝓐", never half of it.
  const first = email.codePointAt(0)!
  return `${first >= 0xd800 && first <= 0xdfff ? '•' : String.fromCodePoint(first)}•••${email.slice(at)}`
}
