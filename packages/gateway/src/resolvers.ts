// The resolvers: the GraphQL adapter over @okta-mfa/core. Each acts for the session user only, calls Okta with the
// request's deadline and id, and leaves every error to the one formatter. Passcodes go through core's checkPasscode
// (or, for activation, the same limiter and outcome rules).
import { totpActivation, type UserFactor } from '@okta-mfa/client'
import {
  ANSWER_FACTOR_TYPES, PASSCODE_FACTOR_TYPES, MfaError, forgetRememberedDevices, refundAccessRefusal, settleRefusal, checkPasscode, endUserContext, getMfaState, isRememberedMfa, outcomeOfError, readFactorId, readPasscode, recordMfa,
  type MfaState,
} from '@okta-mfa/core'
import { GatewayError } from './errors.js'
import { isEnrollable, toEnrollRequest, toGqlCatalogEntry, toGqlFactor, totpActivationOf, type EnrollFactorInput, type GqlFactor } from './factors.js'
import type { GatewayContext, RequestScope } from './scope.js'

/** A factor id argument: malformed ids cannot name a factor of the user. */
function factorIdOf (value: unknown): string {
  const id = readFactorId(value)
  if (id === undefined) throw new MfaError('FACTOR_NOT_FOUND', { field: 'factorId' })
  return id
}

/** PASSCODE_MISSING's words when the factor takes an answer. */
const ANSWER_MISSING = 'Enter the answer to your security question.'

/**
 * A verify without a secret sent to a factor that needs one (TOTP, a question): Okta refuses it as invalid input
 * (E0000001, "passCode" or "answer" cannot be blank). That is PASSCODE_MISSING, naming the field.
 */
function secretMissing (err: unknown): MfaError | undefined {
  const e = err as { code?: unknown, errorCode?: unknown, errorCauses?: unknown } | null
  if (e?.code !== 'OKTA_VALIDATION' || e.errorCode !== 'E0000001') return undefined
  const outcome = outcomeOfError(err)
  if (outcome?.code !== 'BAD_USER_INPUT') return undefined // a factor not activated yet keeps its own outcome
  const causes = Array.isArray(e.errorCauses) ? e.errorCauses as Array<{ errorSummary?: unknown }> : []
  const field = causes.some((c) => /^answer\b/i.test(String(c?.errorSummary ?? '').slice(0, 100))) ? 'answer' : 'passCode'
  return new MfaError('PASSCODE_MISSING', { field }, field === 'answer' ? ANSWER_MISSING : undefined, { cause: err })
}

/** GraphQL `MfaStatus` of a state. */
function mfaStatus (state: MfaState | undefined, scope: RequestScope, user: unknown): Record<string, unknown> {
  if (state === undefined) return { completed: false, completedAt: null, factorId: null, method: null, fresh: false }
  const { config } = scope.deps
  return {
    completed: true,
    completedAt: new Date(state.completedAt).toISOString(),
    factorId: state.factorId,
    method: state.method.toUpperCase(),
    // A step remembered from a device is never fresh: step-ups ask for a code.
    fresh: !isRememberedMfa(scope.session, { user, userKey: config.userKey }) && config.clock() - state.completedAt <= config.stepUpMaxAgeSeconds * 1000,
  }
}

async function mfaStateOf (scope: RequestScope): Promise<MfaState | undefined> {
  const { user } = await scope.appUser()
  return getMfaState(scope.session, { user, userKey: scope.deps.config.userKey })
}

/** viewer.mfa: the session's MFA step, or one honoured from a remembered device (option `rememberedDevices`). */
async function viewerMfaState (scope: RequestScope): Promise<MfaState | undefined> {
  const state = await mfaStateOf(scope)
  const devices = scope.deps.config.rememberedDevices
  if (state !== undefined || devices === undefined) return state
  const { user } = await scope.appUser()
  return await devices.honour({ session: scope.request.session, user, headers: scope.request.headers })
}

/**
 * The user's active factors changed (one activated, or removed): every browser that remembered the user asks for a
 * code again. Best effort: the factor change is done, and a device cookie shown later is refused by its factor
 * fingerprint anyway (which forgets the devices then).
 */
async function forgetDevices (scope: RequestScope): Promise<void> {
  const { rememberedDevices: devices, revocations, userKey, clock } = scope.deps.config
  if (devices === undefined && revocations === undefined) return
  const { user } = await scope.appUser()
  // Without devices of its own, the mark still goes into the revocation store an app that remembers devices reads.
  const forgetting = devices === undefined ? forgetRememberedDevices(revocations!, user, { userKey, clock }) : devices.forgetAll(user)
  await forgetting.catch((err: unknown) => {
    scope.request.log.warn({ code: (err as { code?: unknown } | null)?.code }, 'remembered devices not forgotten after a factor change')
  })
}

/**
 * The user's factor list from Okta, for a decision about changing factors (enroll, activate, resend, remove). Not
 * cached in the session: a mutation that is refused (ALREADY_ENROLLED, MFA_REQUIRED, a wrong or second activation code)
 * then writes no cookie, so it cannot undo an MFA step that a request running beside it recorded (a double-clicked
 * activateFactor, an activation racing an enrollment): a cookie session is sealed whole, from the session as each
 * request read it, and the browser keeps the last one.
 */
async function factorsFromOkta (scope: RequestScope, subject: Awaited<ReturnType<RequestScope['subject']>>): Promise<readonly UserFactor[]> {
  return await subject.withOktaUser((id) => scope.deps.client.listFactors(id, scope.callOptions))
}

/** The factors changed: drops the session's cached list, writing the session only when it holds one. */
function dropCachedFactors (subject: Awaited<ReturnType<RequestScope['subject']>>): void {
  if (subject.cachedFactors() !== undefined) subject.forgetFactors()
}

/** Okta refused outright (a 4xx answer): the factors are as they were. */
function refusedOutright (err: unknown): boolean {
  const status = typeof err === 'object' && err !== null ? (err as { status?: unknown }).status : undefined
  return typeof status === 'number' && status >= 400 && status < 500
}

/**
 * A factor change sent to Okta. The session's cached list is dropped once Okta has made it, or when the answer leaves
 * that unknown (a timeout, a dropped connection, a 5xx: it may have been made). A change Okta refuses outright made
 * none, so it drops nothing and writes no cookie that could undo a step recorded beside it.
 */
async function changeFactors<T> (subject: Awaited<ReturnType<RequestScope['subject']>>, change: () => Promise<T>): Promise<T> {
  let result: T
  try {
    result = await change()
  } catch (err) {
    if (!refusedOutright(err)) dropCachedFactors(subject)
    throw err
  }
  dropCachedFactors(subject)
  return result
}

/** Phone numbers and addresses stay masked until the session's MFA step. */
async function masked (scope: RequestScope): Promise<boolean> {
  return (await mfaStateOf(scope)) === undefined
}

/** Sensitive changes to a user's factors need a recent MFA step. */
/**
 * Changing factors once the user has an ACTIVE one (other than `except`, the factor being activated) needs a fresh MFA
 * step: otherwise a stolen password is enough to add the thief's phone or remove the owner's authenticator.
 */
async function requireFreshMfaIfActive (scope: RequestScope, factors: ReadonlyArray<{ id: string, status?: string | undefined }>, except?: string): Promise<void> {
  if (factors.some((f) => f.status === 'ACTIVE' && f.id !== except)) await requireFreshMfa(scope)
}

async function requireFreshMfa (scope: RequestScope): Promise<void> {
  const state = await mfaStateOf(scope)
  const { user } = await scope.appUser()
  if (state === undefined || isRememberedMfa(scope.session, { user, userKey: scope.deps.config.userKey }) ||
    scope.deps.config.clock() - state.completedAt > scope.deps.config.stepUpMaxAgeSeconds * 1000) {
    throw new GatewayError('MFA_REQUIRED')
  }
}

/** Records the MFA step of the session user; returns the step and that user. */
async function record (scope: RequestScope, factorId: string): Promise<{ state: MfaState, user: unknown }> {
  const { user } = await scope.appUser()
  return { state: recordMfa(scope.session, { user, factorId, method: 'graphql', now: scope.deps.config.clock(), userKey: scope.deps.config.userKey }), user }
}

const RESULTS = new Set(['SUCCESS', 'CHALLENGE', 'WAITING', 'REJECTED', 'TIMEOUT'])

/** Factor types whose verify without a secret sends a code to verify with. */
const CHALLENGE_TYPES: ReadonlySet<string> = new Set(['sms', 'call', 'email'])

/**
 * The factor of a verify without a secret must be one that is sent a code (sms, call, email). A TOTP or question
 * factor needs its secret (PASSCODE_MISSING); any other (an Okta Verify push) is refused before Okta hears of it: a
 * push verified here could never complete the MFA step, and each call would send the user another one. Okta's list
 * is cached only when it lacks the factor (a made-up id then costs Okta a list call at most every few seconds): like
 * a refused factor change, a verify without a secret of the user's own factor writes no cookie that could undo the
 * step a verify beside it recorded.
 */
async function requireChallengeFactor (subject: Awaited<ReturnType<RequestScope['subject']>>, factorId: string): Promise<void> {
  const list = await subject.factorsFor((l) => l.some((f) => f.id === factorId), { cacheWhenFound: false })
  const factor = list.find((f) => f.id === factorId)
  if (factor === undefined) throw new MfaError('FACTOR_NOT_FOUND', { field: 'factorId' })
  if (CHALLENGE_TYPES.has(factor.factorType)) return
  if (ANSWER_FACTOR_TYPES.has(factor.factorType)) throw new MfaError('PASSCODE_MISSING', { field: 'answer' }, ANSWER_MISSING)
  if (PASSCODE_FACTOR_TYPES.has(factor.factorType)) throw new MfaError('PASSCODE_MISSING', { field: 'passCode' })
  throw new MfaError('BAD_USER_INPUT', { field: 'factorId' }, 'This authenticator cannot be verified here.')
}

async function verify (scope: RequestScope, rawFactorId: unknown, passCode: string | null | undefined, answer: string | null | undefined): Promise<Record<string, unknown>> {
  const subject = await scope.subject()
  const { client } = scope.deps
  if (passCode == null && answer == null) {
    // No secret: an sms, call or email challenge (a code is sent). Okta's own resend limits apply.
    const factorId = factorIdOf(rawFactorId)
    await requireChallengeFactor(subject, factorId)
    const result = await client.verifyFactor(await subject.oktaUserId(), factorId, undefined, undefined, scope.verifyOptions)
      .catch((err: unknown) => { throw secretMissing(err) ?? err })
    return { result: RESULTS.has(result.factorResult) && result.factorResult !== 'SUCCESS' ? result.factorResult : 'FAILED', mfa: mfaStatus(await mfaStateOf(scope), scope, (await scope.appUser()).user) }
  }
  const result = await checkPasscode({
    subject,
    client,
    limiter: scope.deps.limiter,
    passCode,
    answer,
    // Required by the schema: an empty id is no factor (checkPasscode alone would pick the user's only one).
    factorId: factorIdOf(rawFactorId),
    context: endUserContext(scope.request),
    // One Okta call per verify, also for clients that keep no cookie (no cached list): Okta refuses another user's factor.
    trustFactorId: true,
  })
  if (!result.ok) throw result.error
  const { state, user } = await record(scope, result.factor.id)
  // A function: graphql-js calls it only when the operation selects `mfa` (no date formatting otherwise).
  return { result: 'SUCCESS', mfa: () => mfaStatus(state, scope, user) }
}

async function enroll (scope: RequestScope, input: EnrollFactorInput): Promise<Record<string, unknown>> {
  // Who asks before what is asked: without a signed-in user every operation is UNAUTHENTICATED, whatever its input.
  const subject = await scope.subject()
  const body = toEnrollRequest(input)
  const { client, issuer } = scope.deps
  // A signed-in user who already has an active factor must prove it before adding another: otherwise a stolen
  // password is enough to enroll the thief's phone and pass MFA with it. A security decision: a fresh list.
  const existing = await factorsFromOkta(scope, subject)
  // After the list: reading it may have found the Okta user again (one deleted since the session bound it).
  const oktaUserId = await subject.oktaUserId()
  // Enrolled twice is ALREADY_ENROLLED whether or not the session is fresh (the factors query shows as much).
  if (existing.some((f) => f.factorType === body.factorType && f.provider === body.provider)) throw new GatewayError('ALREADY_ENROLLED')
  await requireFreshMfaIfActive(scope, existing)
  // An enrollment Okta refuses (an address that is not the user's, a deactivated user) writes no cookie.
  const factor = await changeFactors(subject, async () => await client.enrollFactor(oktaUserId, body, undefined, scope.callOptions))
  if (factor.status === 'ACTIVE') await forgetDevices(scope) // a security question is active at once
  const hide = await masked(scope)
  const activation = factor.factorType === 'token:software:totp' ? totpActivation(factor) : undefined
  if (activation === undefined) return { factor: toGqlFactor(factor, hide), activation: null }
  const okta = await client.getUser(oktaUserId, scope.callOptions)
  const label = typeof okta.profile?.login === 'string' ? okta.profile.login : subject.userKey
  return { factor: toGqlFactor(factor, hide), activation: await totpActivationOf(activation, issuer, label) }
}

async function activate (scope: RequestScope, rawFactorId: unknown, rawPassCode: unknown): Promise<GqlFactor> {
  const subject = await scope.subject()
  const { limiter, client } = scope.deps
  // Activating adds a factor, as enrolling does: once another factor is active, a fresh MFA step first, so that a
  // pending factor left by an abandoned enrollment cannot be finished on a stale or remembered session. Checked
  // before the id and the code are judged: a stolen password learns nothing from them.
  const factors = await factorsFromOkta(scope, subject)
  const oktaUserId = await subject.oktaUserId()
  await requireFreshMfaIfActive(scope, factors, typeof rawFactorId === 'string' ? rawFactorId : undefined)
  const factorId = factorIdOf(rawFactorId)
  const passcode = readPasscode(rawPassCode)
  if (!passcode.ok) throw new MfaError(passcode.code, { field: 'passCode' })
  // Only a factor activated with a code: Okta's activate of a push restarts its enrollment without reading any code,
  // which would prove nothing (and record no step). An id not in the list is Okta's to refuse.
  const target = factors.find((f) => f.id === factorId)
  if (target !== undefined && !PASSCODE_FACTOR_TYPES.has(target.factorType)) {
    throw new MfaError('BAD_USER_INPUT', { field: 'factorId' }, 'This authenticator is not activated with a code.')
  }
  // The same rule as verify: the attempt is counted before Okta hears the code (a store down refuses it).
  const decision = await limiter.consume(subject.userKey)
  if (!decision.allowed) throw new MfaError('LOCKED_OUT', { retryAfterSeconds: decision.retryAfterSeconds })
  let factor: UserFactor
  try {
    factor = await changeFactors(subject, async () => await client.activateFactor(oktaUserId, factorId, { passCode: passcode.passCode }, scope.callOptions))
  } catch (err) {
    const outcome = outcomeOfError(err)
    if (outcome === undefined) {
      await refundAccessRefusal(err, limiter, subject.userKey, decision)
      throw err
    }
    throw await settleRefusal(outcome, limiter, subject.userKey, decision)
  }
  // Okta accepted a code from the new factor (it is ACTIVE now): the user holds it, which is the MFA step (as Okta's
  // own sign-in counts an enrollment). Without this the user would wait for the next 30-second code to finish
  // signing in. Any other answer proved nothing: the attempt stays counted and no step is recorded. A right code
  // gives its own attempt back but clears no wrong one: Okta's count of failed verifications, which its lockout
  // follows, goes on through an activation, and the counter must stay ahead of it (a verify's right code clears both).
  if (factor.status !== 'ACTIVE') return toGqlFactor(factor)
  await limiter.refund(subject.userKey, decision, { accepted: true }).catch(() => {})
  await record(scope, factorId)
  await forgetDevices(scope)
  return toGqlFactor(factor)
}

async function resend (scope: RequestScope, rawFactorId: unknown): Promise<Record<string, unknown>> {
  const subject = await scope.subject()
  const factorId = factorIdOf(rawFactorId)
  const { client } = scope.deps
  const hide = await masked(scope)
  // A bound Okta user deleted since is looked up again; a factor it does not have stays Okta's 404 (FACTOR_NOT_FOUND).
  const factor: UserFactor = await subject.withOktaUser((id) => client.getFactor(id, factorId, scope.callOptions))
  const oktaUserId = await subject.oktaUserId()
  if (factor.factorType !== 'sms' && factor.factorType !== 'call' && factor.factorType !== 'email') {
    throw new GatewayError('BAD_USER_INPUT', { field: 'factorId' }, 'Only sms, call and email factors send codes.')
  }
  if (factor.status === 'PENDING_ACTIVATION') {
    // Enrollment code: Okta's resend endpoint. Part of adding a factor: a fresh MFA step once another is active.
    const factors = await factorsFromOkta(scope, subject)
    await requireFreshMfaIfActive(scope, factors)
    const body = { factorType: factor.factorType, provider: 'OKTA' as const, profile: { ...factor.profile } }
    return { factor: toGqlFactor(await client.resendFactor(oktaUserId, factorId, body, scope.callOptions), hide) }
  }
  // Verification code of an active factor: a new challenge.
  await client.verifyFactor(oktaUserId, factorId, undefined, undefined, scope.verifyOptions)
  return { factor: toGqlFactor(factor, hide) }
}

async function remove (scope: RequestScope, rawFactorId: unknown): Promise<Record<string, unknown>> {
  const subject = await scope.subject()
  const factors = await factorsFromOkta(scope, subject)
  const oktaUserId = await subject.oktaUserId()
  // Same rule as enrollment: once the user has an active factor, changing factors needs a fresh MFA step. Before
  // that no MFA step is possible, and removing a pending factor is how an abandoned enrollment is restarted. The id
  // is judged after the step, whatever its shape: a stolen password learns nothing about factor ids.
  await requireFreshMfaIfActive(scope, factors)
  const factorId = factorIdOf(rawFactorId)
  if (!factors.some((f) => f.id === factorId)) throw new GatewayError('FACTOR_NOT_FOUND', { field: 'factorId' })
  // A removal Okta refuses (the factor gone already, a second click) writes no cookie.
  await changeFactors(subject, async () => { await scope.deps.client.deleteFactor(oktaUserId, factorId, scope.callOptions) })
  if (factors.some((f) => f.id === factorId && f.status === 'ACTIVE')) await forgetDevices(scope)
  return { removedFactorId: factorId }
}

/** The gateway's resolver map (mercurius `resolvers`). */
export const resolvers = {
  Query: {
    async viewer (_: unknown, __: unknown, ctx: GatewayContext) {
      const { userKey } = await ctx.gateway.appUser()
      return { userKey }
    },
    async factors (_: unknown, __: unknown, ctx: GatewayContext) {
      const scope = ctx.gateway
      const subject = await scope.subject()
      // Not cached in the session: a query that rewrote the session cookie could, answered last, undo the MFA step a
      // verify running beside it recorded (both cookies are sealed from the session as each request read it).
      // Okta's 404 here is the user's: OKTA_USER_NOT_FOUND (after one more lookup of a user bound before), as core's.
      const list = await subject.withOktaUser((id) => scope.deps.client.listFactors(id, scope.callOptions))
      const hide = await masked(scope)
      return list.map((f) => toGqlFactor(f, hide))
    },
    async factorCatalog (_: unknown, __: unknown, ctx: GatewayContext) {
      const scope = ctx.gateway
      const list = await (await scope.subject()).withOktaUser((id) => scope.deps.client.listFactorCatalog(id, scope.callOptions))
      return list.filter(isEnrollable).map(toGqlCatalogEntry)
    },
  },
  Viewer: {
    async login (_: unknown, __: unknown, ctx: GatewayContext) {
      const scope = ctx.gateway
      const user = await (await scope.subject()).withOktaUser((id) => scope.deps.client.getUser(id, scope.callOptions))
      return typeof user.profile?.login === 'string' ? user.profile.login : null
    },
    async mfa (_: unknown, __: unknown, ctx: GatewayContext) {
      return mfaStatus(await viewerMfaState(ctx.gateway), ctx.gateway, (await ctx.gateway.appUser()).user)
    },
  },
  Mutation: {
    async enrollFactor (_: unknown, args: { input: EnrollFactorInput }, ctx: GatewayContext) {
      return await enroll(ctx.gateway, args.input)
    },
    async activateFactor (_: unknown, args: { factorId: string, passCode: string }, ctx: GatewayContext) {
      return await activate(ctx.gateway, args.factorId, args.passCode)
    },
    // The hot path: verify's own promise, not another async layer around it.
    verifyFactor (_: unknown, args: { factorId: string, passCode?: string | null, answer?: string | null }, ctx: GatewayContext) {
      return verify(ctx.gateway, args.factorId, args.passCode, args.answer)
    },
    async resendChallenge (_: unknown, args: { factorId: string }, ctx: GatewayContext) {
      return await resend(ctx.gateway, args.factorId)
    },
    async removeFactor (_: unknown, args: { factorId: string }, ctx: GatewayContext) {
      return await remove(ctx.gateway, args.factorId)
    },
  },
}
