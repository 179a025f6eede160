// What a refused attempt costs: given back when Okta never judged the code (no such factor, an outage before the
// request was sent, the app's own access refused, no OAuth token to send it with), settled when Okta judged it wrong,
// counted otherwise (the safe side).
import type { AttemptDecision, AttemptLimiter } from './attempts.js'
import { clientCode } from './okta-port.js'
import { MfaError, type MfaOutcomeDetails } from './outcomes.js'

/**
 * Refusals in which Okta never judged the code: no such factor or user, or a factor not activated yet (and the
 * refusals `neverJudged` reads from their cause). The attempt they used is given back. Anything else stays counted,
 * the safe side: a 400 of Okta's with another error code (it might have judged the code), a lockout, a timeout or a dropped
 * connection (Okta may have judged it before the answer was lost), a 500 or an answer that cannot be read.
 */
const UNJUDGED: ReadonlySet<string> = new Set(['FACTOR_NOT_FOUND', 'ENROLLMENT_REQUIRED', 'OKTA_USER_NOT_FOUND'])

/** Connection failures before a request could be sent: no server took it (refused, no such host, no route). */
const NOT_SENT: ReadonlySet<unknown> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL'])

/**
 * Whether a client error is the failure of getting an OAuth access token (the client's `tokenRequest`): a token
 * endpoint that timed out, could not be reached or answered an error page. The API call carrying the code was never
 * sent, so no code was judged.
 */
function failedForItsToken (err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { tokenRequest?: unknown }).tokenRequest === true
}

/**
 * Whether Okta refused without judging a code, and how: `'refused'` for an outcome of {@link UNJUDGED} or Okta's own
 * validation refusal (E0000001 "Api validation failed", E0000003 a malformed body: a passcode sent to a question
 * factor, an activation of a factor already active), each a call Okta processed (the refund budget bounds them);
 * `'outage'` for Okta's rate limit (a 429 is answered before the request is processed), Okta out of reach before the
 * request was sent, answering 503 (it did not take the request), a proxy's or firewall's 4xx page in front of it (the
 * request never reached Okta), or no OAuth access token to send it with. So an Okta outage or rate limit that a
 * person retries through, however long, does not lock them out once Okta is back. `undefined`: the code may have
 * been judged.
 */
function neverJudged (error: MfaError): 'refused' | 'outage' | undefined {
  if (UNJUDGED.has(error.code)) return 'refused'
  if (failedForItsToken(error.cause)) return 'outage'
  const cause = error.cause as { code?: unknown, errorCode?: unknown, status?: unknown, causeCode?: unknown } | undefined
  switch (error.code) {
    case 'BAD_USER_INPUT': return cause?.code === 'OKTA_VALIDATION' && (cause.errorCode === 'E0000001' || cause.errorCode === 'E0000003') ? 'refused' : undefined
    case 'RATE_LIMITED': return cause?.code === 'OKTA_RATE_LIMITED' ? 'outage' : undefined
    // A 503 with or without Okta's body (a load balancer's HTML page is OKTA_INVALID_RESPONSE): the request was not
    // taken. Nor was it when a proxy or a firewall in front of Okta refused it with a 4xx page of its own.
    case 'UPSTREAM_UNAVAILABLE': return (cause?.code === 'OKTA_CONNECTION' && NOT_SENT.has(cause.causeCode)) ||
      ((cause?.code === 'OKTA_API_ERROR' || cause?.code === 'OKTA_INVALID_RESPONSE') && cause.status === 503) ||
      (cause !== undefined && clientCode(cause) === 'OKTA_API_ERROR' && cause.errorCode === undefined && typeof cause.status === 'number' && cause.status < 500)
      ? 'outage'
      : undefined
    default: return undefined
  }
}

/**
 * The outcome of a refused attempt that was counted (`decision`): a wrong or replayed code as {@link countedOutcome}
 * says; a refusal that never judged the code (an unknown or inactive factor) gives its attempt back
 * (`limiter.refund`; a store that fails to take it back only leaves it counted).
 *
 * @example
 * catch (err) { const outcome = outcomeOfError(err); if (outcome) throw await settleRefusal(outcome, limiter, key, decision) }
 */
export async function settleRefusal (error: MfaError, limiter: AttemptLimiter | undefined, key: string, decision: AttemptDecision | undefined): Promise<MfaError> {
  const unjudged = decision !== undefined && limiter !== undefined ? neverJudged(error) : undefined
  if (unjudged !== undefined) {
    await limiter!.refund(key, decision, { outage: unjudged === 'outage' }).catch(() => {})
    return error
  }
  // A wrong code Okta answered: a right code counted from now on takes it back (a store that fails leaves it counted).
  if (decision !== undefined && limiter !== undefined && JUDGED_WRONG.has(error.code)) await limiter.settle(key, decision).catch(() => {})
  return countedOutcome(error, decision)
}

/**
 * Client errors raised before Okta looked at the request, on the app's own side: its API token or OAuth app refused
 * (OKTA_AUTHENTICATION: 401, E0000005, E0000006, E0000011; OKTA_INVALID_TOKEN, OKTA_INSUFFICIENT_SCOPE,
 * OKTA_DPOP_REJECTED; the token endpoint's OKTA_INVALID_CLIENT, OKTA_INVALID_SCOPE, OKTA_OAUTH_ERROR), or the client
 * closed. Not outcomes (a misconfiguration is the app's to fix: INTERNAL), but no code was judged.
 */
const ACCESS_REFUSED: ReadonlySet<unknown> = new Set([
  'OKTA_AUTHENTICATION', 'OKTA_INVALID_TOKEN', 'OKTA_INSUFFICIENT_SCOPE', 'OKTA_DPOP_REJECTED',
  'OKTA_INVALID_CLIENT', 'OKTA_INVALID_SCOPE', 'OKTA_OAUTH_ERROR', 'OKTA_CLIENT_CLOSED',
])

/**
 * For an error that is not an outcome (`outcomeOfError` gave none) and is rethrown: when Okta refused the app's own
 * access before it looked at the code (a rotated API token, a revoked OAuth grant, a missing scope) or the client was
 * closed, gives back the attempt it used, as {@link settleRefusal} does for refusals that judged no code. So a
 * misconfiguration fixed after a while has not locked out everyone who tried during it.
 *
 * @example
 * catch (err) { const outcome = outcomeOfError(err); if (!outcome) { await refundAccessRefusal(err, limiter, key, decision); throw err } }
 */
export async function refundAccessRefusal (err: unknown, limiter: AttemptLimiter | undefined, key: string, decision: AttemptDecision | undefined): Promise<void> {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined
  if (decision === undefined || limiter === undefined) return
  // Okta refusing the app's access processed the call (within the refund budget); no token to send it with is an
  // outage (outside it).
  if (ACCESS_REFUSED.has(code)) await limiter.refund(key, decision).catch(() => {})
  else if (failedForItsToken(err)) await limiter.refund(key, decision, { outage: true }).catch(() => {})
}

/** The outcomes of a code Okta judged and refused: each uses an attempt, and Okta counts it towards its lockout. */
const JUDGED_WRONG: ReadonlySet<string> = new Set(['INVALID_PASSCODE', 'PASSCODE_REPLAYED'])

/**
 * A wrong or replayed code used one attempt: the outcome says how many are left, and the last one of the window
 * also says when to try again. Other outcomes are returned as they are.
 */
export function countedOutcome (error: MfaError, decision: AttemptDecision | undefined): MfaError {
  if (decision === undefined || !JUDGED_WRONG.has(error.code)) return error
  // The Nth wrong code still says what was wrong; when it used up the window it also says when to try again.
  const details: MfaOutcomeDetails = { attemptsRemaining: decision.remaining }
  if (decision.remaining === 0) details.retryAfterSeconds = Math.max(1, decision.retryAfterSeconds)
  return new MfaError(error.code, details, undefined, { cause: error.cause })
}

