// Okta's error envelope. Every error the emulator answers goes through `OktaError`, so every
// error body carries the same five fields Okta sends: errorCode, errorSummary, errorLink
// (= errorCode), errorId ('oae' + 22 characters) and errorCauses.
import { randomChars, URL_SAFE } from './ids.js'

/** The JSON body of every Okta error response. */
export interface OktaErrorBody {
  /** Okta's error code, e.g. `E0000011`. */
  errorCode: string
  /** The human-readable summary. */
  errorSummary: string
  /** Equal to `errorCode`, as Okta sends it. */
  errorLink: string
  /** This error's instance id: `oae` and 22 characters. */
  errorId: string
  /** The causes, e.g. which field is invalid; `[]` when none. */
  errorCauses: Array<{
    /** What is wrong, e.g. which field and why. */
    errorSummary: string
  }>
}

/** An error the emulator answers with Okta's envelope and HTTP status. */
export class OktaError extends Error {
  /** HTTP status of the response. */
  readonly status: number
  /** Okta error code, e.g. `E0000068`. */
  readonly errorCode: string
  /** Okta's summary text. */
  readonly errorSummary: string
  /** Texts of `errorCauses`. */
  readonly causes: string[]
  /** For a throttle's 429: when (ms) it lifts; answered as `X-Rate-Limit-Reset` with `X-Rate-Limit-Remaining: 0`. */
  resetAt: number | undefined

  constructor (status: number, errorCode: string, errorSummary: string, causes: string[] = []) {
    // These are answers, not bugs: skip the stack trace, which would cost more than the rest of a verify.
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    super(errorSummary)
    Error.stackTraceLimit = limit
    this.name = 'OktaError'
    this.status = status
    this.errorCode = errorCode
    this.errorSummary = errorSummary
    this.causes = causes
    this.resetAt = undefined
  }

  /** The response body, with a fresh `errorId`. */
  toBody (): OktaErrorBody {
    return {
      errorCode: this.errorCode,
      errorSummary: this.errorSummary,
      errorLink: this.errorCode,
      errorId: newErrorId(),
      errorCauses: this.causes.map((errorSummary) => ({ errorSummary })),
    }
  }
}

/** `oae` followed by 22 URL-safe characters, like Okta's error ids. */
export function newErrorId (): string {
  return 'oae' + randomChars(URL_SAFE, 22)
}

/** 400 E0000001 "Api validation failed: {what}". */
export function validationError (what: string, ...causes: string[]): OktaError {
  return new OktaError(400, 'E0000001', `Api validation failed: ${what}`, causes)
}

/** 400 E0000003 "The request body was not well-formed." */
export function malformedBody (cause?: string): OktaError {
  return new OktaError(400, 'E0000003', 'The request body was not well-formed.', cause === undefined ? [] : [cause])
}

/** 404 E0000007 "Not found: Resource not found: {id} ({kind})". */
export function notFound (id: string, kind: 'User' | 'UserGroup' | 'UserFactor' | 'Transaction' | 'Path' | 'QRCode'): OktaError {
  return new OktaError(404, 'E0000007', `Not found: Resource not found: ${id} (${kind})`)
}

/** 400 E0000021: a body that is not JSON, or an `Accept` header that admits no type the route answers with. */
export const unsupportedMediaType = (): OktaError =>
  new OktaError(400, 'E0000021', 'Bad request.  Accept and/or Content-Type headers likely do not match supported values.')

/** 405 E0000022: the path exists, but not with this HTTP method. */
export const methodNotAllowed = (): OktaError =>
  new OktaError(405, 'E0000022', 'The endpoint does not support the provided HTTP method')

/** 403 E0000005 "Invalid session" (no Authorization header). */
export const invalidSession = (): OktaError => new OktaError(403, 'E0000005', 'Invalid session')

/** 401 E0000011 "Invalid token provided". */
export const invalidToken = (): OktaError => new OktaError(401, 'E0000011', 'Invalid token provided')

/** 429 E0000047 "API call exceeded rate limit due to too many requests." */
export const rateLimited = (): OktaError =>
  new OktaError(429, 'E0000047', 'API call exceeded rate limit due to too many requests.')

/** 403 E0000068 "Invalid Passcode/Answer". */
export const invalidPasscode = (cause = "Your passcode doesn't match our records. Please try again."): OktaError =>
  new OktaError(403, 'E0000068', 'Invalid Passcode/Answer', [cause])

/** 403 E0000082: a code accepted once is refused afterwards. */
export const passcodeReplayed = (): OktaError =>
  new OktaError(403, 'E0000082', 'Each code can only be used once. Please wait for a new code and try again.')

/** 403 E0000069 "User Locked". */
export const userLocked = (): OktaError => new OktaError(403, 'E0000069', 'User Locked')

/** 403 E0000038: the operation is not allowed in the user's current status. */
export const wrongUserStatus = (): OktaError =>
  new OktaError(403, 'E0000038', "This operation is not allowed in the user's current status.")

/** 403 E0000032 "Unlock is not allowed for this user." (unlock a user who is neither LOCKED_OUT nor ACTIVE). */
export const unlockForbidden = (): OktaError =>
  new OktaError(403, 'E0000032', 'Unlock is not allowed for this user.')

/** 400 E0000031 "Invalid search criteria." */
export const invalidSearch = (cause: string): OktaError =>
  new OktaError(400, 'E0000031', 'Invalid search criteria.', [cause])

/** 400 E0000030: a date in a `search` or `filter` that is not of Okta's form (Okta's text, word for word). */
export const invalidDate = (): OktaError =>
  new OktaError(400, 'E0000030', "Bad request. Invalid date. Dates must be of the form yyyy-MM-dd'T'HH:mm:ss.SSSZZ, e.g. 2013-01-01T12:00:00.000-07:00.")

/** The three "sent too recently" errors, by channel. */
export const tooSoon = {
  sms: () => new OktaError(429, 'E0000109', 'An SMS message was recently sent. Please wait 30 seconds before trying again.'),
  call: () => new OktaError(429, 'E0000133', 'A phone call was recently made. Please wait 30 seconds before trying again.'),
  email: () => new OktaError(429, 'E0000118', 'An email was recently sent. Please wait 5 seconds before trying again.'),
} as const
