// Enrollment: /mfa/enroll (the page), /mfa/enroll/start ("Show my QR code": the authenticator factor is created when
// the person starts, and reused afterwards), /mfa/enroll/activate (the first code without JavaScript; with it,
// public/enroll.js asks the gateway); the text-message routes without JavaScript and the restart are in enroll-sms.ts.
import type { UserFactor } from '@okta-mfa/client'
import { outcomeOfError, readPasscode, refundAccessRefusal, settleRefusal } from '@okta-mfa/core'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { getMfaState, dropCachedFactors, isRememberedMfa, isStoreUnavailableError, recordMfa, userKeyOf } from 'passport-okta-mfa'
import { currentUser, forgetDevicesOf, type AppContext } from '../context.js'
import { csrfToken } from '../csrf.js'
import { DEMO_ISSUER } from '../demo.js'
import { pendingTotp, SMS_TYPE, startTotp, TOTP_TYPE } from '../enrollment.js'
import { canAddHere, factorView, unusableActiveFactors, type FactorView } from '../factors.js'
import {
  ACCOUNT_LOCKED, ALL_ADDED, ALREADY_ACTIVE, failureText, isAdminLockout, isTimedPause, isUpstreamFailure, lockoutText, messageFor, MESSAGES, refusalStatus,
  REPLAYED_LAST, WRONG_LAST, RESEND_TOO_SOON, retryAfter, SMS_MESSAGES, STORE_DOWN, TIMED_OUT, UNAVAILABLE, type FailInfo,
} from '../messages.js'
import { field, refuseTo, rememberReturnTo, resendWaits, setFlash, takeFlash } from '../session.js'
import { enrollPage } from '../views/enroll.js'
import { smsEnrollRoutes, type EnrollExtra } from './enroll-sms.js'
import { rawFactors as listFactors, Unlisted } from './factor-list.js'
import { pausedFor, RESEND_WAIT_SECONDS, sendUnavailable, sendUnusableFactors, STEP_UP_MAX_AGE_SECONDS } from './mfa.js'

/** The pending text-message factor (a code was sent, never entered): its id and masked number, for the code step. */
function pendingSms (factors: FactorView[]): { factorId: string, sentTo: string | undefined } | undefined {
  const f = pendingSmsFactor(factors)
  return f === undefined ? undefined : { factorId: f.id, sentTo: f.detail }
}

/** The pending text-message factor, if there is one. */
function pendingSmsFactor (factors: FactorView[]): FactorView | undefined {
  return factors.find((v) => v.kind === 'sms' && v.status === 'PENDING_ACTIVATION')
}

/**
 * The resend waits `waits`, with the pending text-message factor's first one when this server recorded none: a setup
 * started by the page's script enrolled through the gateway, whose text this server did not see go. Okta sent it when
 * it created the factor, so its `created` time says when (never more than the whole wait, whatever Okta's clock says).
 */
function withFirstTextWait (waits: ReadonlyMap<string, number>, factors: FactorView[], nowMs: number): ReadonlyMap<string, number> {
  const pending = pendingSmsFactor(factors)
  if (pending === undefined || waits.has(pending.id) || pending.created === undefined) return waits
  const left = Math.min(RESEND_WAIT_SECONDS, Math.ceil((Date.parse(pending.created) + RESEND_WAIT_SECONDS * 1000 - nowMs) / 1000))
  return left > 0 ? new Map([...waits, [pending.id, left]]) : waits
}

/** The words every "sign-in is paused" sentence starts with. */
const PAUSED = MESSAGES.LOCKED_OUT.replace(/\.$/, '')

/** Whether this session may add a factor: none active yet, or an MFA step within the step-up window. */
function mayEnroll (ctx: AppContext, request: FastifyRequest, factors: FactorView[]): boolean {
  if (!factors.some((f) => f.active)) return true
  const state = getMfaState(request)
  // A step honoured from a remembered device never counts for a step-up: a code is asked for.
  return state !== undefined && !isRememberedMfa(request) && ctx.clock() - state.completedAt <= STEP_UP_MAX_AGE_SECONDS * 1000
}

/**
 * Where a setup finished elsewhere goes, saying so (`already=1`): on with the sign-in when that activation was the
 * session's MFA step, to the Security page when it added a factor to a session that had one, and to /mfa for a code
 * when this session has no MFA step (activated in another browser).
 */
function alreadyActiveHref (request: FastifyRequest, factorId: string): string {
  const state = getMfaState(request)
  if (state === undefined) return '/mfa?enrolled=1'
  return state.factorId === factorId ? '/mfa/done?already=1' : '/account/security?already=1'
}

/** Registers the enrollment routes. */
export function enrollRoutes (app: FastifyInstance, ctx: AppContext): void {
  const emulator = ctx.emulator !== undefined

  const rawFactors = async (request: FastifyRequest): Promise<UserFactor[] | Unlisted> => await listFactors(ctx, request)

  /** The step-up before adding a factor to an account that has one: to /mfa, and back here after the code. */
  async function askStepUp (request: FastifyRequest, reply: FastifyReply): Promise<void> {
    rememberReturnTo(request, '/mfa/enroll')
    setFlash(request, 'info', 'Confirm it’s you before adding another factor.')
    await reply.redirect('/mfa', 303)
  }

  /**
   * The setup page for the factors `raw`; see {@link EnrollExtra} for a post answered with the page itself.
   */
  async function renderEnroll (request: FastifyRequest, reply: FastifyReply, raw: UserFactor[], extra: EnrollExtra = {}): Promise<void> {
    const factors = raw.map(factorView)
    if (!mayEnroll(ctx, request, factors)) {
      // Active factors, none the pages can verify: no step-up is possible here, so say so rather than send to /mfa.
      const unusable = unusableActiveFactors(factors)
      return unusable === undefined ? await askStepUp(request, reply) : await sendUnusableFactors(request, reply, unusable)
    }
    const hasMfa = getMfaState(request) !== undefined
    // ?method=sms asks for a phone; otherwise the authenticator app, unless one is active already (adding a second
    // factor: then never, not even asked for by ?method=totp, as from Back after setting it up). A send of a new text
    // (a post, no query) answers with the text-message step.
    const asked = extra.method ?? (request.method === 'POST' ? 'sms' : (request.query as Record<string, unknown>).method)
    const hasTotp = factors.some((f) => f.kind === 'totp' && f.active)
    // A pending authenticator app (Okta Verify's beside an active Google Authenticator, enrolled elsewhere) is
    // finished here, as *Finish setup* promises, unless a phone is asked for.
    const pendingApp = factors.some((f) => f.kind === 'totp' && f.status === 'PENDING_ACTIVATION')
    const method = asked === 'sms' || (hasTotp && !pendingApp) ? 'sms' : 'totp'
    const user = currentUser(request)
    const flash = takeFlash(request)
    // Paused (e.g. four wrong first codes, then signing in again): say so at once, as /mfa does, not after a code.
    // A flash that says it already (the code that used up the last attempt: "didn't match", then the pause) is kept.
    const pausedSeconds = 'paused' in extra ? extra.paused : await pausedFor(ctx, request)
    const paused = pausedSeconds === undefined ? undefined : lockoutText(pausedSeconds, ctx.clock())
    const flashError = extra.error ?? (flash?.kind === 'error' ? flash.text : undefined)
    const error = paused === undefined || flashError?.includes(PAUSED) === true || extra.adminLocked === true ? flashError : paused
    // Locked: no QR code, key, phone or code field (every code would be refused), a way out instead.
    const locked = paused !== undefined || extra.adminLocked === true
    const now = ctx.clock()
    await reply.code(extra.status ?? 200).type('text/html; charset=utf-8').send(enrollPage({
      method,
      hasTotp,
      csrf: csrfToken(request),
      userName: user.displayName,
      graphqlPath: ctx.graphqlPath,
      // Where the person was going before sign-in survives enrollment: /mfa/done takes it.
      doneHref: hasMfa ? '/account/security?added=1' : '/mfa/done',
      emulator,
      accountName: user.oktaLogin,
      mfaDone: hasMfa,
      // The page's script words failures as the method asks: a text message's, or the authenticator app's.
      // A send of a new text that failed says so in a send's words (not "check your code").
      messages: { ...MESSAGES, ...method === 'sms' ? SMS_MESSAGES : {}, ALREADY_ACTIVE, RESEND_TOO_SOON, ACCOUNT_LOCKED, REPLAYED_LAST, WRONG_LAST, SEND_UNAVAILABLE: UNAVAILABLE.send, SEND_TIMEOUT: TIMED_OUT.send, FACTORS_UNAVAILABLE: UNAVAILABLE.factors, FACTORS_TIMEOUT: TIMED_OUT.factors, STORE_PAGE: STORE_DOWN.page },
      pending: method === 'totp' && !locked ? await pendingTotp(raw, DEMO_ISSUER, user.oktaLogin) : undefined,
      // A text-message setup started earlier (code sent, page left): resumed at its code step, not a new phone form.
      pendingSms: method === 'sms' && !locked ? pendingSms(factors) : undefined,
      error,
      phone: extra.phone,
      locked,
      adminLocked: extra.adminLocked === true,
      info: flash?.kind === 'info' ? flash.text : undefined,
      resendWaits: withFirstTextWait(resendWaits(request, now), factors, now),
    }))
  }

  app.get('/mfa/enroll', { preHandler: ctx.requireLogin }, async (request, reply) => {
    const raw = await rawFactors(request)
    if (raw instanceof Unlisted) return await sendUnavailable(reply, 'factors', raw.err)
    // Nothing left to set up here (an old link, Back): the Security page says so, rather than a phone form that can
    // only answer "already set up".
    if (getMfaState(request) !== undefined && !canAddHere(raw.map(factorView))) {
      setFlash(request, 'info', ALL_ADDED)
      return await reply.redirect('/account/security', 303)
    }
    // Okta holds the account (locked out, suspended, deactivated): said at once, as /mfa says it, not after a code.
    const paused = await pausedFor(ctx, request)
    if (paused === undefined && await ctx.directory.signInRefused(request)) {
      reply.header('x-error-code', 'LOCKED_OUT')
      return await renderEnroll(request, reply, raw, { status: 403, paused, error: ACCOUNT_LOCKED, adminLocked: true })
    }
    await renderEnroll(request, reply, raw, { paused })
  })

  // "Show my QR code": the authenticator factor is created here, when the person starts, and reused afterwards.
  app.post('/mfa/enroll/start', { preValidation: ctx.csrf, preHandler: ctx.requireLogin }, async (request, reply) => {
    const raw = await rawFactors(request)
    if (raw instanceof Unlisted) return await sendUnavailable(reply, 'factors', raw.err)
    if (!mayEnroll(ctx, request, raw.map(factorView))) return await askStepUp(request, reply)
    if (raw.some((f) => f.factorType === TOTP_TYPE && f.status === 'ACTIVE')) {
      return await refuseTo(request, reply, '/mfa/enroll?method=sms', MESSAGES.ALREADY_ENROLLED, 'ALREADY_ENROLLED')
    }
    try {
      const user = currentUser(request)
      await startTotp(ctx.client, await ctx.directory.oktaUserId(request), DEMO_ISSUER, user.oktaLogin)
      dropCachedFactors(request)
    } catch (err) {
      if (outcomeOfError(err)?.code === 'ALREADY_ENROLLED') {
        // Activated in another tab since this page loaded.
        dropCachedFactors(request)
        return await refuseTo(request, reply, '/mfa/enroll?method=sms', MESSAGES.ALREADY_ENROLLED, 'ALREADY_ENROLLED')
      }
      if (!isUpstreamFailure(err)) throw err
      return await sendUnavailable(reply, 'factors', err)
    }
    await reply.redirect('/mfa/enroll?method=totp', 303)
  })

  // Activation as a plain form post, for browsers without JavaScript (with it, enroll.js does the same through the
  // gateway). The same rules as the gateway's activateFactor: the attempt is counted before Okta hears the code, a
  // wrong code says how many are left, and the accepted first code is the MFA step. Answered as /mfa answers: a
  // refusal with a wait (the pause, or the code that starts it) is the page itself, 429 with Retry-After.
  app.post('/mfa/enroll/activate', { preValidation: ctx.csrf, preHandler: ctx.requireLogin }, async (request, reply) => {
    const raw = await rawFactors(request)
    // As /mfa answers a code whose factor list Okta did not give: a timeout is "taking too long" (504), not "unavailable".
    if (raw instanceof Unlisted) return await sendUnavailable(reply, 'code', raw.err)
    if (!mayEnroll(ctx, request, raw.map(factorView))) return await askStepUp(request, reply)
    const hadMfa = getMfaState(request) !== undefined
    // An authenticator app, or a text-message setup resumed at its code step.
    const named = raw.find((f) => f.id === field(request, 'factorId') && (f.factorType === TOTP_TYPE || f.factorType === SMS_TYPE))
    const sms = named?.factorType === SMS_TYPE
    const sent = sms ? 'sms' as const : undefined
    const factor = named?.status === 'PENDING_ACTIVATION' ? named : undefined
    const method = sms ? 'sms' : 'totp'
    // A refusal with no wait: back to the setup page, the sentence under the field (and its code, for scripts).
    const back = async (text: string, code?: string): Promise<void> => await refuseTo(request, reply, `/mfa/enroll?method=${method}`, text, code)
    if (factor === undefined) {
      // Activated meanwhile (another tab pressed Activate with the same key): say so and go where a finished setup goes.
      const done = named?.status === 'ACTIVE' ? named : undefined
      if (done !== undefined) return await reply.redirect(alreadyActiveHref(request, done.id), 303)
      return await back(messageFor('FACTOR_NOT_FOUND'), 'FACTOR_NOT_FOUND')
    }
    const passcode = readPasscode(field(request, 'passCode'))
    if (!passcode.ok) return await back(failureText({ code: passcode.code }, { sent, now: ctx.clock() }), passcode.code)
    const user = currentUser(request)
    const userKey = userKeyOf(user)
    let decision
    try {
      decision = await ctx.mfaLimiter.consume(userKey)
    } catch (err) {
      if (!isStoreUnavailableError(err)) throw err
      // The attempt store is down: the page /mfa answers then (503 STORE_UNAVAILABLE), not a note under the field.
      return await sendUnavailable(reply, 'code', err)
    }
    if (!decision.allowed) {
      // Paused: as /mfa answers a code then, 429 with the wait in Retry-After and the paused page itself.
      const paused = Math.max(1, Math.ceil(decision.retryAfterSeconds))
      reply.header('retry-after', String(paused)).header('x-error-code', 'LOCKED_OUT')
      return await renderEnroll(request, reply, raw, { status: 429, method, paused, error: lockoutText(paused, ctx.clock()) })
    }
    try {
      await ctx.client.activateFactor(await ctx.directory.oktaUserId(request), factor.id, { passCode: passcode.passCode })
    } catch (err) {
      const outcome = outcomeOfError(err)
      if (outcome === undefined) {
        await refundAccessRefusal(err, ctx.mfaLimiter, userKey, decision)
        throw err
      }
      // Settled first: an attempt Okta never took (its 503, a refused connection) is given back, a timeout stays counted.
      const counted = await settleRefusal(outcome, ctx.mfaLimiter, userKey, decision)
      // Activated by another tab between our read of the factors and this call (Okta: 400 E0000001, the factor is no
      // longer pending; the attempt was given back): as when it was activated before, on to where a finished setup
      // goes, and the session left as it is, so this answer's cookie cannot replace the one holding the MFA step.
      const now = counted.code === 'BAD_USER_INPUT' ? await rawFactors(request) : undefined
      if (Array.isArray(now) && now.some((f) => f.id === factor.id && f.status === 'ACTIVE')) {
        return await reply.redirect(alreadyActiveHref(request, factor.id), 303)
      }
      if (outcome.code === 'UPSTREAM_UNAVAILABLE' || outcome.code === 'UPSTREAM_TIMEOUT') return await sendUnavailable(reply, 'code', outcome)
      // Okta's own lockout, or a user it suspended: the page itself (403, no wait), without the QR code and the code
      // field that would invite codes it will all refuse, and an administrator as the way out (as enroll.js shows it).
      if (isAdminLockout({ code: counted.code, ...counted.details })) {
        reply.header('x-error-code', 'LOCKED_OUT')
        return await renderEnroll(request, reply, raw, { status: 403, paused: undefined, error: ACCOUNT_LOCKED, adminLocked: true })
      }
      const fail: FailInfo = { code: counted.code, ...counted.details }
      const status = refusalStatus(fail)
      if (status !== 429) return await back(failureText(fail, { sent, now: ctx.clock() }), counted.code)
      // A wait to state (the code that used the last attempt, Okta's rate limit): as /mfa, 429 with Retry-After and
      // x-error-code, and the page itself saying until when (paused: without the QR code and the code field).
      const said = retryAfter(reply, status, fail)
      reply.header('x-error-code', counted.code)
      return await renderEnroll(request, reply, raw, { status, method, paused: isTimedPause(fail) ? said.retryAfterSeconds : undefined, error: failureText(said, { sent, now: ctx.clock() }) })
    }
    // The right code gives its attempt back, but clears no wrong one: an activation does not reset Okta's count of
    // failed verifications, which its lockout follows.
    await ctx.mfaLimiter.refund(userKey, decision, { accepted: true }).catch(() => {})
    dropCachedFactors(request)
    recordMfa(request, { user, factorId: factor.id, method: 'form', now: ctx.clock() })
    await forgetDevicesOf(ctx, request, user) // a new active factor
    await reply.redirect(hadMfa ? '/account/security?added=1' : '/mfa/done', 303)
  })

  smsEnrollRoutes(app, ctx, { rawFactors, mayEnroll: (request, factors) => mayEnroll(ctx, request, factors), askStepUp, renderEnroll })
}
