// The passcode check, once for both front doors: input checks with bounded sizes, the factor, one attempt counted
// atomically before Okta hears the code, Okta's verify with the end user's context, and the outcome.
import type { RequestOptions, VerifyContext, VerifyFactorBody, VerifyRequestOptions } from '@okta-mfa/client'
import type { AttemptDecision, AttemptLimiter } from './attempts.js'
import { outcomeOfError } from './client-errors.js'
import { selectFactor, selectionError, type FactorSelection } from './factors.js'
import { readAnswer, readFactorId, readPasscode } from './input.js'
import type { MfaOktaClient, OktaFactorLike } from './okta-port.js'
import { MfaError, type MfaOutcomeDetails } from './outcomes.js'
import type { MfaSubject } from './subject.js'

/** What {@link checkPasscode} needs. Raw inputs are checked here; pass them as they came. */
export interface PasscodeCheckInput {
  /** The signed-in user of the request (Okta user id and factors, the request's deadline). */
  subject: MfaSubject<any, any>
  client: Pick<MfaOktaClient, 'verifyFactor'>
  /** Our attempt limiter; `undefined` leaves only Okta's. */
  limiter: AttemptLimiter | undefined
  /** The passcode as sent (give this or `answer`). */
  passCode?: unknown
  /** A security-question answer as sent (give this or `passCode`). */
  answer?: unknown
  /** The factor the user named, as sent; none: their active TOTP factor. */
  factorId?: unknown
  /** The end user's IP, User-Agent and Accept-Language ({@link endUserContext}). */
  context: VerifyContext
  /**
   * With a `factorId` and no cached factor list, send the verify straight to Okta, which refuses a factor that is not
   * the user's (FACTOR_NOT_FOUND): one Okta call even for clients that keep no session cookie. The verified factor's
   * `factorType` is then `'unknown'`. @default false (the factor is looked up in the user's list first)
   */
  trustFactorId?: boolean | undefined
}

/** The outcome of {@link checkPasscode}: the verified factor, or a refusal from the outcome table. */
export type PasscodeCheckResult =
  | { ok: true, factor: OktaFactorLike, oktaUserId: string }
  | { ok: false, error: MfaError }

/**
 * Refusals in which Okta never judged the code: no such factor or user, or a factor not activated yet (and the
 * refusals `neverJudged` reads from their cause). The attempt they used is given back. Anything else stays counted,
 * the safe side: a 400 Okta did not explain (it might have judged the code), a lockout, a timeout or a dropped
 * connection (Okta may have judged it before the answer was lost), a 500 or an answer that cannot be read.
 */
const UNJUDGED: ReadonlySet<string> = new Set(['FACTOR_NOT_FOUND', 'ENROLLMENT_REQUIRED', 'OKTA_USER_NOT_FOUND'])

/** Connection failures before a request could be sent: no server took it (refused, no such host, no route). */
const NOT_SENT: ReadonlySet<unknown> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL'])

/**
 * Whether Okta refused without judging a code: an outcome of {@link UNJUDGED}; Okta's own validation refusal
 * (E0000001 "Api validation failed", E0000003 a malformed body: a passcode sent to a question factor, an activation
 * of a factor already active); Okta's rate limit (a 429 is answered before the request is processed); Okta out of
 * reach before the request was sent, or answering 503 (it did not take the request). So an Okta outage or rate limit
 * that a person retries through does not lock them out once Okta is back.
 */
function neverJudged (error: MfaError): boolean {
  if (UNJUDGED.has(error.code)) return true
  const cause = error.cause as { code?: unknown, errorCode?: unknown, status?: unknown, causeCode?: unknown } | undefined
  switch (error.code) {
    case 'BAD_USER_INPUT': return cause?.code === 'OKTA_VALIDATION' && (cause.errorCode === 'E0000001' || cause.errorCode === 'E0000003')
    case 'RATE_LIMITED': return cause?.code === 'OKTA_RATE_LIMITED'
    case 'UPSTREAM_UNAVAILABLE': return (cause?.code === 'OKTA_CONNECTION' && NOT_SENT.has(cause.causeCode)) || (cause?.code === 'OKTA_API_ERROR' && cause.status === 503)
    default: return false
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
  if (decision !== undefined && limiter !== undefined && neverJudged(error)) {
    await limiter.refund(key, decision).catch(() => {})
    return error
  }
  return countedOutcome(error, decision)
}

/**
 * A wrong or replayed code used one attempt: the outcome says how many are left, and the last one of the window
 * also says when to try again. Other outcomes are returned as they are.
 */
export function countedOutcome (error: MfaError, decision: AttemptDecision | undefined): MfaError {
  if (decision === undefined || (error.code !== 'INVALID_PASSCODE' && error.code !== 'PASSCODE_REPLAYED')) return error
  // The Nth wrong code still says what was wrong; when it used up the window it also says when to try again.
  const details: MfaOutcomeDetails = { attemptsRemaining: decision.remaining }
  if (decision.remaining === 0) details.retryAfterSeconds = Math.max(1, decision.retryAfterSeconds)
  return new MfaError(error.code, details, undefined, { cause: error.cause })
}

/**
 * Checks one passcode (or answer) for the signed-in user. Never lets a code reach Okta uncounted: when the
 * attempt store is unavailable the result is STORE_UNAVAILABLE and Okta is not called.
 *
 * Outcomes: `{ ok: true }`, or `{ ok: false, error }` with a code of MFA_OUTCOMES (PASSCODE_MISSING,
 * PASSCODE_MALFORMED, BAD_USER_INPUT, FACTOR_NOT_FOUND, ENROLLMENT_REQUIRED, OKTA_USER_NOT_FOUND, LOCKED_OUT,
 * INVALID_PASSCODE, PASSCODE_REPLAYED, RATE_LIMITED, STORE_UNAVAILABLE, UPSTREAM_UNAVAILABLE, UPSTREAM_TIMEOUT).
 *
 * @throws what is not an outcome: errors of the app's `resolveOktaUser`, an Okta API token Okta refuses, bugs.
 * @example
 * const result = await checkPasscode({ subject, client, limiter, passCode: req.body.passCode, context: endUserContext(req) })
 */
export async function checkPasscode (input: PasscodeCheckInput): Promise<PasscodeCheckResult> {
  const { subject, limiter } = input
  let decision: AttemptDecision | undefined
  let listed = true
  try {
    const hasAnswer = input.answer !== undefined && input.answer !== null
    const hasPasscode = input.passCode !== undefined && input.passCode !== null
    if (hasAnswer && hasPasscode) throw new MfaError('BAD_USER_INPUT', { field: 'answer' }, 'Give passCode or answer, not both.')
    let body: VerifyFactorBody
    if (hasAnswer) {
      body = { answer: readAnswer(input.answer) }
    } else {
      const passcode = readPasscode(input.passCode)
      if (!passcode.ok) throw new MfaError(passcode.code, { field: 'passCode' })
      body = { passCode: passcode.passCode }
    }
    const secret = hasAnswer ? 'answer' : 'passCode'
    const factorId = readFactorId(input.factorId)

    const oktaUserId = await subject.oktaUserId()
    let selected: FactorSelection
    if (input.trustFactorId === true && factorId !== undefined && subject.cachedFactors() === undefined) {
      listed = false
      selected = { ok: true, factor: { id: factorId, factorType: 'unknown', status: 'ACTIVE' } }
    } else {
      // A cached list that does not have the factor may predate an enrollment made elsewhere: Okta is asked again
      // (unless the list is only seconds old) before saying no.
      const list = await subject.factorsFor((l) => { const s = selectFactor(l, factorId, secret); return s.ok || s.code === 'BAD_USER_INPUT' })
      selected = selectFactor(list, factorId, secret)
    }
    if (!selected.ok) throw selectionError(selected)

    if (limiter !== undefined) {
      decision = await limiter.consume(subject.userKey)
      if (!decision.allowed) throw new MfaError('LOCKED_OUT', { retryAfterSeconds: decision.retryAfterSeconds })
    }
    const result = await input.client.verifyFactor(oktaUserId, selected.factor.id, body, undefined, verifyOptions(subject.callOptions, input.context))
    // A passcode is accepted or not: anything but SUCCESS (REJECTED, or a push-like WAITING/TIMEOUT) is a wrong code.
    if (result.factorResult !== 'SUCCESS') throw new MfaError('INVALID_PASSCODE')
    if (limiter !== undefined) {
      // The code was right; a store that cannot clear the counter only leaves it counting (the safe side).
      await limiter.succeed(subject.userKey).catch(() => {})
    }
    return { ok: true, factor: selected.factor, oktaUserId }
  } catch (err) {
    const outcome = outcomeOfError(err)
    if (outcome === undefined) throw err
    if (outcome.code === 'FACTOR_NOT_FOUND' && listed && !(err instanceof MfaError)) {
      // Okta does not know a factor of the user's list, or the user, any more: the session's copies are stale.
      subject.forgetFactors()
      subject.forgetOktaUser()
    }
    return { ok: false, error: await settleRefusal(outcome, limiter, subject.userKey, decision) }
  }
}

/**
 * The options of the verify call: the request's own, plus the end user's context. Written out rather than spread
 * into a literal: with the spread, the gateway promoted three times the bytes to the old generation per scavenge
 * under load (`--trace-gc-nvp`, BENCHMARKS.md), and old-generation garbage is what raised its peak RSS.
 */
function verifyOptions (call: RequestOptions, context: VerifyContext | undefined): VerifyRequestOptions {
  return { signal: call.signal, requestId: call.requestId, deadline: call.deadline, context }
}
