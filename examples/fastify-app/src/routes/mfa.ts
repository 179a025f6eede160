// The second step: /mfa (the form posted to the okta-mfa strategy), "send me a code" for sms factors, /mfa/done
// (where enrollment ends), and the emulator's outbox page. Enrollment is in enroll.ts.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { getMfaState, isRememberedMfa, isStoreUnavailableError, userKeyOf } from 'passport-okta-mfa'
import { endUserContext } from '@okta-mfa/core'
import { currentUser, type AppContext } from '../context.js'
import { csrfToken } from '../csrf.js'
import { factorView, RESEND_WAITS, sentBy, unusableActiveFactors, verifiableFactors, type FactorView } from '../factors.js'
import { ACCOUNT_LOCKED, ALREADY_ACTIVE, failureText, isAdminLockout, isOktaAdminLockout, isUpstreamFailure, isUpstreamTimeout, refusalStatus, retryAfter, lockoutText, messageFor, oktaRateLimitSeconds, RESEND_TOO_SOON, sentElsewhere, STORE_DOWN, TIMED_OUT, UNAVAILABLE, type FailInfo } from '../messages.js'
import { codeFormState, field, forgetSentCodeForm, isLocalPath, isSetupPage, newCodeFormId, refuseTo, resendInSeconds, resendWaits, setFlash, setResendAt, takeFlash, takeReturnTo } from '../session.js'
import { errorPage } from '../views/errors.js'
import { storeReason } from '../error-handler.js'
import { mfaPage, outboxPage, unusableFactorsPage } from '../views/mfa.js'
import { renderRemove } from './account.js'
import { loadFactors, Unlisted } from './factor-list.js'

/** How recent an MFA step must be to add a factor (the gateway's step-up window for factor changes). */
export const STEP_UP_MAX_AGE_SECONDS = 300

/** What a page says when its code form was sent again. */
export const RESENT_FORM = 'That page was sent again, so its code was not checked again. Enter the current code.'

/** How long Okta makes a person wait between two text messages (E0000109), used for the countdown after a send. */
export const RESEND_WAIT_SECONDS = RESEND_WAITS.sms

/**
 * Seconds before Okta sends another code, when `err` is its refusal of a send (429: the code sent a moment ago, or the
 * org's rate limit): its reset when Okta gave one (clamped as every Okta wait is), else Okta's wait between two codes
 * sent that way (`kind`: 30 s between two texts). Undefined for any other error.
 */
export function resendWaitSeconds (err: unknown, kind: keyof typeof RESEND_WAITS = 'sms'): number | undefined {
  const e = err as { code?: unknown, retryAfterSeconds?: unknown } | null
  if (e === null || typeof e !== 'object' || e.code !== 'OKTA_RATE_LIMITED') return undefined
  // A reset that has just arrived (0 s) is a reset too: the smallest wait, 1 s, not the 30 s of no reset at all.
  return typeof e.retryAfterSeconds === 'number' && e.retryAfterSeconds >= 0 ? oktaRateLimitSeconds(err) : RESEND_WAITS[kind]
}

/**
 * Seconds before another code may be asked for from factor `factorId`, after Okta refused a send as too soon
 * (`oktaWait`: its wait). The session's own time of the last send is exact, while Okta's reset is in whole seconds (up
 * to ~2 s long): a time still ahead in the session is kept; only without one is Okta's wait used (and kept for the
 * next page).
 */
export function tooSoonWait (request: FastifyRequest, factorId: string, nowMs: number, oktaWait: number): number {
  const kept = resendInSeconds(request, factorId, nowMs)
  if (kept !== undefined) return kept
  setResendAt(request, factorId, nowMs + oktaWait * 1000)
  return oktaWait
}

/** The factor id of a removal page's path (`/account/security/remove/:factorId`); undefined when it cannot be read. */
function pathFactorId (path: string): string | undefined {
  const raw = path.split(/[?#]/)[0]!.slice('/account/security/remove/'.length)
  try {
    return raw === '' || raw.includes('/') ? undefined : decodeURIComponent(raw)
  } catch {
    return undefined
  }
}

/**
 * Answers 503 with the "Okta unavailable" page (504 "Okta is taking too long" for a timeout), in the words of the moment (`moment`: checking a code, or just
 * reading the factors, before any code was entered), with a way out (sign out). The x-error-code header names the
 * cause: UPSTREAM_UNAVAILABLE, unless `err` is an outage of the attempt store (STORE_UNAVAILABLE, with its own words)
 * or Okta not answering in time (504 UPSTREAM_TIMEOUT, "Okta is taking too long to answer": it may have taken the request).
 */
export async function sendUnavailable (reply: FastifyReply, moment: keyof typeof UNAVAILABLE = 'factors', err?: unknown): Promise<void> {
  const store = isStoreUnavailableError(err)
  const timeout = !store && isUpstreamTimeout(err)
  // Every such page names its cause, for scripts and monitors: without an error, Okta's list of factors could not be read.
  reply.header('x-error-code', store ? 'STORE_UNAVAILABLE' : timeout ? 'UPSTREAM_TIMEOUT' : 'UPSTREAM_UNAVAILABLE')
  const page = store
    ? errorPage(moment === 'code' ? STORE_DOWN.code : STORE_DOWN.page, { signedIn: true, title: STORE_DOWN.title })
    : errorPage((timeout ? TIMED_OUT : UNAVAILABLE)[moment], { signedIn: true, title: timeout ? 'Okta is taking too long' : 'Okta is unavailable' })
  await reply.code(timeout ? 504 : 503).type('text/html; charset=utf-8').send(page)
}

/**
 * The account has active factors but none these pages can verify (a security question, push…): a page that says so
 * and how to get out (an administrator resets the factors), instead of sending the person between /mfa and
 * /mfa/enroll. 403 with x-error-code FACTORS_UNSUPPORTED, for scripts and monitors.
 */
export async function sendUnusableFactors (request: FastifyRequest, reply: FastifyReply, factors: FactorView[]): Promise<void> {
  await reply.code(403).header('x-error-code', 'FACTORS_UNSUPPORTED').type('text/html; charset=utf-8').send(unusableFactorsPage({
    csrf: csrfToken(request),
    userName: currentUser(request).displayName,
    factors,
    mfaDone: getMfaState(request) !== undefined,
  }))
}

/** Whether the last MFA step was so recent that its code may still be on screen (a TOTP step lasts 30 s, ±1 step). */
export function justUsedCode (ctx: AppContext, request: FastifyRequest): boolean {
  const state = getMfaState(request)
  // A step honoured from a remembered device used no code: nothing to wait for.
  return state !== undefined && !isRememberedMfa(request) && ctx.clock() - state.completedAt < 60_000
}


/**
 * Sign-in is paused for the signed-in user (too many wrong codes, on any page): the sentence that says until when, so a
 * page can say it at once instead of offering a code field that will refuse the next code. Undefined when not paused,
 * and when the attempt store cannot say (the code is then refused with its own words).
 */
export async function pausedText (ctx: AppContext, request: FastifyRequest): Promise<string | undefined> {
  const seconds = await pausedFor(ctx, request)
  return seconds === undefined ? undefined : lockoutText(seconds, ctx.clock())
}

/** How many seconds sign-in stays paused for the signed-in user, or undefined when it is not (or cannot be told). */
export async function pausedFor (ctx: AppContext, request: FastifyRequest): Promise<number | undefined> {
  const decision = await ctx.mfaLimiter.check(userKeyOf(currentUser(request))).catch(() => undefined)
  return decision === undefined || decision.allowed ? undefined : decision.retryAfterSeconds
}

/**
 * A code form sent again while sign-in is paused: answered as any code during the pause (429, `Retry-After`,
 * `x-error-code: LOCKED_OUT`), not with "enter the current code". Returns the "paused until" sentence for the page.
 */
export function pausedAnswer (reply: FastifyReply, seconds: number, now: number): string {
  reply.header('x-error-code', 'LOCKED_OUT')
  return failureText(retryAfter(reply, 429, { code: 'LOCKED_OUT', retryAfterSeconds: seconds }), { now })
}

/** Registers `/mfa`, `/mfa/done`, `/mfa/challenge` and, with the emulator, `/dev/outbox` (enrollment: enroll.ts). */
export function mfaRoutes (app: FastifyInstance, ctx: AppContext): void {
  const emulator = ctx.emulator !== undefined

  /**
   * The code page. `extra.factors`: the list already read in this request (one Okta call per request: after Okta's
   * 429 another would be refused too; if it is, the error handler answers the 429 page).
   */
  async function renderMfa (request: FastifyRequest, reply: FastifyReply, status: number, extra: { error?: string, info?: string, selectedFactorId?: string, factors?: FactorView[] | Unlisted, locked?: boolean, adminLocked?: boolean } = {}): Promise<void> {
    const factors = extra.factors ?? await loadFactors(ctx, request)
    if (factors instanceof Unlisted) return await sendUnavailable(reply, 'factors', factors.err)
    const flash = takeFlash(request)
    const unusable = unusableActiveFactors(factors)
    if (unusable !== undefined) return await sendUnusableFactors(request, reply, unusable)
    const query = request.query as Record<string, unknown>
    const enrolled = query.enrolled === '1'
    // Locked already (e.g. signing in again during the pause): say so at once, not after the next code. So too when
    // Okta itself holds the account (locked out, suspended): 403 and an administrator, as a code would be answered.
    const lockedError = extra.error === undefined && status === 200 ? await pausedText(ctx, request) : undefined
    if (lockedError === undefined && extra.error === undefined && status === 200 && await ctx.directory.signInRefused(request)) {
      reply.header('x-error-code', 'LOCKED_OUT')
      return await renderMfa(request, reply, 403, { ...extra, error: ACCOUNT_LOCKED, factors, locked: true, adminLocked: true })
    }
    const mfaDone = getMfaState(request) !== undefined
    await reply.code(status).type('text/html; charset=utf-8').send(mfaPage({
      csrf: csrfToken(request),
      userName: currentUser(request).displayName,
      factors: verifiableFactors(factors),
      selectedFactorId: extra.selectedFactorId ?? (typeof query.factor === 'string' ? query.factor : undefined),
      error: extra.error ?? lockedError ?? (flash?.kind === 'error' ? flash.text : undefined),
      resendWaits: resendWaits(request, ctx.clock()),
      // Not while paused: no code is taken then, so "wait for the next code" would mislead.
      freshCodeWarning: mfaDone && lockedError === undefined && extra.locked !== true && justUsedCode(ctx, request),
      // Offered at sign-in only, not on a step-up.
      rememberDays: ctx.devices === undefined || mfaDone ? undefined : Math.round(ctx.devices.maxAgeMs / 86_400_000),
      // Paused: said before any code (lockedError), or by this answer to a code (`extra.locked`): no code field either way.
      locked: lockedError !== undefined || extra.locked === true,
      adminLocked: lockedError === undefined && extra.adminLocked === true,
      info: extra.info ?? (flash?.kind === 'info' ? flash.text : undefined),
      success: flash?.kind === 'success'
        ? flash.text
        : enrolled ? 'Your factor is set up. To finish signing in, enter the next code it gives you (a code works only once, so wait for a new one).' : undefined,
      emulator,
      mfaDone,
      formId: newCodeFormId(ctx.clock()),
    }))
  }

  /**
   * The code form sent again (a reload of the answer to a post), or shown before an MFA step completed since (Back and
   * "resend" after signing in, a code entered in another tab): the code is not checked again, so it costs no attempt.
   * After a step: on to where the person was going; else the page again.
   */
  async function refuseResentForm (request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const state = codeFormState(request, getMfaState(request)?.completedAt)
    if (state === 'fresh') return
    if (state === 'after-step') return await reply.redirect(takeReturnTo(request) ?? '/account', 303)
    const paused = await pausedFor(ctx, request)
    if (paused !== undefined) return await renderMfa(request, reply, 429, { error: pausedAnswer(reply, paused, ctx.clock()), locked: true })
    await renderMfa(request, reply, 200, { info: RESENT_FORM })
  }

  app.get('/mfa', { preHandler: ctx.requireLogin }, async (request, reply) => {
    await renderMfa(request, reply, 200)
  })

  // The form path: passport.authenticate('okta-mfa') with a callback, so failures re-render the page in place.
  app.post('/mfa', { preValidation: ctx.csrf, preHandler: [ctx.requireLogin, refuseResentForm] }, ctx.passport.authenticate('okta-mfa', async (request, reply, err, user, info) => {
    if (err !== null) {
      if (!isUpstreamFailure(err)) throw err
      request.log.warn({ code: (err as { code?: string }).code, reason: storeReason(err) }, isStoreUnavailableError(err) ? 'attempt store unavailable during MFA' : 'Okta unavailable during MFA')
      forgetSentCodeForm(request) // the page says to try again: the same form may be sent again
      return await sendUnavailable(reply, 'code', err)
    }
    const selectedFactorId = field(request, 'factorId')
    if (user === false || user === undefined || user === null) {
      const fail = (info ?? {}) as FailInfo
      if (fail.code !== undefined) reply.header('x-error-code', fail.code) // the outcome code, for scripts and monitors
      if (fail.code === 'ENROLLMENT_REQUIRED') return await reply.redirect('/mfa/enroll', 303)
      if (fail.code === 'UNAUTHENTICATED') return await reply.redirect('/login', 303)
      // A wrong code says how many attempts are left; the one that used up the last says both: it didn't match,
      // and sign-in is now paused (until when).
      // Okta's own lockout (or a suspended user) has no end to state: 403, and an administrator is the way out.
      const lastTry = fail.attemptsRemaining === 0 && (fail.code === 'INVALID_PASSCODE' || fail.code === 'PASSCODE_REPLAYED')
      const status = refusalStatus(fail)
      const said = retryAfter(reply, status, fail) // the wait of Retry-After, said on the page too
      // Okta's 429: the code was not checked, so the same form may be sent again once the wait is over.
      if (fail.code === 'RATE_LIMITED') forgetSentCodeForm(request)
      const factors = await loadFactors(ctx, request)
      return await renderMfa(request, reply, status, {
        error: failureText(said, { sent: sentChoice(factors, selectedFactorId), now: ctx.clock() }),
        factors,
        // The code that used up the last attempt, and any code during the pause: the paused view, as a reload shows it.
        locked: fail.code === 'LOCKED_OUT' || lastTry,
        adminLocked: isAdminLockout(fail),
        ...(selectedFactorId === undefined ? {} : { selectedFactorId }),
      })
    }
    // The strategy recorded the MFA step in the session. "Remember this device" (opt-in): the signed device cookie.
    const state = getMfaState(request)
    if (field(request, 'rememberDevice') === '1' && ctx.devices !== undefined && state !== undefined) {
      reply.header('set-cookie', ctx.devices.cookie(await ctx.devices.issue(currentUser(request), state.factorId, request), { secure: request.protocol === 'https' }))
    }
    // Go where the user was going.
    await reply.redirect(takeReturnTo(request) ?? '/account', 303)
  }))

  /** How the chosen factor sends its code (`sms`, `call`, `email`), or undefined for an authenticator app. */
  function sentChoice (all: FactorView[] | Unlisted, factorId: string | undefined): 'sms' | 'call' | 'email' | undefined {
    const factors = verifiableFactors(all instanceof Unlisted ? [] : all)
    const chosen = factors.find((f) => f.id === factorId) ?? factors[0]
    return sentBy(chosen)
  }

  // Where enrollment ends: where the person was going before sign-in (kept through enrollment), else /account.
  // `already=1`: the factor was activated in another tab or window (enroll.js and the form path say so here).
  app.get('/mfa/done', { preHandler: [ctx.requireLogin, ctx.requireMfa] }, async (request, reply) => {
    const already = (request.query as Record<string, unknown>).already === '1'
    const to = takeReturnTo(request)
    // Signed in on the way to setting up a factor, which is what just happened: the security page, which says the
    // authenticator was added, not the setup page again (it would offer a second factor as if nothing had been done).
    if (to !== undefined && isSetupPage(to)) return await reply.redirect(`/account/security?${already ? 'already' : 'added'}=1`, 303)
    if (already) setFlash(request, 'success', ALREADY_ACTIVE)
    await reply.redirect(to ?? '/account', 303)
  })

  // "Send a code" for sms, call and email factors: an Okta verify without a passcode sends one.
  app.post('/mfa/challenge', { preValidation: ctx.csrf, preHandler: ctx.requireLogin }, async (request, reply) => {
    const back = field(request, 'returnTo')
    const returnTo = isLocalPath(back) && (back === '/mfa' || back.startsWith('/account/security/remove/')) ? back : '/mfa'
    const factorId = field(request, 'factorId') ?? ''
    const factors = await loadFactors(ctx, request)
    if (factors instanceof Unlisted) return await sendUnavailable(reply, 'factors', factors.err)
    const factor = factors.find((f) => f.id === factorId && f.active && f.sendsCode)
    if (factor === undefined) {
      return await refuseTo(request, reply, returnTo, messageFor('FACTOR_NOT_FOUND'), 'FACTOR_NOT_FOUND')
    }
    // Refused before or by Okta with a wait (paused, too soon): the page itself, 429 with Retry-After, as the setup's
    // sends answer. The removal page answers itself only after an MFA step, as it is shown (else the sign-in page does).
    const removing = returnTo === '/mfa' || getMfaState(request) === undefined ? undefined : pathFactorId(returnTo)
    const answerHere = async (status: number, text: { error: string } | { info: string }, locked: boolean): Promise<void> => {
      if (removing !== undefined) return await renderRemove(ctx, request, reply, status, 'error' in text ? text.error : undefined, 'info' in text ? text.info : undefined, locked, removing)
      return await renderMfa(request, reply, status, { ...text, factors, locked, selectedFactorId: factor.id })
    }
    // While sign-in is paused every code is refused: nothing is sent, and the page says until when.
    const paused = await pausedFor(ctx, request)
    if (paused !== undefined) return await answerHere(429, { error: pausedAnswer(reply, paused, ctx.clock()) }, true)
    try {
      const oktaUserId = await ctx.directory.oktaUserId(request)
      // The end user's IP (bounded, an IPv4-mapped one as IPv4), User-Agent and Accept-Language, as a verify sends them.
      await ctx.client.verifyFactor(oktaUserId, factor.id, undefined, undefined, { context: endUserContext(request) })
      setFlash(request, 'success', `We sent a code to ${factor.detail ?? 'you'}.${emulator ? ' With the emulator it is in the outbox (link below).' : ''}`)
      setResendAt(request, factor.id, ctx.clock() + RESEND_WAITS[sentBy(factor) ?? 'sms'] * 1000)
    } catch (err) {
      const wait = resendWaitSeconds(err, sentBy(factor))
      if (wait !== undefined) {
        // The code sent a moment ago is on its way. The page says when another can be asked for (429, Retry-After).
        // Sent by another sign-in when this one sent none: its code may be used already, so not "use that one".
        const info = resendInSeconds(request, factor.id, ctx.clock()) === undefined ? sentElsewhere(sentBy(factor) ?? 'sms') : RESEND_TOO_SOON
        reply.header('retry-after', String(tooSoonWait(request, factor.id, ctx.clock(), wait))).header('x-error-code', 'RATE_LIMITED')
        return await answerHere(429, { info }, false)
      } else if (isOktaAdminLockout(err)) {
        // Okta's own lockout, or a user it suspended: the same answer as a code would get (403, no wait, an administrator).
        reply.header('x-error-code', 'LOCKED_OUT')
        if (removing === undefined) return await renderMfa(request, reply, 403, { error: ACCOUNT_LOCKED, factors, locked: true, adminLocked: true, selectedFactorId: factor.id })
        return await renderRemove(ctx, request, reply, 403, ACCOUNT_LOCKED, undefined, 'admin', removing)
      }
      // Okta unreachable or silent: the page that says so (503 or 504, Retry-After, coded), as every send answers.
      if (!isUpstreamFailure(err)) throw err
      return await sendUnavailable(reply, 'send', err)
    }
    await reply.redirect(`${returnTo}?factor=${encodeURIComponent(factor.id)}`, 303)
  })

  if (ctx.emulator !== undefined) {
    const emu = ctx.emulator
    // Emulator only: where sms codes "arrive" when there is no phone. Shows the signed-in user's messages only.
    app.get('/dev/outbox', { preHandler: ctx.requireLogin }, async (request, reply) => {
      const oktaUserId = await ctx.directory.oktaUserId(request)
      const messages = emu.messages({ userId: oktaUserId }).slice().reverse()
      await reply.header('cache-control', 'no-store').type('text/html; charset=utf-8').send(outboxPage({
        csrf: csrfToken(request),
        userName: currentUser(request).displayName,
        messages: messages.map((m) => ({ channel: m.channel, to: m.to, code: m.code, sentAt: m.sentAt })),
        mfaDone: getMfaState(request) !== undefined,
      }))
    })
  }
}
