// How the outcomes of @okta-mfa/core reach passport: the strategy's `fail(info, status)` carries the code, the
// end-user message and the retry details; the guards answer with the same codes. One table, in the core.
import { MFA_OUTCOMES, isMfaOutcomeCode, outcomeMessage, type MfaOutcomeCode, type MfaOutcomeDetails } from '@okta-mfa/core'

/**
 * The fail codes: the outcome table of @okta-mfa/core (`info.code` in passport's fail info, `code` in the guards'
 * JSON body, `extensions.code` in the gateway). `retryable` says whether the same user may simply try again.
 */
export const FAIL_CODES = MFA_OUTCOMES

/** One of {@link FAIL_CODES}. */
export type MfaFailCode = MfaOutcomeCode

/** The challenge object the strategy passes to passport's `fail(info, status)`. */
export interface MfaFailInfo {
  /** The outcome's stable code, a key of {@link FAIL_CODES}. */
  code: MfaFailCode
  /** End-user text (passport's `failureMessage`/`failureFlash` show it). */
  message: string
  /** `'error'`, so passport's failure flash files it as an error. */
  type: 'error'
  /** Seconds until another try can succeed: LOCKED_OUT, RATE_LIMITED, the last wrong code of a window. */
  retryAfterSeconds?: number | undefined
  /** Attempts left before LOCKED_OUT, on INVALID_PASSCODE and PASSCODE_REPLAYED. */
  attemptsRemaining?: number | undefined
}

/**
 * Builds the fail info for `code`.
 *
 * @example
 * this.fail(failInfo('PASSCODE_MISSING'), FAIL_CODES.PASSCODE_MISSING.status)
 */
export function failInfo (code: MfaFailCode, extra: MfaOutcomeDetails = {}): MfaFailInfo {
  const info: MfaFailInfo = { code, message: outcomeMessage(code, extra.retryAfterSeconds), type: 'error' }
  if (extra.retryAfterSeconds !== undefined) info.retryAfterSeconds = extra.retryAfterSeconds
  if (extra.attemptsRemaining !== undefined) info.attemptsRemaining = extra.attemptsRemaining
  return info
}

/** The end-user text for `code`, saying when to try again when a retry time is given. */
export const failMessage = outcomeMessage

/** Whether `value` is one of {@link FAIL_CODES}. */
export const isMfaFailCode = isMfaOutcomeCode
