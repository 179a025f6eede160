// The resolvers: each acts for the session user only, calls Okta through the client with the request id, and
// leaves every error to the one formatter. Passcode-bearing calls go through the same attempt limiter as the strategy.
import { totpActivation, type UserFactor, type VerifyFactorResult } from '@okta-mfa/client'
import { getMfaState, recordMfa, type MfaState, type SessionRequest } from 'passport-okta-mfa'
import { GatewayError, type GatewayErrorDetails } from './errors.js'
import { toEnrollRequest, toGqlCatalogEntry, toGqlFactor, totpActivationOf, type EnrollFactorInput } from './factors.js'
import type { GatewayContext, RequestScope } from './scope.js'

/** Okta factor ids: short and alphanumeric. Anything else is refused before it reaches a URL. */
const FACTOR_ID = /^[A-Za-z0-9]{1,64}$/
/** Passcodes as Okta issues them (TOTP, sms, call, email): 6 digits; spaces as apps show them are dropped. */
const PASSCODE = /^[0-9]{6}$/

function factorIdOf (value: unknown): string {
  if (typeof value !== 'string' || !FACTOR_ID.test(value)) throw new GatewayError('BAD_USER_INPUT', { field: 'factorId' }, 'factorId is not a factor id.')
  return value
}

function passCodeOf (value: string): string {
  const code = value.replace(/ /g, '')
  if (!PASSCODE.test(code)) throw new GatewayError('BAD_USER_INPUT', { field: 'passCode' }, 'passCode must be 6 digits.')
  return code
}

/** GraphQL `MfaStatus` of a state. */
function mfaStatus (state: MfaState | undefined, scope: RequestScope): Record<string, unknown> {
  if (state === undefined) return { completed: false, completedAt: null, factorId: null, method: null, fresh: false }
  const { config } = scope.deps
  return {
    completed: true,
    completedAt: new Date(state.completedAt).toISOString(),
    factorId: state.factorId,
    method: state.method.toUpperCase(),
    fresh: config.clock() - state.completedAt < config.stepUpMaxAgeSeconds * 1000,
  }
}

async function mfaStateOf (scope: RequestScope): Promise<MfaState | undefined> {
  const { user } = await scope.appUser()
  return getMfaState(scope.request as SessionRequest, { user, userKey: scope.deps.config.userKey })
}

/** Sensitive changes to a user's factors need a recent MFA step. */
async function requireFreshMfa (scope: RequestScope): Promise<void> {
  const state = await mfaStateOf(scope)
  if (state === undefined || scope.deps.config.clock() - state.completedAt >= scope.deps.config.stepUpMaxAgeSeconds * 1000) {
    throw new GatewayError('MFA_REQUIRED')
  }
}

/**
 * Counts one passcode attempt for the user before it is sent (atomic, so parallel guesses cannot slip through),
 * and returns what to call after: `succeed` clears the counter.
 */
async function consumeAttempt (scope: RequestScope): Promise<{ succeed: () => Promise<void>, remaining: number, retryAfterSeconds: number }> {
  const { userKey } = await scope.appUser()
  const decision = await scope.deps.limiter.consume(userKey)
  if (!decision.allowed) throw new GatewayError('LOCKED_OUT', { retryAfterSeconds: decision.retryAfterSeconds })
  return { succeed: async () => { await scope.deps.limiter.succeed(userKey) }, remaining: decision.remaining, retryAfterSeconds: decision.retryAfterSeconds }
}

/**
 * A wrong or replayed code used one attempt: the error says how many are left, and the last one of the window
 * also says when to try again. As the strategy: N failed codes are each reported as such, LOCKED_OUT after them.
 */
function counted (err: unknown, attempt: { remaining: number, retryAfterSeconds: number }): unknown {
  const code = (err as { code?: unknown } | null)?.code
  if (code !== 'OKTA_INVALID_PASSCODE' && code !== 'OKTA_PASSCODE_REPLAYED' && code !== 'INVALID_PASSCODE' && code !== 'PASSCODE_REPLAYED') return err
  const details: GatewayErrorDetails = { attemptsRemaining: attempt.remaining }
  if (attempt.remaining === 0) details.retryAfterSeconds = Math.max(1, attempt.retryAfterSeconds)
  const publicCode = code === 'OKTA_PASSCODE_REPLAYED' || code === 'PASSCODE_REPLAYED' ? 'PASSCODE_REPLAYED' : 'INVALID_PASSCODE'
  return new GatewayError(publicCode, details, undefined, { cause: err })
}

const RESULTS = new Set(['SUCCESS', 'CHALLENGE', 'WAITING', 'REJECTED', 'TIMEOUT'])

async function verify (scope: RequestScope, factorId: string, passCode: string | null | undefined, answer: string | null | undefined): Promise<Record<string, unknown>> {
  if (passCode != null && answer != null) throw new GatewayError('BAD_USER_INPUT', { field: 'answer' }, 'Give passCode or answer, not both.')
  const oktaUserId = await scope.oktaUserId()
  const { client } = scope.deps
  if (passCode == null && answer == null) {
    // No secret: an sms, call or email challenge (a code is sent) or a push. Okta's own resend limits apply.
    const result = await client.verifyFactor(oktaUserId, factorId, undefined, undefined, scope.verifyOptions)
    const state = await mfaStateOf(scope)
    return { result: RESULTS.has(result.factorResult) && result.factorResult !== 'SUCCESS' ? result.factorResult : 'FAILED', mfa: mfaStatus(state, scope) }
  }
  if (answer != null && (answer.length === 0 || answer.length > 256)) throw new GatewayError('BAD_USER_INPUT', { field: 'answer' }, 'answer must be 1 to 256 characters.')
  const body = passCode != null ? { passCode: passCodeOf(passCode) } : { answer: answer! }
  const attempt = await consumeAttempt(scope)
  let result: VerifyFactorResult
  try {
    result = await client.verifyFactor(oktaUserId, factorId, body, undefined, scope.verifyOptions)
  } catch (err) {
    throw counted(err, attempt)
  }
  if (result.factorResult !== 'SUCCESS') {
    throw counted({ code: result.factorResult === 'PASSCODE_REPLAYED' ? 'PASSCODE_REPLAYED' : 'INVALID_PASSCODE' }, attempt)
  }
  await attempt.succeed()
  const { user } = await scope.appUser()
  const state = recordMfa(scope.request as SessionRequest, { user, factorId, method: 'graphql', now: scope.deps.config.clock(), userKey: scope.deps.config.userKey })
  return { result: 'SUCCESS', mfa: mfaStatus(state, scope) }
}

async function enroll (scope: RequestScope, input: EnrollFactorInput): Promise<Record<string, unknown>> {
  const body = toEnrollRequest(input)
  const oktaUserId = await scope.oktaUserId()
  const { client, issuer } = scope.deps
  // A signed-in user who already has an active factor must prove it before adding another: otherwise a stolen
  // password is enough to enroll the thief's phone and pass MFA with it.
  const existing = await client.listFactors(oktaUserId, scope.callOptions)
  // Enrolled twice is ALREADY_ENROLLED whether or not the session is fresh (the factors query shows as much).
  if (existing.some((f) => f.factorType === body.factorType && f.provider === body.provider)) throw new GatewayError('ALREADY_ENROLLED')
  if (existing.some((f) => f.status === 'ACTIVE')) await requireFreshMfa(scope)
  const factor = await client.enrollFactor(oktaUserId, body, undefined, scope.callOptions)
  const activation = factor.factorType === 'token:software:totp' ? totpActivation(factor) : undefined
  if (activation === undefined) return { factor: toGqlFactor(factor), activation: null }
  const okta = await client.getUser(oktaUserId, scope.callOptions)
  const label = typeof okta.profile?.login === 'string' ? okta.profile.login : (await scope.appUser()).userKey
  return { factor: toGqlFactor(factor), activation: await totpActivationOf(activation, issuer, label) }
}

async function resend (scope: RequestScope, factorId: string): Promise<Record<string, unknown>> {
  const oktaUserId = await scope.oktaUserId()
  const { client } = scope.deps
  const factor: UserFactor = await client.getFactor(oktaUserId, factorId, scope.callOptions)
  if (factor.factorType !== 'sms' && factor.factorType !== 'call' && factor.factorType !== 'email') {
    throw new GatewayError('BAD_USER_INPUT', { field: 'factorId' }, 'Only sms, call and email factors send codes.')
  }
  if (factor.status === 'PENDING_ACTIVATION') {
    // Enrollment code: Okta's resend endpoint.
    const body = { factorType: factor.factorType, provider: 'OKTA' as const, profile: { ...factor.profile } }
    return { factor: toGqlFactor(await client.resendFactor(oktaUserId, factorId, body, scope.callOptions)) }
  }
  // Verification code of an active factor: a new challenge.
  await client.verifyFactor(oktaUserId, factorId, undefined, undefined, scope.verifyOptions)
  return { factor: toGqlFactor(factor) }
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
      const list = await scope.deps.client.listFactors(await scope.oktaUserId(), scope.callOptions)
      return list.map(toGqlFactor)
    },
    async factorCatalog (_: unknown, __: unknown, ctx: GatewayContext) {
      const scope = ctx.gateway
      const list = await scope.deps.client.listFactorCatalog(await scope.oktaUserId(), scope.callOptions)
      return list.map(toGqlCatalogEntry)
    },
  },
  Viewer: {
    async login (_: unknown, __: unknown, ctx: GatewayContext) {
      const scope = ctx.gateway
      const user = await scope.deps.client.getUser(await scope.oktaUserId(), scope.callOptions)
      return typeof user.profile?.login === 'string' ? user.profile.login : null
    },
    async mfa (_: unknown, __: unknown, ctx: GatewayContext) {
      return mfaStatus(await mfaStateOf(ctx.gateway), ctx.gateway)
    },
  },
  Mutation: {
    async enrollFactor (_: unknown, args: { input: EnrollFactorInput }, ctx: GatewayContext) {
      return await enroll(ctx.gateway, args.input)
    },
    async activateFactor (_: unknown, args: { factorId: string, passCode: string }, ctx: GatewayContext) {
      const scope = ctx.gateway
      const factorId = factorIdOf(args.factorId)
      const passCode = passCodeOf(args.passCode)
      const oktaUserId = await scope.oktaUserId()
      const attempt = await consumeAttempt(scope)
      try {
        const factor = await scope.deps.client.activateFactor(oktaUserId, factorId, { passCode }, scope.callOptions)
        await attempt.succeed()
        // Okta accepted a code from the new factor: the user holds it, which is the MFA step (as Okta's own sign-in
        // counts an enrollment). Without this the user would wait for the next 30-second code to finish signing in.
        const { user } = await scope.appUser()
        recordMfa(scope.request as SessionRequest, { user, factorId, method: 'graphql', now: scope.deps.config.clock(), userKey: scope.deps.config.userKey })
        return toGqlFactor(factor)
      } catch (err) {
        throw counted(err, attempt)
      }
    },
    async verifyFactor (_: unknown, args: { factorId: string, passCode?: string | null, answer?: string | null }, ctx: GatewayContext) {
      return await verify(ctx.gateway, factorIdOf(args.factorId), args.passCode, args.answer)
    },
    async resendChallenge (_: unknown, args: { factorId: string }, ctx: GatewayContext) {
      return await resend(ctx.gateway, factorIdOf(args.factorId))
    },
    async removeFactor (_: unknown, args: { factorId: string }, ctx: GatewayContext) {
      const scope = ctx.gateway
      const factorId = factorIdOf(args.factorId)
      const oktaUserId = await scope.oktaUserId()
      const factors = await scope.deps.client.listFactors(oktaUserId, scope.callOptions)
      // Same rule as enrollment: once the user has an active factor, changing factors needs a fresh MFA step. Before
      // that no MFA step is possible, and removing a pending factor is how an abandoned enrollment is restarted.
      if (factors.some((f) => f.status === 'ACTIVE')) await requireFreshMfa(scope)
      if (!factors.some((f) => f.id === factorId)) throw new GatewayError('FACTOR_NOT_FOUND')
      await scope.deps.client.deleteFactor(oktaUserId, factorId, scope.callOptions)
      return { removedFactorId: factorId }
    },
  },
}
