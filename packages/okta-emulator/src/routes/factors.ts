// Factors API: catalog, security questions, list, get, enroll (TOTP Google/Okta, sms, call,
// email, question, push), activate (with Okta's 5-tries-per-5-minutes throttle, which stops resend
// too), resend, delete (not for a DEPROVISIONED user; push takes the Okta Verify TOTP with it; an
// ACTIVE sms or call factor leaves its number as a recovery phone an enrollment without one takes),
// push enrollment polling and the QR-code PNG of a TOTP or push enrollment.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import QRCode from 'qrcode'
import { forgetSent, isChannel, resendWait, sendCode, tokenLifetime } from '../challenges.js'
import { baseUrl, flag, isObject, noContent, objectBody, type Ctx } from '../context.js'
import { setFactorAnswer } from '../credentials.js'
import { invalidPasscode, notFound, OktaError, rateLimited, userLocked, validationError, wrongUserStatus } from '../errors.js'
import { duplicateCause, FACTOR_TYPES, PUSH_ENROLL_MS, pushActivationExpired, QUESTION_TEXT, renderCatalog, renderFactor, SECURITY_QUESTIONS } from '../factors-model.js'
import { ID_PREFIX, newId, newQrToken } from '../ids.js'
import { findStep, keyOf, newSecret } from '../totp.js'
import { EMAILISH, MAX_SECRET } from '../limits.js'
import type { FactorRecord, FactorType, UserRecord } from '../types.js'
import { queryParam, userByPath, userOr404 } from './users.js'

type Req = FastifyRequest<{ Params: { id: string, factorId: string, token: string } }>

/** Failed activations allowed per factor in {@link ACTIVATION_WINDOW_MS} before 429 E0000047 (Okta's rule). */
export const ACTIVATION_MAX_FAILURES = 5
/** The window of {@link ACTIVATION_MAX_FAILURES}. */
export const ACTIVATION_WINDOW_MS = 5 * 60_000

/**
 * Whether an sms or call factor takes this phone number: E.164 as Okta's schema has it (`+`, a country code that does
 * not start with 0, at most 15 digits in all), written with or without the spaces, dashes, dots and brackets of
 * Okta's own examples (`+1-555-415-1337`).
 */
export function isPhoneNumber (value: string): boolean {
  return value.length <= 32 && /^[0-9+ ().-]+$/.test(value) && /^\+[1-9][0-9]{1,14}$/.test(value.replace(/[ ().-]/g, ''))
}
/** Okta's schema: an email factor's address is at most 100 characters. */
export const MAX_FACTOR_EMAIL = 100

/** The factor named in the path, or 404 E0000007 (UserFactor). */
export function factorOr404 (ctx: Ctx, user: UserRecord, factorId: string): FactorRecord {
  const f = ctx.store.factor(user.id, factorId)
  if (f === undefined) throw notFound(factorId, 'UserFactor')
  return f
}

/** 400 E0000001 for a factor in the wrong status, naming the status (the project's documented decision). */
export function wrongFactorStatus (what: string, f: FactorRecord): OktaError {
  return validationError(what, `Factor status is ${f.status}; this operation needs a factor in ${f.status === 'ACTIVE' ? 'PENDING_ACTIVATION' : 'ACTIVE'}.`)
}

/**
 * Okta's activation limit: after {@link ACTIVATION_MAX_FAILURES} wrong activations within
 * {@link ACTIVATION_WINDOW_MS}, activation and resend are refused (429 E0000047) until the oldest
 * failure leaves the window (that moment is the 429's reset, not the bucket's minute).
 */
function activationThrottle (f: FactorRecord, now: number): void {
  f.activationFailures = f.activationFailures.filter((t) => now - t < ACTIVATION_WINDOW_MS)
  if (f.activationFailures.length < ACTIVATION_MAX_FAILURES) return
  const err = rateLimited()
  err.resetAt = Math.min(...f.activationFailures) + ACTIVATION_WINDOW_MS
  throw err
}

/** A string of a factor profile (bounded: an answer or address never reaches the store unbounded). */
export function str (profile: Record<string, unknown>, key: string, what = 'factorEnrollRequest'): string | undefined {
  const v = profile[key]
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string') throw validationError(what, `${key}: Does not match required type string`)
  if (v.length > MAX_SECRET) throw validationError(what, `${key}: The field is too long (at most ${MAX_SECRET} characters).`)
  return v
}

/** Checks a security question and its answer (Okta: a known question, an answer of at least 4 characters). */
export function checkQuestion (question: string | undefined, answer: string | undefined, what: string): { question: string, answer: string } {
  if (question === undefined || !QUESTION_TEXT.has(question)) throw validationError(what, 'question: The security question is not valid.')
  if (answer === undefined || answer.trim().length < 4) {
    throw validationError(what, 'answer: The security question answer must be at least 4 characters in length')
  }
  return { question, answer }
}

function buildFactor (ctx: Ctx, user: UserRecord, body: Record<string, unknown>): FactorRecord {
  const { factorType, provider } = body
  if (typeof factorType !== 'string' || factorType === '') throw validationError('factorEnrollRequest', 'factorType: The field cannot be left blank')
  if (!FACTOR_TYPES.includes(factorType as FactorType)) throw validationError('factorEnrollRequest', `Unsupported factor type: ${factorType}`)
  if (typeof provider !== 'string' || provider === '') throw validationError('factorEnrollRequest', 'provider: The field cannot be left blank')
  const providers = factorType === 'token:software:totp' ? ['OKTA', 'GOOGLE'] : ['OKTA']
  if (!providers.includes(provider)) throw validationError('factorEnrollRequest', `Unsupported provider ${provider} for factor type ${factorType}`)
  const profileIn = body['profile'] ?? {}
  if (!isObject(profileIn)) throw validationError('factorEnrollRequest', 'profile: Does not match required type object')
  const now = ctx.clock()
  const f: FactorRecord = {
    id: newId(ID_PREFIX[factorType as FactorType]),
    userId: user.id,
    factorType: factorType as FactorType,
    provider: provider as 'OKTA' | 'GOOGLE',
    status: 'PENDING_ACTIVATION',
    created: now,
    lastUpdated: now,
    profile: {},
    activationFailures: [],
  }
  const login = String(user.profile['login'])
  switch (f.factorType) {
    case 'token:software:totp':
      f.profile = { credentialId: login }
      f.secret = newSecret()
      f.qrToken = newQrToken()
      break
    case 'sms':
    case 'call': {
      // Without a number: the one an unenrolled factor of the type left as the user's recovery phone.
      const phoneNumber = str(profileIn, 'phoneNumber') ?? user.recoveryPhones?.[f.factorType]
      if (phoneNumber === undefined || !isPhoneNumber(phoneNumber)) throw validationError('factorEnrollRequest', 'phoneNumber: Invalid Phone Number.')
      f.profile = { phoneNumber }
      const ext = f.factorType === 'call' ? str(profileIn, 'phoneExtension') : undefined
      // Okta's schema: at most 15 characters; E0000121 for an extension it cannot dial.
      if (ext !== undefined && !/^[0-9]{1,15}$/.test(ext)) throw new OktaError(400, 'E0000121', 'Invalid phone extension. Please enter a valid phone extension.')
      if (ext !== undefined) f.profile['phoneExtension'] = ext
      break
    }
    case 'email': {
      const email = str(profileIn, 'email') ?? String(user.profile['email'])
      if (email.length > MAX_FACTOR_EMAIL || !EMAILISH.test(email)) throw validationError('factorEnrollRequest', 'email: Does not match required pattern')
      // Okta's schema: the user's primary or secondary email address, nothing else.
      const own = [user.profile['email'], user.profile['secondEmail']].filter((e): e is string => typeof e === 'string').map((e) => e.toLowerCase())
      // Okta's documented answer ("Invalid email address response" of its Factors reference): no cause.
      if (!own.includes(email.toLowerCase())) throw new OktaError(400, 'E0000001', 'Api validation failed: Only verified primary or secondary email can be enrolled.')
      f.profile = { email }
      break
    }
    case 'question': {
      const { question, answer } = checkQuestion(str(profileIn, 'question'), str(profileIn, 'answer'), 'factorEnrollRequest')
      f.profile = { question, questionText: QUESTION_TEXT.get(question) }
      setFactorAnswer(f, answer)
      f.status = 'ACTIVE'
      break
    }
    case 'push':
      f.profile = { credentialId: login }
      f.qrToken = newQrToken()
      f.activationExpiresAt = now + PUSH_ENROLL_MS
      f.transactions = []
      break
  }
  return f
}

/** Registers the factor routes. */
export function factorsRoutes (app: FastifyInstance, ctx: Ctx): void {
  const { store } = ctx
  const factors = { config: { bucket: 'factors' as const } }
  const U = '/api/v1/users/:id/factors'

  app.get(`${U}/catalog`, factors, (req: Req, reply: FastifyReply) => {
    const u = userOr404(ctx, req.params.id)
    return (renderCatalog(u, store.factors(u.id), baseUrl(req)))
  })

  app.get(`${U}/questions`, factors, (req: Req, reply: FastifyReply) => {
    userOr404(ctx, req.params.id)
    return ([...SECURITY_QUESTIONS].map(([question, questionText]) => ({ question, questionText })))
  })

  app.get(U, factors, (req: Req, reply: FastifyReply) => {
    const u = userOr404(ctx, req.params.id)
    const base = baseUrl(req)
    const now = ctx.clock()
    return (store.factors(u.id).map((f) => renderFactor(f, base, 'list', now)))
  })

  app.get(`${U}/:factorId`, factors, (req: Req, reply: FastifyReply) => {
    const u = userOr404(ctx, req.params.id)
    return (renderFactor(factorOr404(ctx, u, req.params.factorId), baseUrl(req), 'list', ctx.clock()))
  })

  app.post(U, factors, (req: Req, reply: FastifyReply) => {
    const u = userOr404(ctx, req.params.id)
    if (u.status === 'DEPROVISIONED') throw wrongUserStatus()
    const body = objectBody(req)
    const lifetime = tokenLifetime(queryParam(req, 'tokenLifetimeSeconds'))
    queryParam(req, 'templateId')
    const activate = flag(queryParam(req, 'activate'), false)
    const updatePhone = flag(queryParam(req, 'updatePhone'), false)
    const f = buildFactor(ctx, u, body)
    const existing = store.factors(u.id).find((x) => x.factorType === f.factorType && x.provider === f.provider)
    let factor = f
    if (existing !== undefined) {
      // updatePhone replaces the number of a pending sms/call factor; Okta ignores it when the number
      // belongs to an activated factor, so an ACTIVE one is answered as a duplicate enrollment.
      const replacePhone = updatePhone && (f.factorType === 'sms' || f.factorType === 'call') && existing.status !== 'ACTIVE'
      if (!replacePhone) throw validationError('factorEnrollRequest', duplicateCause(existing, f))
      // A re-enrollment sends a code: not past the factor's activation limit (no resend once it is reached), nor to a
      // number it sent a code to within the resend wait (one code per phone number every 30 s, however the number is
      // written). A number it has not sent to lately gets its code at once.
      if (!activate) {
        const now = ctx.clock()
        activationThrottle(existing, now)
        resendWait(existing, now, f)
      }
      existing.profile = f.profile
      existing.status = 'PENDING_ACTIVATION'
      existing.lastUpdated = f.created
      factor = existing
    } else {
      store.addFactor(f)
    }
    if (isChannel(factor.factorType)) {
      if (activate) {
        // Active without a code: a code sent for the enrollment (to the number updatePhone just replaced, perhaps) is
        // void, and its resend wait does not hold back the first challenge.
        factor.status = 'ACTIVE'
        delete factor.sent
        forgetSent(factor)
      } else sendCode(ctx, u, factor, lifetime, false)
    }
    store.commit()
    return (renderFactor(factor, baseUrl(req), 'enroll'))
  })

  app.post(`${U}/:factorId/lifecycle/activate`, factors, (req: Req, reply: FastifyReply) => {
    const u = userOr404(ctx, req.params.id)
    const f = factorOr404(ctx, u, req.params.factorId)
    // A deactivated user's factors are frozen, as for enroll, verify and unenroll.
    if (u.status === 'DEPROVISIONED') throw wrongUserStatus()
    if (f.status !== 'PENDING_ACTIVATION') throw wrongFactorStatus('factorActivateRequest', f)
    const now = ctx.clock()
    if (f.factorType === 'push') {
      // Okta: the activate link of a push enrollment starts a new activation (a new QR code, a new expiresAt).
      f.qrToken = newQrToken()
      f.activationExpiresAt = now + PUSH_ENROLL_MS
      f.lastUpdated = now
      store.commit()
      return (renderFactor(f, baseUrl(req), 'enroll', now))
    }
    // The first code is a verification: refused as a verify is for a user who may not verify now (Okta documents no
    // answer), so a suspended or locked-out user cannot finish a sign-in's MFA step by activating a factor instead.
    if (u.status === 'LOCKED_OUT') throw userLocked()
    if (u.status === 'SUSPENDED') throw wrongUserStatus()
    activationThrottle(f, now)
    const passCode = objectBody(req)['passCode']
    if (passCode !== undefined && passCode !== null && typeof passCode !== 'string') throw validationError('factorActivateRequest', 'passCode: Does not match required type string')
    if (typeof passCode !== 'string' || passCode === '') throw validationError('factorActivateRequest', 'passCode: The field cannot be left blank')
    let ok = false
    if (f.factorType === 'token:software:totp') {
      const step = findStep(keyOf(f.secret ?? ''), passCode, now, ctx.totpWindow)
      if (typeof step === 'number') {
        ok = true
        f.lastStep = step
      }
    } else if (f.sent !== undefined && !f.sent.used && now < f.sent.expiresAt && f.sent.code === passCode) {
      ok = true
      f.sent.used = true
      // The enrollment code has done its job: the throttle guards against code spam, not against the first
      // verification of a factor just activated (Okta's guide challenges right after activating).
      forgetSent(f)
    }
    if (!ok) {
      f.activationFailures.push(now)
      store.commit()
      throw invalidPasscode()
    }
    f.status = 'ACTIVE'
    f.lastUpdated = now
    f.activationFailures = []
    store.commit()
    return (renderFactor(f, baseUrl(req)))
  })

  app.post(`${U}/:factorId/lifecycle/activate/poll`, factors, (req: Req, reply: FastifyReply) => {
    const u = userOr404(ctx, req.params.id)
    const f = factorOr404(ctx, u, req.params.factorId)
    if (f.factorType !== 'push') throw validationError('factorPollRequest', 'Only a push factor can be polled.')
    return (renderFactor(f, baseUrl(req), 'list', ctx.clock()))
  })

  app.post(`${U}/:factorId/resend`, { config: { bucket: 'verify' as const } }, (req: Req, reply: FastifyReply) => {
    const u = userOr404(ctx, req.params.id)
    const f = factorOr404(ctx, u, req.params.factorId)
    if (u.status === 'DEPROVISIONED') throw wrongUserStatus()
    if (!isChannel(f.factorType)) throw validationError('factorResendRequest', `A ${f.factorType} factor does not send codes.`)
    if (f.status !== 'PENDING_ACTIVATION') throw wrongFactorStatus('factorResendRequest', f)
    // Okta: no resend once the factor is over its activation limit.
    activationThrottle(f, ctx.clock())
    objectBody(req)
    sendCode(ctx, u, f, tokenLifetime(queryParam(req, 'tokenLifetimeSeconds')))
    store.commit()
    return (renderFactor(f, baseUrl(req), 'enroll'))
  })

  app.delete(`${U}/:factorId`, factors, (req: Req, reply: FastifyReply) => {
    const u = userOr404(ctx, req.params.id)
    const f = factorOr404(ctx, u, req.params.factorId)
    // Okta: "You can't unenroll a factor from a deactivated user" (answered as an enrollment is).
    if (u.status === 'DEPROVISIONED') throw wrongUserStatus()
    store.deleteFactor(f)
    // Okta keeps a verified phone as a recovery method unless `removeRecoveryEnrollment=true` removes it too.
    if (f.factorType === 'sms' || f.factorType === 'call') {
      const phones = { ...u.recoveryPhones }
      if (flag(queryParam(req, 'removeRecoveryEnrollment'), false)) delete phones[f.factorType]
      else if (f.status === 'ACTIVE') phones[f.factorType] = String(f.profile['phoneNumber'])
      if (Object.keys(phones).length > 0) u.recoveryPhones = phones
      else delete u.recoveryPhones
    }
    // Okta: unenrolling push also unenrolls the user's other Okta Verify factors (its TOTP).
    if (f.factorType === 'push') {
      for (const other of store.factors(u.id)) if (other.factorType === 'token:software:totp' && other.provider === 'OKTA') store.deleteFactor(other)
    }
    store.commit()
    noContent(reply)
  })

  // The QR link carries its own secret token (it ends up in an <img src>), so it needs no SSWS header;
  // it answers a PNG, so its Accept must admit image/png (an <img> sends image/* and */*).
  app.get(`${U}/:factorId/qr/:token`, { config: { bucket: 'factors' as const, public: true, produces: 'image/png' } }, async (req: Req, reply: FastifyReply) => {
    const u = userByPath(ctx, req.params.id)
    const f = u === undefined ? undefined : ctx.store.factor(u.id, req.params.factorId)
    if (u === undefined || f === undefined || f.qrToken === undefined || f.qrToken !== req.params.token || f.status !== 'PENDING_ACTIVATION' ||
      pushActivationExpired(f, ctx.clock())) {
      // Named by its factor: the token is the link's credential, not to be quoted back.
      throw notFound(req.params.factorId, 'QRCode')
    }
    const label = `${encodeURIComponent(ctx.issuer)}:${encodeURIComponent(String(u.profile['login']))}`
    const uri = f.factorType === 'push'
      ? `oktaverify://enroll?factorId=${f.id}&token=${f.qrToken}`
      : `otpauth://totp/${label}?secret=${f.secret ?? ''}&issuer=${encodeURIComponent(ctx.issuer)}`
    const png = await QRCode.toBuffer(uri, { type: 'png', errorCorrectionLevel: 'M', margin: 2, scale: 6 })
    // The PNG is the shared secret: not for any cache (Okta is silent; a proxy or the browser's disk keeps none).
    reply.type('image/png').header('cache-control', 'no-store')
    return png
  })
}
