// The Factors API: list, catalog, questions, get, enroll, activate, verify, resend, unenroll, push transactions.
import { isValidHeaderValue } from './auth.js'
import { knownKeys } from './known-keys.js'
import { activationOrFactorShape, catalogShape, factorShape, many, one, questionShape, verifyShape } from './parse.js'
import { segment } from './segment.js'
import { REQUEST_OPTION_NAMES, type RequestOptions, type Transport } from './transport.js'
import type {
  CatalogFactor, EnrollFactorQuery, EnrollFactorRequest, OktaList, PushFactorActivation, ResendFactorBody, SecurityQuestion,
  UserFactor, VerifyFactorBody, VerifyFactorQuery, VerifyFactorResult,
} from './types.js'
import { InvalidOptionError } from './invalid-option.js'

/**
 * Who is verifying, forwarded to Okta so its risk and audit logs show the end user, not the server.
 *
 * @example
 * ```ts
 * await client.verifyFactor(uid, fid, { passCode }, {}, {
 *   context: { ip: req.ip, userAgent: req.headers['user-agent'], acceptLanguage: req.headers['accept-language'] },
 * })
 * ```
 */
export interface VerifyContext {
  /** The end user's IP, sent as `X-Forwarded-For`. */
  ip?: string | undefined
  /** The end user's `User-Agent`, sent instead of the client's own. */
  userAgent?: string | undefined
  /** The end user's `Accept-Language` (the language of sms/call/email messages). */
  acceptLanguage?: string | undefined
}

/**
 * Options of `verifyFactor`: the usual request options plus the end user's context.
 *
 * @example
 * ```ts
 * const opts: VerifyRequestOptions = { requestId: req.id, context: { ip: req.ip } }
 * ```
 */
export type VerifyRequestOptions = RequestOptions & {
  /** Who is verifying: the end user's IP, User-Agent and Accept-Language, forwarded to Okta. */
  context?: VerifyContext
}

/**
 * Options of `deleteFactor`: the usual request options plus Okta's `removeRecoveryEnrollment` query flag, which
 * (for an `sms` or `call` factor) also removes the phone number as a recovery method. It sits here, not in a query
 * argument of its own, so that existing `deleteFactor(userId, factorId, opts)` calls keep their meaning.
 *
 * @example
 * ```ts
 * await client.deleteFactor(uid, smsId, { removeRecoveryEnrollment: true, requestId: req.id })
 * ```
 */
export type DeleteFactorOptions = RequestOptions & {
  /** For an `sms` or `call` factor, also remove the phone number as a recovery method (Okta's query flag; not sent when undefined). */
  removeRecoveryEnrollment?: boolean
}

/** The keys of each options object: the types keep these lists and the interfaces the same. */
const ENROLL_KEYS: Record<keyof EnrollFactorQuery, true> = { updatePhone: true, activate: true, tokenLifetimeSeconds: true, templateId: true }
const VERIFY_QUERY_KEYS: Record<keyof VerifyFactorQuery, true> = { tokenLifetimeSeconds: true, templateId: true }
const VERIFY_OPTION_KEYS: Record<keyof VerifyRequestOptions, true> = { ...REQUEST_OPTION_NAMES, context: true }
const CONTEXT_KEYS: Record<keyof VerifyContext, true> = { ip: true, userAgent: true, acceptLanguage: true }
const VERIFY_BODY_KEYS: Record<keyof VerifyFactorBody, true> = { passCode: true, answer: true, useNumberMatchingChallenge: true }
const DELETE_OPTION_KEYS: Record<keyof DeleteFactorOptions, true> = { ...REQUEST_OPTION_NAMES, removeRecoveryEnrollment: true }

function factorsPath (userId: string): string {
  return `/api/v1/users/${segment(userId, 'userId')}/factors`
}

function factorPath (userId: string, factorId: string): string {
  return `${factorsPath(userId)}/${segment(factorId, 'factorId')}`
}

function optInt (name: string, v: unknown): number | undefined {
  if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 1)) throw new InvalidOptionError(`"${name}" must be a positive integer`)
  return v
}

function optStr (name: string, v: unknown): string | undefined {
  if (v !== undefined && (typeof v !== 'string' || v === '')) throw new InvalidOptionError(`"${name}" must be a non-empty string`)
  return v
}

function optBool (name: string, v: unknown): boolean | undefined {
  if (v !== undefined && typeof v !== 'boolean') throw new InvalidOptionError(`"${name}" must be a boolean`)
  return v
}

/** GET /api/v1/users/{userId}/factors */
export async function listFactors (t: Transport, userId: string, opts?: RequestOptions): Promise<OktaList<UserFactor>> {
  const res = await t.send({ method: 'GET', path: factorsPath(userId), opts, mayWaitOnRateLimit: true, expectBody: true })
  return many<UserFactor>(res, factorShape, 'factors')
}

/** GET /api/v1/users/{userId}/factors/catalog */
export async function listFactorCatalog (t: Transport, userId: string, opts?: RequestOptions): Promise<OktaList<CatalogFactor>> {
  const res = await t.send({ method: 'GET', path: `${factorsPath(userId)}/catalog`, opts, mayWaitOnRateLimit: true, expectBody: true })
  return many<CatalogFactor>(res, catalogShape, 'catalog factors')
}

/** GET /api/v1/users/{userId}/factors/questions */
export async function listSecurityQuestions (t: Transport, userId: string, opts?: RequestOptions): Promise<OktaList<SecurityQuestion>> {
  const res = await t.send({ method: 'GET', path: `${factorsPath(userId)}/questions`, opts, mayWaitOnRateLimit: true, expectBody: true })
  return many<SecurityQuestion>(res, questionShape, 'security questions')
}

/** GET /api/v1/users/{userId}/factors/{factorId} */
export async function getFactor (t: Transport, userId: string, factorId: string, opts?: RequestOptions): Promise<UserFactor> {
  const res = await t.send({ method: 'GET', path: factorPath(userId, factorId), opts, mayWaitOnRateLimit: true, expectBody: true })
  return one<UserFactor>(res, factorShape, 'a factor')
}

/** POST /api/v1/users/{userId}/factors */
export async function enrollFactor (
  t: Transport, userId: string, body: EnrollFactorRequest, queryArg?: EnrollFactorQuery, opts?: RequestOptions,
): Promise<UserFactor> {
  const query = knownKeys(queryArg, ENROLL_KEYS, 'the enrollFactor query')
  if (body === null || typeof body !== 'object' || typeof body.factorType !== 'string' || typeof body.provider !== 'string') {
    throw new InvalidOptionError('"body" must have a "factorType" and a "provider"')
  }
  const res = await t.send({
    method: 'POST',
    path: factorsPath(userId),
    query: {
      updatePhone: optBool('updatePhone', query.updatePhone),
      activate: optBool('activate', query.activate),
      tokenLifetimeSeconds: optInt('tokenLifetimeSeconds', query.tokenLifetimeSeconds),
      templateId: optStr('templateId', query.templateId),
    },
    body,
    opts,
    mayWaitOnRateLimit: false,
    expectBody: true,
  })
  return one<UserFactor>(res, factorShape, 'a factor')
}

/**
 * POST /api/v1/users/{userId}/factors/{factorId}/lifecycle/activate: with the first passcode (the factor), or with no
 * body (an empty JSON body) to start a new activation of a pending push enrollment (the factor, or the activation
 * while it waits: {@link PushFactorActivation}). Never waits on a 429.
 */
export async function activateFactor (
  t: Transport, userId: string, factorId: string, body?: { passCode: string }, opts?: RequestOptions,
): Promise<UserFactor | PushFactorActivation> {
  if (body !== undefined && (body === null || typeof body !== 'object' || typeof body.passCode !== 'string')) {
    throw new InvalidOptionError('"body.passCode" must be a string')
  }
  const res = await t.send({
    method: 'POST',
    path: `${factorPath(userId, factorId)}/lifecycle/activate`,
    ...(body === undefined ? { emptyJsonBody: true } : { body: { ...body } }),
    opts,
    mayWaitOnRateLimit: false,
    expectBody: true,
  })
  return body === undefined ? one<UserFactor | PushFactorActivation>(res, activationOrFactorShape, 'a factor or its activation') : one<UserFactor>(res, factorShape, 'a factor')
}

/**
 * POST /api/v1/users/{userId}/factors/{factorId}/lifecycle/activate/poll: whether a push enrollment was scanned (the
 * factor, `ACTIVE`) or still waits or expired ({@link PushFactorActivation}). Never waits on a 429.
 */
export async function pollFactorActivation (t: Transport, userId: string, factorId: string, opts?: RequestOptions): Promise<UserFactor | PushFactorActivation> {
  const res = await t.send({
    method: 'POST',
    path: `${factorPath(userId, factorId)}/lifecycle/activate/poll`,
    emptyJsonBody: true,
    opts,
    mayWaitOnRateLimit: false,
    expectBody: true,
  })
  return one<UserFactor | PushFactorActivation>(res, activationOrFactorShape, 'a factor or its activation')
}

function contextHeaders (context: VerifyContext | undefined): Record<string, string> {
  const headers: Record<string, string> = {}
  if (context === undefined) return headers
  // These values come from the end user's request: drop one that cannot be a header rather than fail the login.
  const put = (name: string, v: unknown): void => {
    if (typeof v === 'string' && v !== '' && v.length <= 1024 && isValidHeaderValue(v)) headers[name] = v
  }
  put('x-forwarded-for', context.ip)
  put('user-agent', context.userAgent)
  put('accept-language', context.acceptLanguage)
  return headers
}

/**
 * POST /api/v1/users/{userId}/factors/{factorId}/verify. With a passCode or answer, checks it; with no
 * body, starts an sms/call/email challenge or a push (an empty body with `Content-Type: application/json`).
 * Never waits on a 429: a login is not held for a minute.
 */
export async function verifyFactor (
  t: Transport, userId: string, factorId: string, body?: VerifyFactorBody, queryArg?: VerifyFactorQuery,
  optsArg?: VerifyRequestOptions,
): Promise<VerifyFactorResult> {
  const query = knownKeys(queryArg, VERIFY_QUERY_KEYS, 'the verifyFactor query')
  // The request options go on to the transport (which checks them) without `context`, whose keys are checked here.
  const { context, ...opts } = knownKeys(optsArg, VERIFY_OPTION_KEYS, 'the verifyFactor options ("opts")')
  knownKeys(context, CONTEXT_KEYS, '"context"')
  if (body !== undefined && (body === null || typeof body !== 'object')) throw new InvalidOptionError('"body" must be an object')
  // A misspelt `passcode` would reach Okta as a body without a passCode: for sms, call and email, a new code sent.
  knownKeys(body, VERIFY_BODY_KEYS, 'the verifyFactor body')
  // `{ passCode: form.code }` with the field missing is a code not given, not a request for a new one (which sends one).
  if (body !== undefined && ('passCode' in body || 'answer' in body) && body.passCode === undefined && body.answer === undefined) {
    throw new InvalidOptionError('"body.passCode" (or "body.answer") is undefined: pass no body to start a challenge')
  }
  if (body?.passCode !== undefined && typeof body.passCode !== 'string') throw new InvalidOptionError('"body.passCode" must be a string')
  if (body?.answer !== undefined && typeof body.answer !== 'string') throw new InvalidOptionError('"body.answer" must be a string')
  if (body?.useNumberMatchingChallenge !== undefined && typeof body.useNumberMatchingChallenge !== 'boolean') {
    throw new InvalidOptionError('"body.useNumberMatchingChallenge" must be a boolean')
  }
  const res = await t.send({
    method: 'POST',
    path: `${factorPath(userId, factorId)}/verify`,
    query: {
      tokenLifetimeSeconds: optInt('tokenLifetimeSeconds', query.tokenLifetimeSeconds),
      templateId: optStr('templateId', query.templateId),
    },
    ...(body === undefined ? { emptyJsonBody: true } : { body: { ...body } }),
    headers: contextHeaders(context),
    opts,
    mayWaitOnRateLimit: false,
    expectBody: true,
  })
  return one<VerifyFactorResult>(res, verifyShape, 'a verification result')
}

/** POST /api/v1/users/{userId}/factors/{factorId}/resend (sms, call, email enrollment codes). */
export async function resendFactor (
  t: Transport, userId: string, factorId: string, body?: ResendFactorBody, opts?: RequestOptions,
): Promise<UserFactor> {
  if (body !== undefined && (body === null || typeof body !== 'object')) throw new InvalidOptionError('"body" must be an object')
  const res = await t.send({
    method: 'POST',
    path: `${factorPath(userId, factorId)}/resend`,
    ...(body === undefined ? { emptyJsonBody: true } : { body }),
    opts,
    mayWaitOnRateLimit: false,
    expectBody: true,
  })
  return one<UserFactor>(res, factorShape, 'a factor')
}

/** DELETE /api/v1/users/{userId}/factors/{factorId}[?removeRecoveryEnrollment=true|false] (204). */
export async function deleteFactor (t: Transport, userId: string, factorId: string, optsArg?: DeleteFactorOptions): Promise<void> {
  // The request options go on to the transport (which checks them) without the query flag, checked here.
  const { removeRecoveryEnrollment, ...opts } = knownKeys(optsArg, DELETE_OPTION_KEYS, 'the deleteFactor options ("opts")')
  await t.send({
    method: 'DELETE',
    path: factorPath(userId, factorId),
    query: { removeRecoveryEnrollment: optBool('removeRecoveryEnrollment', removeRecoveryEnrollment) },
    opts,
    mayWaitOnRateLimit: false,
    expectBody: false,
  })
}

/**
 * GET /api/v1/users/{userId}/factors/{factorId}/transactions/{transactionId} (push poll). Part of a login
 * and repeated by the caller anyway, so like verify it never waits on a 429.
 */
export async function getFactorTransaction (
  t: Transport, userId: string, factorId: string, transactionId: string, opts?: RequestOptions,
): Promise<VerifyFactorResult> {
  const res = await t.send({
    method: 'GET',
    path: `${factorPath(userId, factorId)}/transactions/${segment(transactionId, 'transactionId')}`,
    opts,
    mayWaitOnRateLimit: false,
    expectBody: true,
  })
  return one<VerifyFactorResult>(res, verifyShape, 'a verification result')
}
