// The protected pages: /account (requireMfaFastify) and /account/security, where removing a factor needs a
// fresh code first (step-up), checked by the same okta-mfa strategy as the sign-in form.
import { readCookie } from '@okta-mfa/core'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { getMfaState, isRememberedMfa, isStoreUnavailableError, mfaStateOf, userKeyOf, dropCachedFactors, revokeUserSessions } from 'passport-okta-mfa'
import { currentUser, forgetDevicesOf, type AppContext } from '../context.js'
import { csrfToken } from '../csrf.js'
import { sentBy, verifiableFactors, type FactorView } from '../factors.js'
import { ALREADY_ACTIVE, STORE_DOWN, failureText, isAdminLockout, isUpstreamFailure, refusalStatus, retryAfter, messageFor, type FailInfo } from '../messages.js'
import { codeFormState, field, forgetSentCodeForm, newCodeFormId, refuseTo, resendWaits, setFlash, takeFlash, usedFactors } from '../session.js'
import { accountPage } from '../views/account.js'
import { removePage, securityPage } from '../views/security.js'
import { signOut } from './auth.js'
import { loadFactors, unlistedText, Unlisted } from './factor-list.js'
import { justUsedCode, pausedAnswer, pausedFor, pausedText, RESENT_FORM, sendUnavailable } from './mfa.js'

/** The user's factors and the one named in the URL; undefined once it has answered (Okta down, or no such factor). */
async function factorOfRequest (ctx: AppContext, request: FastifyRequest, reply: FastifyReply, factorId = (request.params as { factorId: string }).factorId): Promise<{ factors: FactorView[], factor: FactorView } | undefined> {
  const factors = await loadFactors(ctx, request)
  if (factors instanceof Unlisted) {
    await sendUnavailable(reply, 'factors', factors.err)
    return undefined
  }
  const factor = factors.find((f) => f.id === factorId)
  if (factor === undefined) {
    await refuseTo(request, reply, '/account/security', 'That factor is not on your account any more.', 'FACTOR_NOT_FOUND')
    return undefined
  }
  return { factors, factor }
}

/**
 * Whether this browser's device cookie still skips the code for the user: false after "Forget remembered devices", a
 * factor change or expiry, even when this session began on it (`isRememberedMfa` says only how the session began).
 * A store or Okta outage: false (the page then claims nothing).
 */
async function browserRemembered (ctx: AppContext, request: FastifyRequest): Promise<boolean> {
  if (ctx.devices === undefined) return false
  const value = readCookie(request.headers.cookie, ctx.devices.cookieName)
  if (value === undefined) return false
  return await ctx.devices.check(value, currentUser(request), request).then((device) => device !== undefined, () => false)
}

/** The Security page's word after a setup: `added=1` (done here), `already=1` (done in another tab or window). */
function addedText (query: Record<string, unknown>): string | undefined {
  return query.already === '1' ? ALREADY_ACTIVE : query.added === '1' ? 'Factor added.' : undefined
}

/**
 * The remove page of the factor `factorId` (the URL's, unless given: "Send a code" posts elsewhere); `locked`: paused
 * for a while, or (`'admin'`) locked until an administrator unlocks the account.
 */
export async function renderRemove (ctx: AppContext, request: FastifyRequest, reply: FastifyReply, status: number, error?: string, info?: string, locked: boolean | 'admin' = false, factorId?: string): Promise<void> {
  const found = await factorOfRequest(ctx, request, reply, factorId)
  if (found === undefined) return
  const { factors, factor } = found
  const flash = takeFlash(request)
  const query = request.query as Record<string, unknown>
  // Paused already (wrong codes here or at sign-in): say so at once, as /mfa does, instead of a form that refuses.
  const paused = error === undefined && status === 200 ? await pausedText(ctx, request) : undefined
  await reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(removePage({
    csrf: csrfToken(request),
    userName: currentUser(request).displayName,
    factor,
    verifyWith: verifiableFactors(factors),
    selectedFactorId: field(request, 'factorId') ?? (typeof query.factor === 'string' ? query.factor : undefined),
    isLast: factors.filter((f) => f.active).length <= 1 && factor.active,
    // Other active factors, none of which the pages can check (a security question, a push): without this one the
    // account can neither sign in here nor add a factor.
    strands: factor.active && factors.some((f) => f.active && f.id !== factor.id) && verifiableFactors(factors).every((f) => f.id === factor.id),
    emulator: ctx.emulator !== undefined,
    error: error ?? paused ?? (flash?.kind === 'error' ? flash.text : undefined),
    locked: locked !== false || paused !== undefined,
    adminLocked: locked === 'admin',
    info: info ?? (flash?.kind === 'success' || flash?.kind === 'info' ? flash.text : undefined),
    resendWaits: resendWaits(request, ctx.clock()),
    freshCodeWarning: justUsedCode(ctx, request),
    formId: newCodeFormId(ctx.clock()),
  }))
}

/** Registers `/account`, `/account/security` and `/account/security/remove/:factorId`. */
export function accountRoutes (app: FastifyInstance, ctx: AppContext): void {
  const guarded = { preHandler: [ctx.requireLogin, ctx.requireMfa] }

  app.get('/account', guarded, async (request, reply) => {
    const user = currentUser(request)
    const state = mfaStateOf(request) ?? getMfaState(request)
    if (state === undefined) throw new Error('requireMfa let a request without MFA state through')
    const listed = await loadFactors(ctx, request)
    const factors = listed instanceof Unlisted ? [] : listed
    const flash = takeFlash(request)
    await reply.header('cache-control', 'no-store').type('text/html; charset=utf-8').send(accountPage({
      csrf: csrfToken(request),
      user,
      factors,
      factorsError: listed instanceof Unlisted ? unlistedText(listed) : undefined,
      mfa: { completedAt: state.completedAt, method: state.method, factorLabel: factors.find((f) => f.id === state.factorId)?.label, remembered: isRememberedMfa(request) },
      now: ctx.clock(),
      success: flash?.kind === 'success' ? flash.text : undefined,
    }))
  })

  // "Sign out of all sessions": every session of this user, on every browser (and every cookie copy), this one included.
  // The guard's revocation check fails first in an outage: this browser is signed out all the same, as below.
  const storeDownSignsOut = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    try {
      await ctx.requireLogin(request, reply)
    } catch (err) {
      if (!isStoreUnavailableError(err)) throw err
      await signOutHere(request, reply)
    }
  }
  const signOutHere = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    request.log.warn('sign-out of all sessions not recorded: the revocation store is unavailable')
    await signOut(ctx, request, reply, undefined, STORE_DOWN.signOutEverywhere)
  }
  app.post('/account/security/sign-out-everywhere', { preValidation: ctx.csrf, preHandler: [storeDownSignsOut, ctx.requireMfa] }, async (request, reply) => {
    try {
      await revokeUserSessions(ctx.revocations, userKeyOf(currentUser(request)), { clock: ctx.clock })
    } catch (err) {
      if (!isStoreUnavailableError(err)) throw err
      // Not recorded: this browser is signed out all the same, and the page says the others are not.
      return await signOutHere(request, reply)
    }
    await signOut(ctx, request, reply, 'You are signed out of all sessions.')
  })

  // "Forget remembered devices": every browser where the box was ticked asks for a code at its next sign-in.
  app.post('/account/security/forget-devices', { preValidation: ctx.csrf, ...guarded }, async (request, reply) => {
    if (ctx.devices !== undefined) {
      await ctx.devices.forgetAll(currentUser(request))
      reply.header('set-cookie', ctx.devices.clearCookie({ secure: request.protocol === 'https' }))
    }
    setFlash(request, 'success', 'Remembered devices are forgotten: each will ask for a code at its next sign-in.')
    await reply.redirect('/account/security', 303)
  })

  app.get('/account/security', guarded, async (request, reply) => {
    const listed = await loadFactors(ctx, request)
    const flash = takeFlash(request)
    await reply.header('cache-control', 'no-store').type('text/html; charset=utf-8').send(securityPage({
      csrf: csrfToken(request),
      userName: currentUser(request).displayName,
      factors: listed instanceof Unlisted ? [] : listed,
      used: usedFactors(request),
      remembered: ctx.devices === undefined
        ? undefined
        : { days: Math.round(ctx.devices.maxAgeMs / 86_400_000), thisDevice: await browserRemembered(ctx, request), signedInWithoutCode: isRememberedMfa(request) },
      now: ctx.clock(),
      factorsError: listed instanceof Unlisted ? unlistedText(listed) : undefined,
      success: flash?.kind === 'success' ? flash.text : addedText(request.query as Record<string, unknown>),
      info: flash?.kind === 'info' ? flash.text : undefined,
      error: flash?.kind === 'error' ? flash.text : undefined,
    }))
  })

  /**
   * The remove form sent again (a reload of the answer to a wrong code): its code is not checked again, so it costs
   * no attempt. Shown before a step completed since (Back and "resend" after the removal): back to the Security page.
   */
  async function refuseResentForm (request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const state = codeFormState(request, getMfaState(request)?.completedAt)
    if (state === 'fresh') return
    if (state === 'after-step') return await reply.redirect('/account/security', 303)
    const paused = await pausedFor(ctx, request)
    if (paused !== undefined) return await renderRemove(ctx, request, reply, 429, pausedAnswer(reply, paused, ctx.clock()), undefined, true)
    await renderRemove(ctx, request, reply, 200, undefined, RESENT_FORM)
  }

  app.get('/account/security/remove/:factorId', guarded, async (request, reply) => {
    await renderRemove(ctx, request, reply, 200)
  })

  // Step-up: the code is checked by the okta-mfa strategy (attempt limits, replay, lockout included);
  // only on SUCCESS is the factor deleted.
  app.post('/account/security/remove/:factorId', { preValidation: ctx.csrf, preHandler: [...guarded.preHandler, refuseResentForm] }, ctx.passport.authenticate('okta-mfa', async (request, reply, err, user, info) => {
    if (err !== null) {
      if (!isUpstreamFailure(err)) throw err
      forgetSentCodeForm(request) // the page says to try again: the same form may be sent again
      return await sendUnavailable(reply, 'code', err)
    }
    if (user === false || user === undefined || user === null) {
      const fail = (info ?? {}) as FailInfo
      if (fail.code !== undefined) reply.header('x-error-code', fail.code) // the outcome code, for scripts and monitors
      // The code that used up the last attempt, and any code during the pause: the paused view, as a reload shows it.
      // Okta's own lockout (or a suspended user): 403 and no wait to state, an administrator unlocks it.
      const paused = fail.code === 'LOCKED_OUT' || (fail.attemptsRemaining === 0 && (fail.code === 'INVALID_PASSCODE' || fail.code === 'PASSCODE_REPLAYED'))
      const status = refusalStatus(fail)
      const said = retryAfter(reply, status, fail) // the wait of Retry-After, said on the page too
      const listed = await loadFactors(ctx, request)
      const chosen = listed instanceof Unlisted ? undefined : listed.find((f) => f.id === field(request, 'factorId'))
      return await renderRemove(ctx, request, reply, status, failureText(said, { sent: sentBy(chosen), now: ctx.clock() }), undefined, isAdminLockout(fail) ? 'admin' : paused)
    }
    const found = await factorOfRequest(ctx, request, reply)
    if (found === undefined) return
    const { factor } = found
    try {
      await ctx.client.deleteFactor(await ctx.directory.oktaUserId(request), factor.id)
      dropCachedFactors(request) // the session's cached factor list (strategy, gateway) is stale now
      // A factor gone: every browser that remembered this user asks for a code again (best effort).
      await forgetDevicesOf(ctx, request, currentUser(request))
    } catch (deleteErr) {
      if (!isUpstreamFailure(deleteErr)) throw deleteErr
      // The code passed: what failed is the removal (a timeout: Okta may have removed it, so the page cannot say).
      return await sendUnavailable(reply, 'remove', deleteErr)
    }
    request.log.info({ factorId: factor.id }, 'factor removed after step-up')
    setFlash(request, 'success', `${factor.label} was removed.`)
    await reply.redirect('/account/security', 303)
  }))
}
