// Which factor to verify, and what Okta's answer means for passport: the one place where client
// error codes become fail codes (a page can act on) or errors (the app's error handler).
import type { MfaFailCode } from './fail-codes.js'
import { errorCode, type OktaFactorLike } from './okta-port.js'

/** The factor type this strategy verifies by default. */
export const TOTP_FACTOR_TYPE = 'token:software:totp'

/** Factor types whose verify takes a passCode (so a `factorId` of one of them may be chosen explicitly). */
const PASSCODE_FACTOR_TYPES: ReadonlySet<string> = new Set([TOTP_FACTOR_TYPE, 'token:hotp', 'token', 'sms', 'call', 'email'])

/** The outcome of {@link selectFactor}. */
export type FactorSelection =
  | { ok: true, factor: OktaFactorLike }
  | { ok: false, code: 'FACTOR_NOT_FOUND' | 'ENROLLMENT_REQUIRED' }

/**
 * Picks the factor to verify: `requestedId` must be one of the user's own ACTIVE passcode factors
 * (else FACTOR_NOT_FOUND; a pending one means ENROLLMENT_REQUIRED); without it, the user's ACTIVE
 * TOTP factor (none: ENROLLMENT_REQUIRED).
 */
export function selectFactor (factors: readonly OktaFactorLike[], requestedId: string | undefined): FactorSelection {
  if (requestedId !== undefined) {
    const factor = factors.find((f) => f.id === requestedId)
    if (factor === undefined || !PASSCODE_FACTOR_TYPES.has(factor.factorType)) return { ok: false, code: 'FACTOR_NOT_FOUND' }
    if (factor.status !== 'ACTIVE') return { ok: false, code: 'ENROLLMENT_REQUIRED' }
    return { ok: true, factor }
  }
  const factor = factors.find((f) => f.factorType === TOTP_FACTOR_TYPE && f.status === 'ACTIVE')
  return factor === undefined ? { ok: false, code: 'ENROLLMENT_REQUIRED' } : { ok: true, factor }
}

/** Okta answered 200 with a factorResult other than SUCCESS or REJECTED to a passcode: not something a user can fix. */
export class UnexpectedFactorResultError extends Error {
  readonly code = 'OKTA_MFA_UNEXPECTED_RESULT'
  readonly factorResult: string
  constructor (factorResult: string) {
    super(`Okta answered factorResult ${JSON.stringify(factorResult)} to a passcode verification`)
    this.name = 'UnexpectedFactorResultError'
    this.factorResult = factorResult
  }
}

/** What a verify call means for passport. */
export type VerifyOutcome =
  | { kind: 'success' }
  | { kind: 'fail', code: MfaFailCode, retryAfterSeconds?: number | undefined }
  | { kind: 'error', error: unknown }

/** Client error code → fail code; anything not listed goes to `error` (timeouts, connection, 5xx, bad responses). */
export const OKTA_FAIL_CODES = {
  OKTA_INVALID_PASSCODE: 'INVALID_PASSCODE',
  OKTA_PASSCODE_REPLAYED: 'PASSCODE_REPLAYED',
  OKTA_USER_LOCKED: 'LOCKED_OUT',
  OKTA_RATE_LIMITED: 'RATE_LIMITED',
  OKTA_NOT_FOUND: 'FACTOR_NOT_FOUND',
} as const satisfies Record<string, MfaFailCode>

/**
 * Maps a verify result (or the error it threw) to success, a fail code, or an error.
 * A 5xx carrying an Okta error body is an `OKTA_API_ERROR` with `status >= 500`: an error, like a timeout.
 */
export function verifyOutcome (result: { factorResult: string } | undefined, err: unknown): VerifyOutcome {
  if (result !== undefined) {
    if (result.factorResult === 'SUCCESS') return { kind: 'success' }
    if (result.factorResult === 'REJECTED') return { kind: 'fail', code: 'INVALID_PASSCODE' }
    return { kind: 'error', error: new UnexpectedFactorResultError(result.factorResult) }
  }
  const code = errorCode(err)
  if (code !== undefined && Object.hasOwn(OKTA_FAIL_CODES, code)) {
    const failCode = OKTA_FAIL_CODES[code as keyof typeof OKTA_FAIL_CODES]
    if (failCode === 'RATE_LIMITED') {
      const seconds = (err as { retryAfterSeconds?: unknown }).retryAfterSeconds
      return { kind: 'fail', code: failCode, retryAfterSeconds: typeof seconds === 'number' && Number.isFinite(seconds) ? Math.max(1, Math.ceil(seconds)) : undefined }
    }
    return { kind: 'fail', code: failCode }
  }
  return { kind: 'error', error: err }
}
