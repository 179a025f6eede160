// Every way the MFA step can fail, in one table: the code an app matches on, the HTTP status the
// strategy passes to passport's `fail`, and a message fit to show the end user.

/**
 * The fail codes: `info.code` in passport's fail info (the strategy), and `code` in the 401 JSON body of the guards.
 * `retryable` says whether the same user may simply try again (possibly after `retryAfterSeconds`).
 */
export const FAIL_CODES = {
  NOT_AUTHENTICATED: { status: 401, retryable: false, message: 'Sign in first.' },
  PASSCODE_MISSING: { status: 400, retryable: true, message: 'Enter the 6-digit code from your authenticator app.' },
  PASSCODE_MALFORMED: { status: 400, retryable: true, message: 'The code is 6 digits.' },
  FACTOR_NOT_FOUND: { status: 400, retryable: false, message: 'That authenticator is not set up for your account.' },
  ENROLLMENT_REQUIRED: { status: 403, retryable: false, message: 'Set up an authenticator app first.' },
  INVALID_PASSCODE: { status: 401, retryable: true, message: "That code didn't match. Try again." },
  PASSCODE_REPLAYED: { status: 401, retryable: true, message: 'That code was already used. Wait for the next one.' },
  LOCKED_OUT: { status: 403, retryable: true, message: 'Too many attempts. Try again later.' },
  RATE_LIMITED: { status: 429, retryable: true, message: 'Too many requests. Try again shortly.' },
  MFA_REQUIRED: { status: 401, retryable: true, message: 'Verify with your authenticator app to continue.' },
} as const satisfies Record<string, { status: number, retryable: boolean, message: string }>

/** One of {@link FAIL_CODES}. */
export type MfaFailCode = keyof typeof FAIL_CODES

/** The challenge object the strategy passes to passport's `fail(info, status)`. */
export interface MfaFailInfo {
  code: MfaFailCode
  /** End-user text (passport's `failureMessage`/`failureFlash` show it). */
  message: string
  /** `'error'`, so passport's failure flash files it as an error. */
  type: 'error'
  /** Seconds until another try can succeed: LOCKED_OUT (our limiter) and RATE_LIMITED (Okta's, when known). */
  retryAfterSeconds?: number
  /** Attempts left before LOCKED_OUT, on INVALID_PASSCODE and PASSCODE_REPLAYED. */
  attemptsRemaining?: number
}

/**
 * Builds the fail info for `code`.
 *
 * @example
 * this.fail(failInfo('PASSCODE_MISSING'), FAIL_CODES.PASSCODE_MISSING.status)
 */
export function failInfo (code: MfaFailCode, extra: { retryAfterSeconds?: number | undefined, attemptsRemaining?: number | undefined } = {}): MfaFailInfo {
  const info: MfaFailInfo = { code, message: failMessage(code, extra.retryAfterSeconds), type: 'error' }
  if (extra.retryAfterSeconds !== undefined) info.retryAfterSeconds = extra.retryAfterSeconds
  if (extra.attemptsRemaining !== undefined) info.attemptsRemaining = extra.attemptsRemaining
  return info
}

/**
 * The end-user text for `code`; with a retry time, says when to try again
 * (so apps that only show passport's `failureMessage` still tell the user how long to wait).
 *
 * @example
 * failMessage('LOCKED_OUT', 600) // 'Too many attempts. Try again in 10 minutes.'
 */
export function failMessage (code: MfaFailCode, retryAfterSeconds?: number): string {
  const base = FAIL_CODES[code].message
  if (retryAfterSeconds === undefined || !Number.isFinite(retryAfterSeconds) || retryAfterSeconds <= 0) return base
  const wait = retryAfterSeconds < 90 ? `${Math.ceil(retryAfterSeconds)} seconds` : `${Math.ceil(retryAfterSeconds / 60)} minutes`
  return base.replace(/ later\.$| shortly\.$/, '.').replace(/\.$/, ` in ${wait}.`)
}

/** Whether `value` is one of {@link FAIL_CODES}. */
export function isMfaFailCode (value: unknown): value is MfaFailCode {
  return typeof value === 'string' && Object.hasOwn(FAIL_CODES, value)
}
