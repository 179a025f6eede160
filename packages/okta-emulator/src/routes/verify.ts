// Factor verification, the hot path. TOTP: check-and-mark of the accepted time step happens
// synchronously in one tick (no await between them), so two concurrent verifies of one code
// give exactly one SUCCESS and the other 403 E0000082. sms/call/email: no passCode = send a
// code (200 CHALLENGE). question: the answer. push: 201 WAITING and a transaction to poll
// (with `_embedded.challenge.correctAnswer` for a number matching challenge).
// Consecutive failures lock the user (403 E0000069) after `lockoutThreshold`.
import { randomInt } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { isChannel, sendCode, tokenLifetime } from '../challenges.js'
import { baseUrl, iso, noContent, objectBody, type Ctx } from '../context.js'
import { checkFactorAnswer } from '../credentials.js'
import { invalidPasscode, notFound, OktaError, passcodeReplayed, userLocked, validationError, wrongUserStatus } from '../errors.js'
import { factorUrls } from '../factors-model.js'
import { newTransactionId } from '../ids.js'
import { MAX_PASSCODE, MAX_PUSH_TRANSACTIONS } from '../limits.js'
import { findStep, keyOf } from '../totp.js'
import type { FactorRecord, PushTransaction, UserRecord } from '../types.js'
import { setStatus } from '../users-model.js'
import { factorOr404, wrongFactorStatus } from './factors.js'
import { queryParam, userOr404 } from './users.js'

type Req = FastifyRequest<{ Params: { id: string, factorId: string, transactionId: string } }>

/** How long a push verification waits for the user before TIMEOUT. */
export const PUSH_TRANSACTION_MS = 5 * 60_000

const SUCCESS = Object.freeze({ factorResult: 'SUCCESS' })
const hint = (href: string, ...allow: string[]): { href: string, hints: { allow: string[] } } => ({ href, hints: { allow } })

/**
 * A wrong code: counts it toward the lockout and returns (not throws: this is the hot path's
 * common failure, and an exception costs more than the HMACs) the 403 E0000068 to answer.
 */
function fail (ctx: Ctx, u: UserRecord, cause?: string): OktaError {
  u.failedVerifications++
  if (ctx.lockoutThreshold > 0 && u.failedVerifications >= ctx.lockoutThreshold) setStatus(u, 'LOCKED_OUT', ctx.clock())
  ctx.store.commit()
  return invalidPasscode(cause)
}

function succeed (ctx: Ctx, u: UserRecord): typeof SUCCESS {
  u.failedVerifications = 0
  u.lastLogin = ctx.clock()
  ctx.store.commit()
  return SUCCESS
}

function passCodeOf (body: Record<string, unknown>): string | undefined {
  const p = body['passCode']
  if (p === undefined || p === null) return undefined
  // A blank field is a code not given, not a request for a new one (which texts the user).
  if (p === '') throw validationError('factorVerifyRequest', 'passCode: The field cannot be left blank')
  if (typeof p !== 'string') throw validationError('factorVerifyRequest', 'passCode: Does not match required type string')
  // An over-long code is simply wrong; it is compared, never stored, but bound it anyway.
  return p.length > MAX_PASSCODE ? p.slice(0, MAX_PASSCODE + 1) : p
}

function verifyTotp (ctx: Ctx, u: UserRecord, f: FactorRecord, body: Record<string, unknown>): typeof SUCCESS | OktaError {
  const code = passCodeOf(body)
  if (code === undefined) throw validationError('factorVerifyRequest', 'passCode: The field cannot be left blank')
  const last = f.lastStep ?? -1
  const step = findStep(keyOf(f.secret ?? ''), code, ctx.clock(), ctx.totpWindow, ctx.rejectReplayedCodes ? last : -1)
  if (step === null) return fail(ctx, u)
  if (step === 'replayed') return passcodeReplayed()
  // Mark before anything can yield: this is what makes a code single-use under concurrency.
  f.lastStep = Math.max(last, step)
  return succeed(ctx, u)
}

/**
 * A WAITING push, as the 201 and the poll answer it; a number matching challenge carries its `correctAnswer`. Only the
 * poll has the factor's `profile.credentialId` (Okta's UserFactorVerifyPushTransactionWaiting; its challenge answer,
 * UserFactorChallengePushResponse, has none).
 */
function pushWaiting (f: FactorRecord, t: PushTransaction, base: string, polled: boolean): Record<string, unknown> {
  const poll = `${factorUrls(base, f).self}/transactions/${t.id}`
  const out: Record<string, unknown> = {
    expiresAt: iso(t.expiresAt),
    factorResult: 'WAITING',
    ...(polled ? { profile: { credentialId: f.profile['credentialId'] } } : {}),
    _links: { poll: hint(poll, 'GET'), cancel: hint(poll, 'DELETE') },
  }
  if (t.correctAnswer !== undefined) out['_embedded'] = { challenge: { correctAnswer: t.correctAnswer } }
  return out
}

/**
 * Throws what a verification is answered for a user who may not verify now: 403 E0000069 when
 * LOCKED_OUT, 403 E0000038 when SUSPENDED or DEPROVISIONED. The push poll asks the same, so a push
 * started before a lockout (or a deactivation, a suspension) never polls SUCCESS after it.
 */
function mayVerify (u: UserRecord): void {
  if (u.status === 'LOCKED_OUT') throw userLocked()
  if (u.status === 'DEPROVISIONED' || u.status === 'SUSPENDED') throw wrongUserStatus()
}

/** Registers verify and push-transaction routes. */
export function verifyRoutes (app: FastifyInstance, ctx: Ctx): void {
  const verify = { config: { bucket: 'verify' as const } }
  const F = '/api/v1/users/:id/factors/:factorId'

  // `async` (with no await inside, so check-and-mark still happens in one tick): Fastify then writes
  // the reply after the request's 'end' event instead of inside it, measurably cheaper under load.
  app.post(`${F}/verify`, verify, async (req: Req, reply: FastifyReply) => {
    // Expected failures (wrong or replayed code) come back as values and are answered here rather
    // than through Fastify's error machinery; the body is the same envelope the error handler writes.
    const result = verifyFactor(req, reply)
    if (!(result instanceof OktaError)) return result
    reply.code(result.status)
    return result.toBody()
  })

  function verifyFactor (req: Req, reply: FastifyReply): unknown {
    const u = userOr404(ctx, req.params.id)
    const f = factorOr404(ctx, u, req.params.factorId)
    mayVerify(u)
    if (f.status !== 'ACTIVE') throw wrongFactorStatus('factorVerifyRequest', f)
    const body = objectBody(req)
    if (f.factorType === 'token:software:totp') return (verifyTotp(ctx, u, f, body))
    const base = baseUrl(req)
    if (isChannel(f.factorType)) {
      const code = passCodeOf(body)
      if (code === undefined) {
        sendCode(ctx, u, f, tokenLifetime(queryParam(req, 'tokenLifetimeSeconds')))
        ctx.store.commit()
        const { self } = factorUrls(base, f)
        const profile = f.factorType === 'email' ? undefined : { ...f.profile }
        return ({
          factorResult: 'CHALLENGE',
          ...(profile === undefined ? {} : { profile }),
          _links: { verify: hint(`${self}/verify`, 'POST'), factor: hint(self, 'GET', 'DELETE') },
        })
      }
      const sent = f.sent
      if (sent === undefined || ctx.clock() >= sent.expiresAt || sent.code !== code) return fail(ctx, u)
      if (sent.used) return passcodeReplayed()
      sent.used = true
      return (succeed(ctx, u))
    }
    if (f.factorType === 'question') {
      const answer = body['answer']
      if (typeof answer !== 'string' || answer === '') throw validationError('factorVerifyRequest', 'answer: The field cannot be left blank')
      if (!checkFactorAnswer(f, answer)) {
        return fail(ctx, u, "Your answer doesn't match our records. Please try again.")
      }
      return (succeed(ctx, u))
    }
    // push; `useNumberMatchingChallenge: true` makes it a number matching challenge (a two-digit answer).
    const nmc = body['useNumberMatchingChallenge']
    if (nmc !== undefined && nmc !== null && typeof nmc !== 'boolean') {
      throw validationError('factorVerifyRequest', 'useNumberMatchingChallenge: Does not match required type boolean')
    }
    const t: PushTransaction = { id: newTransactionId(), result: 'WAITING', expiresAt: ctx.clock() + PUSH_TRANSACTION_MS }
    if (nmc === true) t.correctAnswer = randomInt(10, 100)
    // The newest transactions, whatever their state: one approved, rejected or timed out still polls as
    // such after a later push starts (a client polls after the phone answers); only the oldest go.
    f.transactions = [...(f.transactions ?? []).slice(-(MAX_PUSH_TRANSACTIONS - 1)), t]
    ctx.store.commit()
    reply.code(201)
    return pushWaiting(f, t, base, false)
  }

  // The documented poll link, and the same path with `/verify` as Okta's Postman collection writes it.
  const poll = (req: Req): unknown => {
    const u = userOr404(ctx, req.params.id)
    const f = factorOr404(ctx, u, req.params.factorId)
    mayVerify(u)
    const t = f.transactions?.find((x) => x.id === req.params.transactionId)
    if (t === undefined) throw notFound(req.params.transactionId, 'Transaction')
    if (t.result === 'WAITING' && ctx.clock() >= t.expiresAt) t.result = 'TIMEOUT'
    const base = baseUrl(req)
    if (t.result === 'WAITING') return (pushWaiting(f, t, base, true))
    if (t.result === 'SUCCESS') return (SUCCESS)
    const { self } = factorUrls(base, f)
    return ({
      factorResult: t.result,
      profile: { credentialId: f.profile['credentialId'] },
      _links: { verify: hint(`${self}/verify`, 'POST'), factor: hint(self, 'GET', 'DELETE') },
    })
  }
  app.get(`${F}/transactions/:transactionId`, verify, poll)
  app.get(`${F}/transactions/:transactionId/verify`, verify, poll)

  app.delete(`${F}/transactions/:transactionId`, verify, (req: Req, reply: FastifyReply) => {
    const u = userOr404(ctx, req.params.id)
    const f = factorOr404(ctx, u, req.params.factorId)
    const t = f.transactions?.find((x) => x.id === req.params.transactionId)
    if (t === undefined) throw notFound(req.params.transactionId, 'Transaction')
    // One that has timed out stays TIMEOUT, whether or not it was polled before the cancel.
    if (t.result === 'WAITING' && ctx.clock() >= t.expiresAt) t.result = 'TIMEOUT'
    if (t.result === 'WAITING') t.result = 'REJECTED'
    ctx.store.commit()
    noContent(reply)
  })
}
