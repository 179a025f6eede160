// The one outcome table of the MFA step, shared by both front doors: the Passport strategy and its guards answer
// with these codes (passport fail info, guard JSON), the GraphQL gateway with the same codes in `extensions.code`.
// Each code has one HTTP status, one "may the same user simply try again" flag and one default end-user message.

/** One row of {@link MFA_OUTCOMES}. */
export interface MfaOutcomeSpec {
  /** HTTP status of the refusal. */
  readonly status: number
  /** Whether the same user may simply try again (possibly after `retryAfterSeconds`). */
  readonly retryable: boolean
  /** A message fit to show the end user. */
  readonly message: string
}

/**
 * Every outcome of the MFA rules other than success, by code.
 *
 * @example
 * MFA_OUTCOMES.LOCKED_OUT.status // 403
 */
export const MFA_OUTCOMES = {
  UNAUTHENTICATED: { status: 401, retryable: false, message: 'Sign in first.' },
  PASSCODE_MISSING: { status: 400, retryable: true, message: 'Enter the 6-digit code from your authenticator.' },
  PASSCODE_MALFORMED: { status: 400, retryable: true, message: 'The code is 6 digits.' },
  BAD_USER_INPUT: { status: 400, retryable: false, message: 'The input is not valid.' },
  FACTOR_NOT_FOUND: { status: 404, retryable: false, message: 'That authenticator is not set up for your account.' },
  OKTA_USER_NOT_FOUND: { status: 403, retryable: false, message: 'Your account is not set up for multi-factor sign-in yet.' },
  ENROLLMENT_REQUIRED: { status: 403, retryable: false, message: 'Set up an authenticator first.' },
  ALREADY_ENROLLED: { status: 409, retryable: false, message: 'A factor of this type is already enrolled.' },
  INVALID_PASSCODE: { status: 401, retryable: true, message: "That code didn't match. Try again." },
  PASSCODE_REPLAYED: { status: 401, retryable: true, message: 'That code was already used. Wait for the next one.' },
  LOCKED_OUT: { status: 403, retryable: true, message: 'Too many attempts. Try again later.' },
  RATE_LIMITED: { status: 429, retryable: true, message: 'Too many requests. Try again shortly.' },
  MFA_REQUIRED: { status: 401, retryable: false, message: 'Verify with your authenticator to continue.' },
  STORE_UNAVAILABLE: { status: 503, retryable: true, message: 'Sign-in is briefly unavailable. Try again shortly.' },
  UPSTREAM_UNAVAILABLE: { status: 503, retryable: true, message: 'The identity provider is unavailable.' },
  UPSTREAM_TIMEOUT: { status: 504, retryable: true, message: 'The identity provider did not answer in time.' },
} as const satisfies Record<string, MfaOutcomeSpec>

/** One of the codes of {@link MFA_OUTCOMES}. */
export type MfaOutcomeCode = keyof typeof MFA_OUTCOMES

/** Public details an outcome may carry beside its code. */
export interface MfaOutcomeDetails {
  /** Seconds until another try can succeed (LOCKED_OUT, RATE_LIMITED, the last wrong code of a window). */
  retryAfterSeconds?: number | undefined
  /** Passcode attempts left in the window (INVALID_PASSCODE, PASSCODE_REPLAYED); 0: the next one is LOCKED_OUT. */
  attemptsRemaining?: number | undefined
  /** The input field at fault (BAD_USER_INPUT, PASSCODE_MISSING, PASSCODE_MALFORMED, FACTOR_NOT_FOUND). */
  field?: string | undefined
}

/** Whether `value` is one of {@link MFA_OUTCOMES}. */
export function isMfaOutcomeCode (value: unknown): value is MfaOutcomeCode {
  return typeof value === 'string' && Object.hasOwn(MFA_OUTCOMES, value)
}

/** The text of a LOCKED_OUT without a wait: Okta's lockout or a user it suspended or deactivated. */
const ADMIN_LOCKED_MESSAGE = 'This account is locked. Ask an administrator to unlock it.'

/**
 * The end-user text of `code`; with a retry time it says when to try again. A LOCKED_OUT without one is Okta's
 * lockout or a user Okta suspended or deactivated, and says an administrator must unlock the account.
 *
 * @example
 * outcomeMessage('LOCKED_OUT', 600) // 'Too many attempts. Try again in 10 minutes.'
 * outcomeMessage('LOCKED_OUT') // 'This account is locked. Ask an administrator to unlock it.'
 */
export function outcomeMessage (code: MfaOutcomeCode, retryAfterSeconds?: number): string {
  const base: string = MFA_OUTCOMES[code].message
  if (retryAfterSeconds === undefined || !Number.isFinite(retryAfterSeconds) || retryAfterSeconds <= 0) {
    // Our limiter's lockout always has a wait; one without is Okta's (E0000069) or a suspended or deactivated user
    // (E0000038): no wait ends it, an administrator does.
    return code === 'LOCKED_OUT' ? ADMIN_LOCKED_MESSAGE : base
  }
  const seconds = Math.ceil(retryAfterSeconds)
  const minutes = Math.ceil(retryAfterSeconds / 60)
  const wait = retryAfterSeconds < 90 ? `${seconds} ${seconds === 1 ? 'second' : 'seconds'}` : `${minutes} minutes`
  // The last attempt of a window: what was wrong, then that no code is taken until the wait is over (not "wait for
  // the next one in 15 minutes", which reads as the next code's arrival).
  if (code === 'INVALID_PASSCODE' || code === 'PASSCODE_REPLAYED') return `${base.split('. ')[0]!}. Too many attempts: try again in ${wait}.`
  return base.replace(/ later\.$| shortly\.$/, '.').replace(/\.$/, ` in ${wait}.`)
}

/**
 * An outcome of the MFA rules as an error: a stable `code` from {@link MFA_OUTCOMES}, its HTTP `status` (also as
 * `statusCode`, which Express and Fastify error handlers read), `retryable`, public `details` and a public message.
 * Okta's own texts and secrets never reach the message; the client error, if any, is the `cause`.
 *
 * @example
 * throw new MfaError('FACTOR_NOT_FOUND')
 */
export class MfaError extends Error {
  /** Always `'MfaError'`. */
  override readonly name = 'MfaError'
  /** The outcome's stable code, a key of {@link MFA_OUTCOMES}. */
  readonly code: MfaOutcomeCode
  /** Public details of the outcome (e.g. `retryAfterSeconds`, `field`, `attemptsRemaining`), safe to send to the client. */
  readonly details: MfaOutcomeDetails

  constructor (code: MfaOutcomeCode, details: MfaOutcomeDetails = {}, message?: string, options?: {
    /** The error that led to this one (the standard `cause`). */
    cause?: unknown
  }) {
    super(message ?? outcomeMessage(code, details.retryAfterSeconds), options)
    this.code = code
    this.details = details
  }

  /** HTTP status of the code. */
  get status (): number { return MFA_OUTCOMES[this.code].status }
  /** Same as `status`, for Fastify's error handler. */
  get statusCode (): number { return this.status }
  /** Whether the same user may simply try again. */
  get retryable (): boolean { return MFA_OUTCOMES[this.code].retryable }
}

/** Whether `err` is an {@link MfaError} (also one from another copy of this package). */
export function isMfaError (err: unknown): err is MfaError {
  return err instanceof MfaError || (typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'MfaError' && isMfaOutcomeCode((err as { code?: unknown }).code))
}
