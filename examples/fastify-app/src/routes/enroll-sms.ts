// The text-message setup as plain forms, for browsers without JavaScript, and the routes public/enroll.js calls with
// fetch (JSON in, coded JSON out): /mfa/enroll/sms (the phone step), /mfa/enroll/resend ("Send a new code" of a
// resumed setup) and /mfa/enroll/restart (drops a pending factor: "use another number", or a reload mid-setup). A form
// post is answered with the setup page: a redirect to the step after a change, the page itself when it is refused.
import type { OktaClient, UserFactor } from '@okta-mfa/client'
import { maskPhoneNumber, outcomeOfError } from '@okta-mfa/core'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { dropCachedFactors } from 'passport-okta-mfa'
import { currentUser, type AppContext } from '../context.js'
import { isJsonPost } from '../csrf.js'
import { isOktaNotFound } from '../directory.js'
import { SMS_TYPE, TOTP_TYPE } from '../enrollment.js'
import { factorView, type FactorView } from '../factors.js'
import { ACCOUNT_LOCKED, formatRetry, isOktaAdminLockout, isUpstreamFailure, isUpstreamTimeout, lockoutText, messageFor, MESSAGES, resendTooSoonText } from '../messages.js'
import { field, refuseTo, setFlash, setResendAt } from '../session.js'
import { beforeSend, Unlisted } from './factor-list.js'
import { pausedFor, RESEND_WAIT_SECONDS, resendWaitSeconds, sendUnavailable, tooSoonWait } from './mfa.js'

/** A post answered with the setup page itself (enroll.ts renderEnroll). */
export interface EnrollExtra {
  /** The status: 429 for a send refused (Retry-After set by the caller), 400 for a bad phone number. @default 200 */
  status?: number
  /** Said in the step's error slot (under the code field of a code step). */
  error?: string
  /** The pause, already looked up (seconds left, or undefined when not paused). */
  paused?: number | undefined
  /** The phone step again: the number as typed, and what is wrong with it. */
  phone?: { value: string, error?: string | undefined }
  /** Okta's own lockout, or a user it suspended: `error` says so, no step is offered, an administrator is the way out. */
  adminLocked?: boolean
  /** The setup the post belongs to (a first code without JavaScript): its page, not the text-message step. */
  method?: 'totp' | 'sms'
}

/** What the text-message routes use of the setup page (enroll.ts). */
export interface EnrollPages {
  /** The factors as Okta lists them, or why Okta could not list them. */
  rawFactors: (request: FastifyRequest) => Promise<UserFactor[] | Unlisted>
  /** Whether this session may add a factor (none active yet, or a fresh MFA step). */
  mayEnroll: (request: FastifyRequest, factors: FactorView[]) => boolean
  /** The step-up before adding a factor: to /mfa, and back to the setup after the code. */
  askStepUp: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
  /** The setup page for the factors `raw`, in the text-message step for a post. */
  renderEnroll: (request: FastifyRequest, reply: FastifyReply, raw: UserFactor[], extra?: EnrollExtra) => Promise<void>
}

/** An E.164 number, as the gateway's enrollFactor takes it. */
const E164 = /^\+[1-9][0-9]{6,14}$/

/** What the phone step says of a number that is not one (the words of enroll.js). */
export const PHONE_FORMAT = 'Enter the number with its country code, e.g. +1 555 555 0123.'

/**
 * Okta unavailable, for the page's script: 503 with the code in the body and in x-error-code; 504 UPSTREAM_TIMEOUT when
 * `err` is Okta not answering in time (it may have taken the request).
 */
async function sendJsonUnavailable (reply: FastifyReply, err?: unknown): Promise<void> {
  const [status, code] = isUpstreamTimeout(err) ? [504, 'UPSTREAM_TIMEOUT'] : [503, 'UPSTREAM_UNAVAILABLE']
  await reply.code(status).header('x-error-code', code).send({ error: { code } })
}

/** Registers /mfa/enroll/sms, /mfa/enroll/resend and /mfa/enroll/restart. */
export function smsEnrollRoutes (app: FastifyInstance, ctx: AppContext, pages: EnrollPages): void {
  const { rawFactors, mayEnroll, askStepUp, renderEnroll } = pages

  /**
   * Okta's own lockout, or a user it suspended, refused the text: 403 LOCKED_OUT without Retry-After (no wait ends it),
   * the setup page without any step, and an administrator as the way out. With JavaScript, the same in JSON.
   */
  async function sendAdminLocked (request: FastifyRequest, reply: FastifyReply, raw: UserFactor[], json = false): Promise<void> {
    reply.code(403).header('x-error-code', 'LOCKED_OUT')
    if (json) return await reply.send({ error: { code: 'LOCKED_OUT' } })
    await renderEnroll(request, reply, raw, { status: 403, paused: undefined, error: ACCOUNT_LOCKED, adminLocked: true })
  }

  /** Sign-in is paused: 429 with Retry-After and the paused page, in the sentence of this moment; nothing is sent. */
  async function sendPaused (request: FastifyRequest, reply: FastifyReply, raw: UserFactor[], paused: number): Promise<void> {
    reply.code(429).header('retry-after', String(paused)).header('x-error-code', 'LOCKED_OUT')
    await renderEnroll(request, reply, raw, { status: 429, paused, error: lockoutText(paused, ctx.clock()) })
  }

  // The phone step without JavaScript (with it, enroll.js enrolls through the gateway's enrollFactor): the same rules
  // (a fresh MFA step once a factor is active, a pending text-message factor replaced by the new number), no text while
  // sign-in is paused, and Okta's wait between two texts said with Retry-After. Then the code step, resumed.
  app.post('/mfa/enroll/sms', { preValidation: ctx.csrf, preHandler: ctx.requireLogin }, async (request, reply) => {
    const raw = await rawFactors(request)
    if (raw instanceof Unlisted) return await sendUnavailable(reply, beforeSend(raw), raw.err)
    if (!mayEnroll(request, raw.map(factorView))) return await askStepUp(request, reply)
    if (raw.some((f) => f.factorType === SMS_TYPE && f.status === 'ACTIVE')) {
      return await refuseTo(request, reply, '/mfa/enroll?method=sms', MESSAGES.ALREADY_ENROLLED, 'ALREADY_ENROLLED')
    }
    const typed = (field(request, 'phoneNumber') ?? '').slice(0, 64)
    const phoneNumber = typed.replace(/[\s().-]/g, '')
    if (!E164.test(phoneNumber)) {
      reply.header('x-error-code', 'BAD_USER_INPUT')
      return await renderEnroll(request, reply, raw, { status: 400, phone: { value: typed, error: PHONE_FORMAT } })
    }
    const paused = await pausedFor(ctx, request)
    if (paused !== undefined) return await sendPaused(request, reply, raw, paused)
    try {
      const oktaUserId = await ctx.directory.oktaUserId(request)
      for (const f of raw.filter((f) => f.factorType === SMS_TYPE)) await deleteIfThere(ctx.client, oktaUserId, f.id)
      dropCachedFactors(request)
      const enrolled = await ctx.client.enrollFactor(oktaUserId, { factorType: 'sms', provider: 'OKTA', profile: { phoneNumber } })
      setResendAt(request, enrolled.id, ctx.clock() + RESEND_WAIT_SECONDS * 1000) // the text just sent: Okta's wait before the next
    } catch (err) {
      // A double click, or another tab, enrolled one at the same moment: go on with that one (the code step says where
      // its code went).
      if (outcomeOfError(err)?.code === 'ALREADY_ENROLLED') return await reply.redirect('/mfa/enroll?method=sms', 303)
      if (isOktaAdminLockout(err)) return await sendAdminLocked(request, reply, raw)
      const oktaWait = resendWaitSeconds(err)
      if (oktaWait === undefined && !isUpstreamFailure(err)) throw err
      if (oktaWait === undefined) return await sendUnavailable(reply, 'send', err)
      const now = await rawFactors(request) // the pending factor may be gone
      if (now instanceof Unlisted) return await sendUnavailable(reply, beforeSend(now), now.err)
      // The number's pending factor, when Okta kept one, is the one whose next text is waited for.
      const pending = now.find((f) => f.factorType === SMS_TYPE && f.status === 'PENDING_ACTIVATION')
      const wait = pending === undefined ? oktaWait : tooSoonWait(request, pending.id, ctx.clock(), oktaWait)
      reply.code(429).header('retry-after', String(wait)).header('x-error-code', 'RATE_LIMITED')
      return await renderEnroll(request, reply, now, { status: 429, paused, phone: { value: typed, error: `Okta can't send a text right now. Try again ${formatRetry(wait)}.` } })
    }
    await reply.redirect('/mfa/enroll?method=sms', 303)
  })

  // "Send a new code" for a resumed text-message setup: Okta's resend of the pending factor's enrollment code. With
  // JavaScript (enroll.js, JSON) the answers are coded JSON; without it (a form post) the setup page again: a redirect
  // after a send, the page itself with 429 and Retry-After when the text cannot be sent yet.
  app.post('/mfa/enroll/resend', { preValidation: ctx.csrf, preHandler: ctx.requireLogin }, async (request, reply) => {
    const json = isJsonPost(request)
    const raw = await rawFactors(request)
    if (raw instanceof Unlisted) return json ? await sendJsonUnavailable(reply, raw.err) : await sendUnavailable(reply, beforeSend(raw), raw.err)
    // Finishing a factor once another is active needs a fresh MFA step, as the gateway's resendChallenge does.
    if (!mayEnroll(request, raw.map(factorView))) return json ? await reply.code(401).header('x-error-code', 'MFA_REQUIRED').send({ error: { code: 'MFA_REQUIRED' } }) : await askStepUp(request, reply)
    const factor = raw.find((f) => f.id === field(request, 'factorId') && f.factorType === SMS_TYPE && f.status === 'PENDING_ACTIVATION')
    const phoneNumber = factor?.profile?.['phoneNumber']
    if (factor === undefined || typeof phoneNumber !== 'string') {
      if (json) return await reply.code(404).header('x-error-code', 'FACTOR_NOT_FOUND').send({ error: { code: 'FACTOR_NOT_FOUND' } })
      return await refuseTo(request, reply, '/mfa/enroll?method=sms', messageFor('FACTOR_NOT_FOUND'), 'FACTOR_NOT_FOUND')
    }
    // While sign-in is paused every code is refused: sending one would only mislead. The page says until when.
    const paused = await pausedFor(ctx, request)
    if (paused !== undefined) {
      if (!json) return await sendPaused(request, reply, raw, paused)
      return await reply.code(429).header('retry-after', String(paused)).header('x-error-code', 'LOCKED_OUT').send({ error: { code: 'LOCKED_OUT', retryAfterSeconds: paused } })
    }
    try {
      await ctx.client.resendFactor(await ctx.directory.oktaUserId(request), factor.id, { factorType: 'sms', provider: 'OKTA', profile: { phoneNumber } })
    } catch (err) {
      // Okta's wait between two texts: the code sent a moment ago is on its way; the answer says when to ask again.
      const oktaWait = resendWaitSeconds(err)
      if (oktaWait !== undefined) {
        const wait = tooSoonWait(request, factor.id, ctx.clock(), oktaWait)
        reply.code(429).header('retry-after', String(wait)).header('x-error-code', 'RATE_LIMITED')
        return json ? await reply.send({ error: { code: 'RATE_LIMITED', retryAfterSeconds: wait } }) : await renderEnroll(request, reply, raw, { status: 429, error: resendTooSoonText(wait), paused })
      }
      if (isOktaAdminLockout(err)) return await sendAdminLocked(request, reply, raw, json)
      if (!isUpstreamFailure(err)) throw err
      return json ? await sendJsonUnavailable(reply, err) : await sendUnavailable(reply, 'send', err)
    }
    setResendAt(request, factor.id, ctx.clock() + RESEND_WAIT_SECONDS * 1000)
    if (json) return await reply.code(204).send()
    setFlash(request, 'info', `We sent a new code to ${maskPhoneNumber(phoneNumber)}.`)
    await reply.redirect('/mfa/enroll?method=sms', 303)
  })

  // Starting over: a factor enrolled but never activated (page reloaded, code lost, "use another number") blocks a new
  // enrollment of its type, so the page asks us to drop the pending one. Active factors are never touched here. With
  // JavaScript (JSON) a coded answer; without it (a form post) back to that type's setup step.
  app.post('/mfa/enroll/restart', { preValidation: ctx.csrf, preHandler: ctx.requireLogin }, async (request, reply) => {
    const json = isJsonPost(request)
    const type = field(request, 'factorType')
    const oktaType = type === 'TOTP' ? TOTP_TYPE : type === 'SMS' ? SMS_TYPE : undefined
    const step = `/mfa/enroll?method=${type === 'SMS' ? 'sms' : 'totp'}`
    if (oktaType === undefined) {
      if (json) return await reply.code(400).header('x-error-code', 'BAD_USER_INPUT').send({ error: { code: 'BAD_USER_INPUT' } })
      return await refuseTo(request, reply, '/mfa/enroll', messageFor('BAD_USER_INPUT'), 'BAD_USER_INPUT')
    }
    try {
      // The list first: it looks the Okta user up again if the bound id is gone (then oktaUserId is the new one).
      const factors = await ctx.directory.factorsOf(request)
      const oktaUserId = await ctx.directory.oktaUserId(request)
      if (!mayEnroll(request, factors.map(factorView))) return json ? await reply.code(401).header('x-error-code', 'MFA_REQUIRED').send({ error: { code: 'MFA_REQUIRED' } }) : await askStepUp(request, reply)
      const sameType = factors.filter((f) => f.factorType === oktaType)
      if (sameType.some((f) => f.status === 'ACTIVE')) {
        if (json) return await reply.code(409).header('x-error-code', 'ALREADY_ENROLLED').send({ error: { code: 'ALREADY_ENROLLED' } })
        return await refuseTo(request, reply, step, MESSAGES.ALREADY_ENROLLED, 'ALREADY_ENROLLED')
      }
      for (const f of sameType) await deleteIfThere(ctx.client, oktaUserId, f.id)
      dropCachedFactors(request)
    } catch (err) {
      if (!isUpstreamFailure(err)) throw err
      return json ? await sendJsonUnavailable(reply, err) : await sendUnavailable(reply, 'factors', err)
    }
    await (json ? reply.code(204).send() : reply.redirect(step, 303))
  })
}

/** Removes a factor that another request (a double click, another tab) may have removed already. */
async function deleteIfThere (client: OktaClient, oktaUserId: string, factorId: string): Promise<void> {
  await client.deleteFactor(oktaUserId, factorId).catch((err: unknown) => {
    if (!isOktaNotFound(err)) throw err
  })
}
