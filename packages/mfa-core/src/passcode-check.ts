// The passcode check, once for both front doors: input checks with bounded sizes, the factor, one attempt counted
// atomically before Okta hears the code, Okta's verify with the end user's context, and the outcome.
import type { RequestOptions, VerifyContext, VerifyFactorBody, VerifyRequestOptions } from '@okta-mfa/client'
import type { AttemptDecision, AttemptLimiter } from './attempts.js'
import { outcomeOfError } from './client-errors.js'
import { selectFactor, selectionError, selectReplacement, type FactorSelection } from './factors.js'
import { readAnswer, readFactorId, readPasscode } from './input.js'
import { clientCode, notFoundResource, type MfaOktaClient, type OktaFactorLike } from './okta-port.js'
import { MfaError } from './outcomes.js'
import { refundAccessRefusal, settleRefusal } from './refusals.js'
import type { MfaSubject } from './subject.js'

/** What {@link checkPasscode} needs. Raw inputs are checked here; pass them as they came. */
export interface PasscodeCheckInput {
  /** The signed-in user of the request (Okta user id and factors, the request's deadline). */
  subject: MfaSubject<any, any>
  /** The Okta client that verifies the code. */
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
   * the user's (FACTOR_NOT_FOUND): one Okta call even for clients that keep no session cookie. Only for an id of a
   * kind that takes this secret ({@link trustedFactorKind}): any other id (a push's, whose verify would send the
   * user a push) is looked up in the user's list first. The verified factor's `factorType` is then `'unknown'`.
   * @default false (the factor is looked up in the user's list first)
   */
  trustFactorId?: boolean | undefined
}

/** The outcome of {@link checkPasscode}: the verified factor, or a refusal from the outcome table. */
export type PasscodeCheckResult =
  | {
    /** Whether Okta accepted the passcode or answer. */
    ok: true
    /** The verified factor (its `factorType` is `'unknown'` when verified on a trusted `factorId`). */
    factor: OktaFactorLike
    /** The user's Okta user id. */
    oktaUserId: string
  }
  | {
    ok: false
    /** The refusal, with its outcome code. */
    error: MfaError
  }

/**
 * Okta's factor ids name their kind in their first three characters: those of the factors verified with a passcode
 * (Okta Verify and Google Authenticator TOTP `ost`/`uft`, sms `mbl`/`sms`, call `clf`, email `emf`, HOTP `chf`, RSA
 * and Symantec tokens `rsa`/`ufv`) and with an answer (question `ufs`). Okta Verify push is `opf`: a verify of it
 * sends the user a push, whatever the body.
 */
const ID_KINDS: Readonly<Record<'passCode' | 'answer', ReadonlySet<string>>> = {
  passCode: new Set(['ost', 'uft', 'mbl', 'sms', 'clf', 'emf', 'chf', 'rsa', 'ufv']),
  answer: new Set(['ufs']),
}

/**
 * Whether `factorId` is, by Okta's id prefix, of a kind verified with `secret`: only such an id may go to Okta
 * unlisted (`trustFactorId`). An id of any other kind, or of one Okta may add, is looked up in the user's list, so a
 * verify never starts a push and never reaches a factor that cannot take the secret.
 */
export function trustedFactorKind (factorId: string, secret: 'passCode' | 'answer'): boolean {
  return factorId.length === 20 && ID_KINDS[secret].has(factorId.slice(0, 3))
}

/** Whether a factor id as sent is, by its kind, one of a factor verified with `secret`. */
function factorIdTakes (raw: unknown, secret: 'passCode' | 'answer'): boolean {
  try {
    const id = readFactorId(raw)
    return id !== undefined && trustedFactorKind(id, secret)
  } catch {
    return false
  }
}

/**
 * Checks one passcode (or answer) for the signed-in user. Never lets a code reach Okta uncounted: when the
 * attempt store is unavailable the result is STORE_UNAVAILABLE and Okta is not called.
 *
 * Outcomes: `{ ok: true }`, or `{ ok: false, error }` with a code of MFA_OUTCOMES (PASSCODE_MISSING,
 * PASSCODE_MALFORMED, BAD_USER_INPUT, FACTOR_NOT_FOUND, ENROLLMENT_REQUIRED, OKTA_USER_NOT_FOUND, LOCKED_OUT,
 * INVALID_PASSCODE, PASSCODE_REPLAYED, RATE_LIMITED, STORE_UNAVAILABLE, UPSTREAM_UNAVAILABLE, UPSTREAM_TIMEOUT).
 *
 * @throws what is not an outcome: errors of the app's `resolveOktaUser`, an Okta API token Okta refuses (its attempt
 * given back: {@link refundAccessRefusal}), bugs.
 * @example
 * const result = await checkPasscode({ subject, client, limiter, passCode: req.body.passCode, context: endUserContext(req) })
 */
export async function checkPasscode (input: PasscodeCheckInput): Promise<PasscodeCheckResult> {
  return await check(input, undefined)
}

/**
 * Whether Okta's refusal `err` says the session's copies are stale: a factor of the cached list (`listed`) that Okta
 * does not know, or the bound Okta user itself (Okta's 404 names the User, whichever way the factor was chosen).
 */
function staleCopies (err: unknown, listed: boolean): boolean {
  if (err instanceof MfaError || clientCode(err) !== 'OKTA_NOT_FOUND') return false
  return listed || notFoundResource(err) === 'User'
}

/** Whether a secret field was sent at all. */
function given (value: unknown): boolean {
  return value !== undefined && value !== null
}

/** Whether a secret field was sent with something in it (a blank string is an empty form field). */
function filled (value: unknown): boolean {
  return given(value) && (typeof value !== 'string' || value.trim() !== '')
}

/** What a second try on fresh copies carries from the first. */
interface Retry {
  /** The attempt already counted for this code. */
  decision: AttemptDecision | undefined
  /** Whether the factor was chosen from the session's list (so a named one was the user's), not sent unlisted. */
  wasListed: boolean
}

/**
 * One check; `retry` carries the attempt already counted for this code when the copies the first try used were stale,
 * so the second try counts nothing more (one code, one attempt).
 */
async function check (input: PasscodeCheckInput, retry: Retry | undefined): Promise<PasscodeCheckResult> {
  const { subject, limiter } = input
  let decision = retry?.decision
  let listed = true
  /** Counts this code's attempt (once: a retry reuses the first one's); LOCKED_OUT past the limit. */
  const count = async (): Promise<void> => {
    if (limiter === undefined || decision !== undefined) return
    decision = await limiter.consume(subject.userKey)
    if (!decision.allowed) throw new MfaError('LOCKED_OUT', { retryAfterSeconds: decision.retryAfterSeconds })
  }
  let byAnswer = false
  try {
    // A blank field beside a filled one is a form's unused field, not a second secret; with both blank, the code's.
    const hasPasscode = given(input.passCode) && (filled(input.passCode) || !filled(input.answer))
    const hasAnswer = given(input.answer) && (filled(input.answer) || !given(input.passCode))
    if (hasAnswer && hasPasscode) throw new MfaError('BAD_USER_INPUT', { field: 'answer' }, 'Give passCode or answer, not both.')
    let body: VerifyFactorBody
    if (hasAnswer) {
      try {
        body = { answer: readAnswer(input.answer) }
      } catch (err) {
        // A blank (or over-long) answer to a code factor's id: the refusal names the secret that factor takes, as
        // for any answer sent to it. Read from the id alone (Okta's ids name their kind): bad input costs no Okta call.
        throw factorIdTakes(input.factorId, 'passCode') ? selectionError({ ok: false, code: 'BAD_USER_INPUT', field: 'passCode' }) : err
      }
    } else {
      const passcode = readPasscode(input.passCode)
      if (!passcode.ok) {
        // And the mirror: an empty or malformed passCode to a question's id names the answer it takes, as a
        // well-formed one does, not "Enter the 6-digit code".
        throw factorIdTakes(input.factorId, 'answer') ? selectionError({ ok: false, code: 'BAD_USER_INPUT', field: 'answer' }) : new MfaError(passcode.code, { field: 'passCode' })
      }
      body = { passCode: passcode.passCode }
    }
    const secret = hasAnswer ? 'answer' : 'passCode'
    byAnswer = hasAnswer
    const factorId = readFactorId(input.factorId)

    let selected: FactorSelection
    // Trusted on the first try only: a try again on fresh copies reads the user's list (and so finds out whether Okta
    // has the user at all: an `{ id }` it does not know is OKTA_USER_NOT_FOUND, not a factor not found).
    if (retry === undefined && input.trustFactorId === true && factorId !== undefined && trustedFactorKind(factorId, secret) && subject.cachedFactors() === undefined) {
      listed = false
      selected = { ok: true, factor: { id: factorId, factorType: 'unknown', status: 'ACTIVE' } }
    } else {
      // A cached list that does not have the factor may predate an enrollment made elsewhere: Okta is asked again
      // (unless the list is only seconds old) before saying no.
      // "Choose one of two apps" from a cached list is checked against Okta too: one of them may be gone since. So is
      // a code without a factor id, which goes to the user's only code factor: a second app may have been added since
      // (through the client, in another session), and a right code from it would reach Okta as a wrong one.
      const list = await subject.factorsFor((l) => {
        const s = selectFactor(l, factorId, secret)
        return factorId !== undefined && (s.ok || (s.code === 'BAD_USER_INPUT' && s.several !== true))
      })
      selected = selectFactor(list, factorId, secret)
      // The named factor was the session's and Okta no longer knows it (reset or replaced elsewhere since): the code
      // goes to the factor left, so the new factor's code passes and no factor left is ENROLLMENT_REQUIRED, whichever
      // way the page sent it. Any other id the user does not have stays FACTOR_NOT_FOUND.
      if (retry?.wasListed === true && !selected.ok && selected.code === 'FACTOR_NOT_FOUND') selected = selectReplacement(list, secret)
    }
    if (!selected.ok) {
      // A named factor the user does not have costs an attempt, given back as Okta's own 404 is (within the refund
      // budget): a stream of made-up ids ends in LOCKED_OUT, not in Okta's rate limit (each may have cost a list call).
      if (selected.code === 'FACTOR_NOT_FOUND' && factorId !== undefined) await count()
      throw selectionError(selected)
    }

    // After the list: reading it may have found the Okta user again (one deleted since the session bound it). Before
    // the count: a lookup that fails (a trusted factor id reads no list, so this is where the user is resolved) sent
    // no code, and must not use an attempt.
    const oktaUserId = await subject.oktaUserId()
    await count()
    const result = await input.client.verifyFactor(oktaUserId, selected.factor.id, body, undefined, verifyOptions(subject.callOptions, input.context))
    // A passcode is accepted or not: anything but SUCCESS (REJECTED, or a push-like WAITING/TIMEOUT) is a wrong code.
    if (result.factorResult !== 'SUCCESS') throw new MfaError('INVALID_PASSCODE')
    if (limiter !== undefined) {
      // The code was right; a store that cannot clear the counter only leaves it counting (the safe side).
      await limiter.succeed(subject.userKey, decision).catch(() => {})
    }
    return { ok: true, factor: selected.factor, oktaUserId }
  } catch (err) {
    const outcome = outcomeOfError(err)
    if (outcome === undefined) {
      await refundAccessRefusal(err, limiter, subject.userKey, decision)
      throw err
    }
    if (outcome.code === 'FACTOR_NOT_FOUND' && staleCopies(err, listed)) {
      // Okta does not know a factor of the user's list, or the user, any more: the session's copies are stale.
      subject.forgetFactors()
      subject.forgetOktaUser()
      if (retry === undefined) {
        // Once more, with the user and the list read again, on the attempt already counted: a code of a factor
        // enrolled since the list was cached (a TOTP replaced elsewhere, an Okta user made again) is checked as
        // meant, not refused as "not found"; with no factor left it is ENROLLMENT_REQUIRED.
        return await check(input, { decision, wasListed: listed })
      }
    }
    const settled = await settleRefusal(outcome, limiter, subject.userKey, decision)
    return { ok: false, error: byAnswer ? inAnswerWords(settled) : settled }
  }
}

/** A wrong answer to a security question, said as one (Okta's E0000068 is "Invalid Passcode/Answer"), not as a code. */
function inAnswerWords (error: MfaError): MfaError {
  if (error.code !== 'INVALID_PASSCODE') return error
  return new MfaError(error.code, error.details, error.message.replace("That code didn't match", "That answer didn't match"), { cause: error.cause })
}

/**
 * The options of the verify call: the request's own, plus the end user's context. Written out rather than spread
 * into a literal: with the spread, the gateway promoted three times the bytes to the old generation per scavenge
 * under load (`--trace-gc-nvp`, BENCHMARKS.md), and old-generation garbage is what raised its peak RSS.
 */
function verifyOptions (call: RequestOptions, context: VerifyContext | undefined): VerifyRequestOptions {
  return { signal: call.signal, requestId: call.requestId, deadline: call.deadline, context }
}
