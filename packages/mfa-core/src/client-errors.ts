// The one mapping from what @okta-mfa/client and the stores throw to the outcome table. Okta's texts never reach
// the public message; the original error is kept as the `cause` for logs.
import { clientCode as readClientCode, errorCode } from './okta-port.js'
import { isStoreUnavailableError } from './stores/types.js'
import { MfaError, isMfaError, type MfaOutcomeCode, type MfaOutcomeDetails } from './outcomes.js'

/** Client error code → outcome code, for the codes that need nothing else of the error. */
export const CLIENT_ERROR_OUTCOMES = {
  OKTA_INVALID_PASSCODE: 'INVALID_PASSCODE',
  OKTA_PASSCODE_REPLAYED: 'PASSCODE_REPLAYED',
  OKTA_USER_LOCKED: 'LOCKED_OUT',
  OKTA_RATE_LIMITED: 'RATE_LIMITED',
  OKTA_NOT_FOUND: 'FACTOR_NOT_FOUND',
  OKTA_TIMEOUT: 'UPSTREAM_TIMEOUT',
  // The request's deadline (one per request, shared by its Okta calls) ran out.
  OKTA_ABORTED: 'UPSTREAM_TIMEOUT',
  OKTA_CONNECTION: 'UPSTREAM_UNAVAILABLE',
  OKTA_INVALID_RESPONSE: 'UPSTREAM_UNAVAILABLE',
} as const satisfies Record<string, MfaOutcomeCode>

/** When Okta says 429 without a usable reset time. */
export const DEFAULT_RETRY_AFTER_SECONDS = 60

/**
 * The longest wait a 429's reset time is believed for. Okta's rate-limit windows are a minute long; a reset hours
 * ahead is a skewed clock or a proxy's header, and would tell a person to come back in years.
 */
const MAX_RETRY_AFTER_SECONDS = 3600

/**
 * Okta's cause texts when a factor type is enrolled twice: "A factor of this type is already set up.", and for a text
 * message to another number, "There is an existing verified phone number."
 */
const ALREADY_SET_UP = /already (been )?set up|existing verified phone number/i
/** Okta's cause when a factor is verified before it is activated (it names the factor's status). */
const NOT_ACTIVATED = /status is (PENDING_ACTIVATION|NOT_SETUP|ENROLLED)\b/i
/**
 * Okta's other refusals of a verify or an activation that are answers about the user, the factor or the code, each
 * with its status (Okta's error-code table), not bugs or configuration errors: without them a front door answered
 * INTERNAL (a 500) to an ordinary account state.
 */
const OKTA_REFUSALS: Readonly<Record<string, readonly [status: number, code: MfaOutcomeCode]>> = {
  // "This operation is not allowed in the user's current status.": suspended or deactivated; an administrator acts.
  E0000038: [403, 'LOCKED_OUT'],
  // "Your account is locked. Please contact your administrator."
  E0000119: [403, 'LOCKED_OUT'],
  // "User is not currently active."
  E0000155: [423, 'LOCKED_OUT'],
  // "PassCode is valid but exceeded time window.": a code Okta judged and refused; the person enters the current one.
  E0000083: [403, 'INVALID_PASSCODE'],
  // "Invalid factor id, it is not currently active." and "Factor id is currently not active.": set one up again.
  E0000154: [410, 'ENROLLMENT_REQUIRED'],
  E0000180: [423, 'ENROLLMENT_REQUIRED'],
}

interface ClientErrorShape { code?: unknown, status?: unknown, errorCode?: unknown, errorCauses?: unknown, retryAfterSeconds?: unknown }

/** Whether one of Okta's causes matches `re` (each summary read up to 1000 characters). */
function causeMatches (causes: unknown, re: RegExp): boolean {
  return Array.isArray(causes) && causes.some((c: unknown) => re.test(String((c as { errorSummary?: unknown } | null)?.errorSummary ?? '').slice(0, 1000)))
}

/**
 * A wait the client read from Okta's answer, in whole seconds and at least 1 (a reset that has just arrived, read as 0,
 * is the smallest wait the outcomes state); `undefined` when there was none to read.
 */
function readSeconds (value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.max(1, Math.ceil(value)) : undefined
}

/**
 * The client error an error stands for: itself, or the client error it wraps under the same code (passport-okta-mfa
 * hands Okta's refusal of the app's own call to the error handler as a 500 with that code and the client's error as
 * its `cause`; read by its status, 500, it would be an Okta outage). One level only.
 */
function asTheClientError (err: object): object {
  const cause = (err as { cause?: unknown }).cause
  if (typeof cause !== 'object' || cause === null || cause === err) return err
  const code = errorCode(err)
  return code !== undefined && code.startsWith('OKTA_') && errorCode(cause) === code ? cause : err
}

/**
 * Translates an error from @okta-mfa/client (matched on `code`) or a store's StoreUnavailableError into an
 * {@link MfaError}; `undefined` for anything else (a bug, a bad API token: the caller's error path).
 *
 * @example
 * const outcome = outcomeOfError(err); if (outcome === undefined) throw err
 */
export function outcomeOfError (err: unknown): MfaError | undefined {
  if (typeof err !== 'object' || err === null) return undefined
  if (err instanceof MfaError) return err
  if (isMfaError(err)) {
    // From another installed copy of this package (an app's own @okta-mfa/core beside the strategy's): the same
    // outcome, as this copy's class, so that callers checking `instanceof` treat it as a refusal, not a bug.
    const other = err as { details?: unknown, message?: unknown }
    const details = typeof other.details === 'object' && other.details !== null ? { ...(other.details as MfaOutcomeDetails) } : {}
    return new MfaError(err.code, details, typeof other.message === 'string' ? other.message : undefined, { cause: err })
  }
  if (isStoreUnavailableError(err)) return new MfaError('STORE_UNAVAILABLE', {}, undefined, { cause: err })
  const e = asTheClientError(err) as ClientErrorShape
  // As Okta meant it: a 400, 401 or 404 page without Okta's error body is OKTA_API_ERROR (see clientCode).
  const clientCode = readClientCode(e)
  if (clientCode === undefined || !clientCode.startsWith('OKTA_')) return undefined
  const options = { cause: err }
  if (Object.hasOwn(CLIENT_ERROR_OUTCOMES, clientCode)) {
    const code = CLIENT_ERROR_OUTCOMES[clientCode as keyof typeof CLIENT_ERROR_OUTCOMES]
    const details: MfaOutcomeDetails = {}
    if (code === 'RATE_LIMITED') {
      const seconds = readSeconds(e.retryAfterSeconds)
      details.retryAfterSeconds = seconds !== undefined && seconds <= MAX_RETRY_AFTER_SECONDS ? seconds : DEFAULT_RETRY_AFTER_SECONDS
    }
    // Okta's 404 on a factor operation: the factor id is the input at fault, as when the id is refused before Okta.
    if (code === 'FACTOR_NOT_FOUND') details.field = 'factorId'
    return new MfaError(code, details, undefined, options)
  }
  if (clientCode === 'OKTA_VALIDATION') {
    if (causeMatches(e.errorCauses, ALREADY_SET_UP)) return new MfaError('ALREADY_ENROLLED', {}, undefined, options)
    if (causeMatches(e.errorCauses, NOT_ACTIVATED)) return new MfaError('ENROLLMENT_REQUIRED', {}, undefined, options)
    return new MfaError('BAD_USER_INPUT', {}, 'The identity provider rejected the input.', options)
  }
  // A suspended, deactivated or locked Okta user (no code can pass until an administrator acts: no retry time to
  // give), a factor Okta no longer has active, or a code past its time window.
  const refusal = typeof e.errorCode === 'string' && Object.hasOwn(OKTA_REFUSALS, e.errorCode) ? OKTA_REFUSALS[e.errorCode] : undefined
  if (refusal !== undefined && e.status === refusal[0]) return new MfaError(refusal[1], {}, undefined, options)
  // A 5xx; or an error status without Okta's error body, which every answer of Okta's carries: a proxy's or a
  // firewall's page in front of Okta (a 403 from a WAF, a 413), not Okta's answer to the request.
  if (clientCode === 'OKTA_API_ERROR' && typeof e.status === 'number' && (e.status >= 500 || e.errorCode === undefined)) {
    return new MfaError('UPSTREAM_UNAVAILABLE', {}, undefined, options)
  }
  return undefined
}
