// What the pages say for each failure code of the strategy and the gateway: in words a person understands,
// with the retry time when there is one. One table, so the form path and the GraphQL path say the same thing.
import type { FastifyReply } from 'fastify'
import { DEFAULT_RETRY_AFTER_SECONDS, outcomeOfError } from '@okta-mfa/core'
import { SENT_BY } from './factors.js'

/** Page text for a failure `code` (strategy fail codes and gateway `extensions.code`). */
export const MESSAGES = {
  PASSCODE_MISSING: 'Enter the 6-digit code from your authenticator app.',
  PASSCODE_MALFORMED: 'A code is 6 digits. Enter the code your authenticator app shows now.',
  INVALID_PASSCODE: "That code didn't match. Check that the app shows the code for this account, then enter the current code.",
  PASSCODE_REPLAYED: 'That code was already used. Wait for your app to show a new code (about 30 seconds), then enter the new one.',
  LOCKED_OUT: 'Too many attempts with a wrong code, so sign-in is paused for this account.',
  // Okta's 429 (the core's RATE_LIMITED outcome): the org's rate limit, not the person's attempts.
  RATE_LIMITED: "Okta is getting too many requests right now, so we can't check your code.",
  ENROLLMENT_REQUIRED: 'You have not set up a second factor yet.',
  FACTOR_NOT_FOUND: 'That factor is not set up for your account. Reload the page and try again.',
  ALREADY_ENROLLED: 'This kind of factor is already set up for your account.',
  UNAUTHENTICATED: 'Your session ended. Sign in again.',
  MFA_REQUIRED: 'Confirm with a fresh code first.',
  BAD_USER_INPUT: 'Something in the form is not right. Check it and try again.',
  UPSTREAM_UNAVAILABLE: "Okta is unavailable right now (we can't reach it), so we can't check your code. Try again in a minute.",
  UPSTREAM_TIMEOUT: "Okta is taking too long to answer, so we can't check your code. Try again in a minute.",
  STORE_UNAVAILABLE: "Sign-in is briefly unavailable, so we can't check your code. Try again in a minute.",
  OKTA_USER_NOT_FOUND: 'Your account is not set up for two-step sign-in yet. Ask an administrator.',
  INTERNAL: 'Something went wrong on our side. Try again.',
} as const

/** An account with an active authenticator app and text messages: the setup pages have nothing more to add. */
export const ALL_ADDED = 'Your authenticator app and text messages are both set up: there is nothing more to add here.'

/** The factor being activated is active already (finished in another tab or window): no code is needed here. */
export const ALREADY_ACTIVE = 'This sign-in method is already set up: it was activated in another tab or window.'

/** The same failures for someone whose code is sent (by text message, voice call or e-mail): no authenticator wording. */
export function sentCodeMessages (kind: keyof typeof SENT_BY): Partial<Record<keyof typeof MESSAGES, string>> {
  const by = SENT_BY[kind]
  return {
    PASSCODE_MISSING: `Enter the 6-digit code from the ${by}.`,
    PASSCODE_MALFORMED: `A code is 6 digits. Enter the code from the latest ${by}.`,
    INVALID_PASSCODE: `That code didn't match. Enter the code from the latest ${by}, or send a new one.`,
    PASSCODE_REPLAYED: 'That code was already used. Send yourself a new code, then enter it.',
  }
}

/** {@link sentCodeMessages} of a text message. */
export const SMS_MESSAGES = sentCodeMessages('sms')

/**
 * Okta's own lockout (E0000069) or a user Okta refuses by status (E0000038, suspended or deactivated): the core's
 * LOCKED_OUT without `retryAfterSeconds`. No wait ends it: only an administrator does, so the page says that, not a time.
 */
export const ACCOUNT_LOCKED = 'Your account is locked. Ask an administrator to unlock it.'

/** Whether a refusal is a lockout that only an administrator ends (LOCKED_OUT without a wait: Okta's, not ours). */
export function isAdminLockout (fail: FailInfo): boolean {
  return fail.code === 'LOCKED_OUT' && !(typeof fail.retryAfterSeconds === 'number' && fail.retryAfterSeconds > 0)
}

/**
 * Whether `err` (an error of @okta-mfa/client, or the core's outcome) is Okta's own lockout (E0000069) or a user Okta
 * refuses by status (E0000038): the core's LOCKED_OUT without a wait. A send or a setup answered so is the same
 * lockout as a code answered so: 403, {@link ACCOUNT_LOCKED}, an administrator is the way out.
 */
export function isOktaAdminLockout (err: unknown): boolean {
  const outcome = outcomeOfError(err)
  return outcome !== undefined && isAdminLockout({ code: outcome.code, ...outcome.details })
}

/** Whether a refusal pauses sign-in for a while: our limiter's LOCKED_OUT, or the wrong code that used the last attempt. */
export function isTimedPause (fail: FailInfo): boolean {
  const wrong = fail.code === 'INVALID_PASSCODE' || fail.code === 'PASSCODE_REPLAYED'
  return (fail.code === 'LOCKED_OUT' && !isAdminLockout(fail)) || (wrong && fail.attemptsRemaining === 0)
}

/**
 * The status of a refused code: 429 (with Retry-After) when there is a wait to state (Okta's rate limit, our pause),
 * 403 for a lockout only an administrator ends, 400 for a code missing or malformed, else 401.
 */
export function refusalStatus (fail: FailInfo): number {
  if (fail.code === 'RATE_LIMITED' || isTimedPause(fail)) return 429
  if (isAdminLockout(fail)) return 403
  return fail.code?.startsWith('PASSCODE_M') === true ? 400 : 401
}

/** "Okta unavailable", in the words of the moment: checking a code, sending one, or just reading the factors. */
export const UNAVAILABLE = {
  code: "Okta is unavailable right now (we can't reach it), so we can't check your code. Try again in a minute.",
  send: "Okta is unavailable right now (we can't reach it), so we can't send you a code. Try again in a minute.",
  factors: "Okta is unavailable right now (we can't reach it), so we can't load your sign-in methods. Try again in a minute.",
  remove: "Okta is unavailable right now (we can't reach it), so we can't remove your sign-in method. Try again in a minute.",
} as const

/** Okta took the request but did not answer in time (a timeout, not an outage), in the words of the moment. */
export const TIMED_OUT = {
  code: MESSAGES.UPSTREAM_TIMEOUT,
  send: "Okta is taking too long to answer, so we can't tell whether your code was sent. Try again in a minute.",
  factors: "Okta is taking too long to answer, so we can't load your sign-in methods. Try again in a minute.",
  remove: "Okta is taking too long to answer, so we can't tell whether your sign-in method was removed. Try again in a minute.",
} as const

/** Whether `err` is Okta not answering in time: what the core's one mapping makes UPSTREAM_TIMEOUT. */
export function isUpstreamTimeout (err: unknown): boolean {
  return outcomeOfError(err)?.code === 'UPSTREAM_TIMEOUT'
}

/**
 * The attempt-counter and revocation store (Redis, with REDIS_URL) is down: Okta is fine, so the page does not blame
 * it. `code`: after a code was entered (MESSAGES.STORE_UNAVAILABLE); `page`: any other signed-in page.
 */
export const STORE_DOWN = {
  title: 'Sign-in is briefly unavailable',
  code: MESSAGES.STORE_UNAVAILABLE,
  page: "Sign-in is briefly unavailable, so we can't open this page. Try again in a minute.",
  /** Sign out while the store is down: this browser is signed out, but the session's id could not be revoked. */
  signOut: 'You are signed out in this browser. Sign-in is briefly unavailable, so the sign-out could not be recorded: a copy of this session saved before now would still work. To end every copy, sign in again in a minute and use Sign out of all sessions on the Security page.',
  /** Sign out of all sessions while the store is down: this browser is signed out, the other sessions are not. */
  signOutEverywhere: 'You are signed out in this browser. Sign-in is briefly unavailable, so your other sessions could not be signed out. Sign in again in a minute and use Sign out of all sessions on the Security page again.',
} as const

/**
 * Okta refused a call with 429 (its rate limit for the org): not an outage and nothing the person did, so the page
 * says when to try again. `code`: after a code was entered; `factors`: any other page. See {@link busyText}.
 */
export const OKTA_BUSY = {
  title: 'Okta is busy',
  code: MESSAGES.RATE_LIMITED,
  factors: "Okta is getting too many requests right now, so we can't load your sign-in methods.",
} as const

/**
 * Okta answered with an error this app does not expect on that call (a 4xx other than the ones the pages handle):
 * the page cannot be built, and retrying soon may not help, so the page says to try again later.
 */
export const OKTA_UNUSABLE = {
  title: 'Okta answered something we could not use',
  text: "Okta answered something we could not use, so we can't open this page. Try again later, or ask an administrator if it goes on.",
} as const

/** The "Okta is busy" sentence with when to try again: "…so we can't check your code. Try again in 30 seconds." */
export function busyText (moment: keyof Omit<typeof OKTA_BUSY, 'title'>, retryAfterSeconds: number): string {
  return `${OKTA_BUSY[moment]} Try again ${formatRetry(retryAfterSeconds)}.`
}

/**
 * Seconds until Okta takes calls again, for an Okta 429: the client's `OKTA_RATE_LIMITED` error or the core's
 * `RATE_LIMITED` outcome (their `retryAfterSeconds`, clamped by the core: a missing or absurd reset is 60 s);
 * `undefined` when `err` is neither.
 */
export function oktaRateLimitSeconds (err: unknown): number | undefined {
  const e = err as { code?: unknown, retryAfterSeconds?: unknown, details?: { retryAfterSeconds?: unknown } } | null
  if (e === null || typeof e !== 'object' || (e.code !== 'OKTA_RATE_LIMITED' && e.code !== 'RATE_LIMITED')) return undefined
  // The core clamps them: through its outcome for the client's error, in the outcome (or the strategy's fail info).
  const seconds = e.code === 'OKTA_RATE_LIMITED' ? outcomeOfError(err)?.details.retryAfterSeconds : e.details?.retryAfterSeconds ?? e.retryAfterSeconds
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0 ? Math.ceil(seconds) : DEFAULT_RETRY_AFTER_SECONDS
}

/**
 * An error of @okta-mfa/client for an Okta answer in the 4xx range that no page handles (a 400 on a read, a 401 of a
 * bad API token…): reaching the error handler, it is Okta's answer we cannot use, not a failure of ours. The
 * strategy passes such an error on as a 500 with the client's error as its `cause`: that one counts too.
 */
export function isUnexpectedOktaRefusal (err: unknown, depth = 0): boolean {
  const e = err as { code?: unknown, status?: unknown, cause?: unknown } | null
  if (e === null || typeof e !== 'object') return false
  if (typeof e.code === 'string' && e.code.startsWith('OKTA_') && typeof e.status === 'number' && e.status >= 400 && e.status < 500) return true
  return depth < 1 && isUnexpectedOktaRefusal(e.cause, depth + 1)
}

/** A known failure code. */
export type FailureCode = keyof typeof MESSAGES

/** "in 45 seconds", "in about 3 minutes". */
export function formatRetry (seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds))
  if (s < 90) return `in ${s} second${s === 1 ? '' : 's'}`
  const minutes = Math.ceil(s / 60)
  return `in about ${minutes} minutes`
}

/**
 * The sentence for a failure: the table's text, plus "Try again in …" when a retry time is known.
 * Unknown codes get the generic text (never the raw code or an upstream message).
 */
export function messageFor (code: string | undefined, retryAfterSeconds?: number): string {
  const base: string = code !== undefined && code in MESSAGES ? MESSAGES[code as FailureCode] : MESSAGES.INTERNAL
  if ((code === 'LOCKED_OUT' || code === 'RATE_LIMITED') && typeof retryAfterSeconds === 'number' && retryAfterSeconds > 0) {
    return `${base} Try again ${formatRetry(retryAfterSeconds)}.`
  }
  if (code === 'LOCKED_OUT' || code === 'RATE_LIMITED') return `${base} Try again later.`
  return base
}

/** What the okta-mfa strategy and the gateway say about a refused code. */
export interface FailInfo { code?: string | undefined, retryAfterSeconds?: number | undefined, attemptsRemaining?: number | undefined }

/**
 * Every 429 says when to try again in `Retry-After` (whole seconds, at least 1), as the core's outcomes do. Returns
 * `fail` with that wait, so the page words the same one (a refusal that came without a wait: the core's default).
 */
export function retryAfter (reply: FastifyReply, status: number, fail: FailInfo): FailInfo {
  if (status !== 429) return fail
  const known = fail.retryAfterSeconds
  const seconds = typeof known === 'number' && Number.isFinite(known) && known > 0 ? Math.ceil(known) : DEFAULT_RETRY_AFTER_SECONDS
  reply.header('retry-after', String(seconds))
  return { ...fail, retryAfterSeconds: seconds }
}

/** Okta refused a text sent so soon after the last one: that one is on its way (with JavaScript, enroll.js adds the wait). */
export const RESEND_TOO_SOON = 'We sent you a code a moment ago: use that one.'

/**
 * Okta refused a code as too soon, though this sign-in sent none: another one (another browser, a sign-in just before)
 * did, and its code may be used already, so not "use that one". Said of the number or the address (`kind`).
 */
export function sentElsewhere (kind: keyof typeof SENT_BY): string {
  return `A code was sent to this ${kind === 'email' ? 'address' : 'number'} a moment ago from another sign-in, so another cannot be sent yet.`
}

/** {@link RESEND_TOO_SOON} with when another code may be asked for: "… You can ask for another code in 30 seconds." */
export function resendTooSoonText (seconds: number): string {
  return `${RESEND_TOO_SOON} You can ask for another code ${formatRetry(seconds)}.`
}

/** "10:15 UTC": the wall-clock time `seconds` from `nowMs`, to the minute (rounded up). */
export function clockTime (nowMs: number, seconds: number): string {
  const at = new Date(Math.ceil((nowMs + seconds * 1000) / 60_000) * 60_000)
  return `${at.toISOString().slice(11, 16)} UTC`
}

/** The lockout sentence with its end: "…paused for this account until 10:15 UTC (in about 15 minutes)." */
export function lockoutText (retryAfterSeconds: number | undefined, nowMs: number): string {
  if (typeof retryAfterSeconds !== 'number' || retryAfterSeconds <= 0) return `${MESSAGES.LOCKED_OUT} Try again later.`
  return `${MESSAGES.LOCKED_OUT.replace(/\.$/, '')} until ${clockTime(nowMs, retryAfterSeconds)} (${formatRetry(retryAfterSeconds)}).`
}

/** A code already used, when it used the last attempt: said without the advice to wait for the next code. */
export const REPLAYED_LAST = 'That code was already used.'
/** A wrong code that used the last attempt: said without the advice to enter or send another (no field is left). */
export const WRONG_LAST = "That code didn't match."

/**
 * The sentence for a refused code, as the pages show it: the factor's own words (text message or app), how many
 * attempts are left after a wrong code, and until when sign-in is paused.
 */
export function failureText (fail: FailInfo, options: { sent?: keyof typeof SENT_BY | undefined, now: number }): string {
  const code = fail.code
  const wrong = code === 'INVALID_PASSCODE' || code === 'PASSCODE_REPLAYED'
  const { sent } = options
  const base = (sent !== undefined && code !== undefined ? sentCodeMessages(sent)[code as FailureCode] : undefined) ?? messageFor(code, fail.retryAfterSeconds)
  // The last attempt used: no advice to wait for, enter or send another code, since the next one will be refused too
  // (the pause says until when).
  if (wrong && fail.attemptsRemaining === 0) return `${code === 'PASSCODE_REPLAYED' ? REPLAYED_LAST : WRONG_LAST} ${lockoutText(fail.retryAfterSeconds, options.now)}`
  if (wrong && typeof fail.attemptsRemaining === 'number' && fail.attemptsRemaining > 0) {
    const n = fail.attemptsRemaining
    return `${base} ${n} attempt${n === 1 ? '' : 's'} left before sign-in is paused.`
  }
  if (code === 'LOCKED_OUT') return isAdminLockout(fail) ? ACCOUNT_LOCKED : lockoutText(fail.retryAfterSeconds, options.now)
  return base
}

/**
 * Whether `err` means "Okta (or the attempt store) is not answering properly": a client error or an outcome (the
 * strategy's, passed to passport's error) that the core's one mapping makes UPSTREAM_UNAVAILABLE, UPSTREAM_TIMEOUT or
 * STORE_UNAVAILABLE.
 */
export function isUpstreamFailure (err: unknown): boolean {
  const code = outcomeOfError(err)?.code
  return code === 'UPSTREAM_UNAVAILABLE' || code === 'UPSTREAM_TIMEOUT' || code === 'STORE_UNAVAILABLE'
}
