// The second step: /mfa (the form posted to the okta-mfa strategy), "send me a code" for sms factors,
// /mfa/enroll (the page whose script calls the gateway), and the emulator's outbox page.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { getMfaState, dropCachedFactors } from 'passport-okta-mfa'
import { currentUser, type AppContext } from '../context.js'
import { csrfToken } from '../csrf.js'
import { factorView, verifiableFactors, type FactorView } from '../factors.js'
import { isUpstreamFailure, messageFor, MESSAGES } from '../messages.js'
import { field, isLocalPath, rememberReturnTo, setFlash, takeFlash, takeReturnTo } from '../session.js'
import { enrollPage } from '../views/enroll.js'
import { errorPage } from '../views/errors.js'
import { mfaPage, outboxPage } from '../views/mfa.js'

/** How recent an MFA step must be to add a factor (the gateway's step-up window for factor changes). */
export const STEP_UP_MAX_AGE_SECONDS = 300

/** The fail info the okta-mfa strategy hands to `fail` (see passport-okta-mfa's FAIL_CODES). */
interface FailInfo { code?: string, retryAfterSeconds?: number, attemptsRemaining?: number }

/** The factors of the signed-in user as the pages show them; `undefined` when Okta cannot be reached. */
export async function loadFactors (ctx: AppContext, request: FastifyRequest): Promise<FactorView[] | undefined> {
  try {
    return (await ctx.directory.factors(currentUser(request))).map(factorView)
  } catch (err) {
    if (!isUpstreamFailure(err)) throw err
    request.log.warn({ code: (err as { code?: string }).code }, 'Okta unavailable while listing factors')
    return undefined
  }
}

/** Answers 503 with the "Okta unavailable" page. */
export async function sendUnavailable (reply: FastifyReply): Promise<void> {
  await reply.code(503).type('text/html; charset=utf-8').send(errorPage(messageFor('UPSTREAM_UNAVAILABLE')))
}

/** Whether this session may add a factor: none active yet, or an MFA step within the step-up window. */
function mayEnroll (ctx: AppContext, request: FastifyRequest, factors: FactorView[]): boolean {
  if (!factors.some((f) => f.active)) return true
  const state = getMfaState(request)
  return state !== undefined && ctx.clock() - state.completedAt < STEP_UP_MAX_AGE_SECONDS * 1000
}

/** Registers `/mfa`, `/mfa/challenge`, `/mfa/enroll`, `/mfa/enroll/restart` and, with the emulator, `/dev/outbox`. */
export function mfaRoutes (app: FastifyInstance, ctx: AppContext): void {
  const emulator = ctx.emulator !== undefined

  async function renderMfa (request: FastifyRequest, reply: FastifyReply, status: number, extra: { error?: string, selectedFactorId?: string } = {}): Promise<void> {
    const factors = await loadFactors(ctx, request)
    if (factors === undefined) return await sendUnavailable(reply)
    const flash = takeFlash(request)
    const query = request.query as Record<string, unknown>
    const enrolled = query.enrolled === '1'
    await reply.code(status).type('text/html; charset=utf-8').send(mfaPage({
      csrf: csrfToken(request),
      userName: currentUser(request).displayName,
      factors: verifiableFactors(factors),
      selectedFactorId: extra.selectedFactorId ?? (typeof query.factor === 'string' ? query.factor : undefined),
      error: extra.error ?? (flash?.kind === 'error' ? flash.text : undefined),
      info: flash?.kind === 'info' ? flash.text : undefined,
      success: flash?.kind === 'success'
        ? flash.text
        : enrolled ? 'Your factor is set up. To finish signing in, enter the next code it gives you (a code works only once, so wait for a new one).' : undefined,
      emulator,
      mfaDone: getMfaState(request) !== undefined,
    }))
  }

  app.get('/mfa', { preHandler: ctx.requireLogin }, async (request, reply) => {
    await renderMfa(request, reply, 200)
  })

  // The form path: passport.authenticate('okta-mfa') with a callback, so failures re-render the page in place.
  app.post('/mfa', { preValidation: ctx.csrf, preHandler: ctx.requireLogin }, ctx.passport.authenticate('okta-mfa', async (request, reply, err, user, info) => {
    if (err !== null) {
      if (!isUpstreamFailure(err)) throw err
      request.log.warn({ code: (err as { code?: string }).code }, 'Okta unavailable during MFA')
      reply.header('x-error-code', (err as { code?: string }).code === 'STORE_UNAVAILABLE' ? 'STORE_UNAVAILABLE' : 'UPSTREAM_UNAVAILABLE')
      return await sendUnavailable(reply)
    }
    const selectedFactorId = field(request, 'factorId')
    if (user === false || user === undefined || user === null) {
      const fail = (info ?? {}) as FailInfo
      if (fail.code !== undefined) reply.header('x-error-code', fail.code) // the outcome code, for scripts and monitors
      if (fail.code === 'ENROLLMENT_REQUIRED') return await reply.redirect('/mfa/enroll', 303)
      if (fail.code === 'UNAUTHENTICATED') return await reply.redirect('/login', 303)
      // A wrong code that used up the last attempt says both: it didn't match, and sign-in is now paused (until when).
      const lastTry = fail.attemptsRemaining === 0 && (fail.code === 'INVALID_PASSCODE' || fail.code === 'PASSCODE_REPLAYED')
      const status = fail.code === 'RATE_LIMITED' || fail.code === 'LOCKED_OUT' || lastTry ? 429 : fail.code?.startsWith('PASSCODE_M') === true ? 400 : 401
      return await renderMfa(request, reply, status, {
        error: lastTry ? `${messageFor(fail.code)} ${messageFor('LOCKED_OUT', fail.retryAfterSeconds)}` : messageFor(fail.code, fail.retryAfterSeconds),
        ...(selectedFactorId === undefined ? {} : { selectedFactorId }),
      })
    }
    // The strategy recorded the MFA step in the session; go where the user was going.
    await reply.redirect(takeReturnTo(request) ?? '/account', 303)
  }))

  // "Send a code" for sms, call and email factors: an Okta verify without a passcode sends one.
  app.post('/mfa/challenge', { preValidation: ctx.csrf, preHandler: ctx.requireLogin }, async (request, reply) => {
    const back = field(request, 'returnTo')
    const returnTo = isLocalPath(back) && (back === '/mfa' || back.startsWith('/account/security/remove/')) ? back : '/mfa'
    const factorId = field(request, 'factorId') ?? ''
    const factors = await loadFactors(ctx, request)
    if (factors === undefined) return await sendUnavailable(reply)
    const factor = factors.find((f) => f.id === factorId && f.active && f.sendsCode)
    if (factor === undefined) {
      setFlash(request, 'error', messageFor('FACTOR_NOT_FOUND'))
      return await reply.redirect(returnTo, 303)
    }
    try {
      const oktaUserId = await ctx.directory.oktaUserId(currentUser(request))
      await ctx.client.verifyFactor(oktaUserId, factor.id, undefined, undefined, {
        context: { ip: request.ip, ...(request.headers['user-agent'] === undefined ? {} : { userAgent: request.headers['user-agent'] }) },
      })
      setFlash(request, 'success', `We sent a code to ${factor.detail ?? 'you'}.${emulator ? ' With the emulator it is in the outbox (link below).' : ''}`)
    } catch (err) {
      const e = err as { code?: string, retryAfterSeconds?: number }
      if (e.code === 'OKTA_RATE_LIMITED') setFlash(request, 'error', `We just sent a code. ${messageFor('RATE_LIMITED', e.retryAfterSeconds)}`)
      else if (isUpstreamFailure(err)) setFlash(request, 'error', messageFor('UPSTREAM_UNAVAILABLE'))
      else throw err
    }
    await reply.redirect(`${returnTo}?factor=${encodeURIComponent(factor.id)}`, 303)
  })

  app.get('/mfa/enroll', { preHandler: ctx.requireLogin }, async (request, reply) => {
    const factors = await loadFactors(ctx, request)
    if (factors === undefined) return await sendUnavailable(reply)
    if (!mayEnroll(ctx, request, factors)) {
      // Adding a factor to an account that has one needs a fresh code first (step-up).
      rememberReturnTo(request, '/mfa/enroll')
      setFlash(request, 'info', 'Confirm it’s you before adding another factor.')
      return await reply.redirect('/mfa', 303)
    }
    const hasMfa = getMfaState(request) !== undefined
    // ?method=sms asks for a phone; otherwise the authenticator app, unless one is active already (adding a second factor).
    const asked = (request.query as Record<string, unknown>).method
    const hasTotp = factors.some((f) => f.kind === 'totp' && f.active)
    const method = asked === 'sms' || (asked !== 'totp' && hasTotp) ? 'sms' : 'totp'
    await reply.type('text/html; charset=utf-8').send(enrollPage({
      method,
      csrf: csrfToken(request),
      userName: currentUser(request).displayName,
      graphqlPath: ctx.graphqlPath,
      doneHref: hasMfa ? '/account/security?added=1' : '/account',
      emulator,
      accountName: currentUser(request).oktaLogin,
      mfaDone: hasMfa,
      messages: MESSAGES,
    }))
  })

  // Starting over: a factor enrolled but never activated (page reloaded, code lost) blocks a new enrollment of
  // its type, so the page asks us to drop the pending one. Active factors are never touched here.
  app.post('/mfa/enroll/restart', { preValidation: ctx.csrf, preHandler: ctx.requireLogin }, async (request, reply) => {
    const type = field(request, 'factorType')
    const oktaType = type === 'TOTP' ? 'token:software:totp' : type === 'SMS' ? 'sms' : undefined
    if (oktaType === undefined) return await reply.code(400).send({ error: { code: 'BAD_USER_INPUT' } })
    const user = currentUser(request)
    try {
      const oktaUserId = await ctx.directory.oktaUserId(user)
      const factors = await ctx.client.listFactors(oktaUserId)
      if (!mayEnroll(ctx, request, factors.map(factorView))) return await reply.code(401).send({ error: { code: 'MFA_REQUIRED' } })
      const sameType = factors.filter((f) => f.factorType === oktaType)
      if (sameType.some((f) => f.status === 'ACTIVE')) return await reply.code(409).send({ error: { code: 'ALREADY_ENROLLED' } })
      for (const f of sameType) await ctx.client.deleteFactor(oktaUserId, f.id)
      dropCachedFactors(request)
      await reply.code(204).send()
    } catch (err) {
      if (!isUpstreamFailure(err)) throw err
      await reply.code(503).send({ error: { code: 'UPSTREAM_UNAVAILABLE' } })
    }
  })

  if (ctx.emulator !== undefined) {
    const emu = ctx.emulator
    // Emulator only: where sms codes "arrive" when there is no phone. Shows the signed-in user's messages only.
    app.get('/dev/outbox', { preHandler: ctx.requireLogin }, async (request, reply) => {
      const oktaUserId = await ctx.directory.oktaUserId(currentUser(request))
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
