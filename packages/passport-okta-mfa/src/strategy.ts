// OktaMfaStrategy: the second step after the app's own login. Reads a 6-digit passcode from the body,
// has Okta verify it against the logged-in user's TOTP factor, and records the MFA step in the session.
import { createRequire } from 'node:module'
import {
  MFA_SESSION_KEY, OKTA_USER_SESSION_KEY, SESSION_IDENTITY_KEY, MfaError, MfaSubject, RequestDeadline, checkPasscode, endUserContext,
  ensureSession, getMfaState, isSessionRevoked, NoSessionError, outcomeOfError, recordMfa, userKeyOf,
  type MfaMethod, type MfaOktaClient,
} from '@okta-mfa/core'
import { logOutRevoked } from './sign-out.js'
import { isThenable } from './thenable.js'
import { failInfo, FAIL_CODES, type MfaFailCode, type MfaFailInfo } from './fail-codes.js'
import { carryAcrossLogin } from './login-hook.js'
import { strategyConfig, type OktaMfaStrategyOptions, type OktaMfaStrategyOptionsWithRequest, type StrategyConfig } from './options.js'
import { InvalidOptionError } from './invalid-option.js'

/** What passport's augmented strategy object provides while `authenticate` runs. */
interface PassportActions {
  success: (user: unknown, info?: unknown) => void
  fail: (challenge?: unknown, status?: number) => void
  error: (err: unknown) => void
}

/** passport-strategy's base class, typed locally so that our declarations need no @types packages. */
const PassportStrategy = createRequire(import.meta.url)('passport-strategy').Strategy as new () => object

/** The request fields the strategy reads (an Express `Request` and a Fastify `FastifyRequest` both fit). */
export interface StrategyRequest {
  /** The signed-in user (after the first factor), as passport sets it. */
  user?: unknown
  /** The session the MFA state is recorded in. */
  session?: unknown
  /** The parsed body: the passcode and factor id are read from it, never from the query string. */
  body?: unknown
  /** The end user's address as the framework determined it (trust proxy included), forwarded to Okta. */
  ip?: string | undefined
  /** The request headers: User-Agent and Accept-Language are forwarded to Okta. */
  headers: Record<string, string | string[] | undefined>
}

/** Reads an own field of the parsed body (`req.body`); `undefined` without a body or such a field. */
function bodyField (req: { body?: unknown }, field: string): unknown {
  const body = req.body
  if (typeof body !== 'object' || body === null) return undefined
  return Object.hasOwn(body, field) ? (body as Record<string, unknown>)[field] : undefined
}

/** The info passed to `success` (passport puts it in `req.authInfo`) and to the verify callback. */
export interface MfaSuccessInfo {
  /** The verified Okta factor. */
  factorId: string
  /** Okta's type of the verified factor, e.g. `token:software:totp`. */
  factorType: string
  /** The Okta user id the app user maps to. */
  oktaUserId: string
  /** How the step was completed: `'form'` (this strategy). */
  method: MfaMethod
  /** When the step completed, ms since the epoch (also in the session's MFA state). */
  completedAt: number
}

/** Callback of a verify function: `done(err)`, `done(null, false, info?)` to refuse, `done(null, user)` to accept. */
export type MfaVerifyDone<User> = (err: unknown, user?: User | false | null, info?: unknown) => void
/**
 * Optional last word after Okta said SUCCESS (audit, refuse a user, load a fresher user object). It may be `async`:
 * a rejection before `done` is called is `error(reason)`, as `done(reason)` would be; after it, a process warning.
 */
export type MfaVerifyFunction<User> = (user: User, info: MfaSuccessInfo, done: MfaVerifyDone<User>) => void | PromiseLike<void>
/** The verify function with `passReqToCallback: true` (it may be `async` too). */
export type MfaVerifyFunctionWithRequest<User, Req> = (req: Req, user: User, info: MfaSuccessInfo, done: MfaVerifyDone<User>) => void | PromiseLike<void>

/**
 * An Okta refusal of the app's own call (a bad API token, a missing scope) is the app's fault, never the end user's:
 * Express and Fastify answer an error with its `status`, which was Okta's (401 for a bad token, telling a signed-in
 * user "Unauthorized"). It reaches the error handler with the same `code`, status 500, a message without Okta's text,
 * and the client's error as `cause`.
 */
function asServerError (err: unknown): unknown {
  if (typeof err !== 'object' || err === null) return err
  const { code, status } = err as { code?: unknown, status?: unknown }
  if (typeof code !== 'string' || !code.startsWith('OKTA_') || typeof status !== 'number' || status >= 500) return err
  // eslint-disable-next-line no-restricted-syntax -- keeps the client error's own stable code (and it as cause), with status 500
  return Object.assign(new Error(`Okta refused the app's own request (${code}): check its Okta settings`, { cause: err }), { code, status: 500, statusCode: 500 })
}

/**
 * Passport strategy `okta-mfa`: verifies an Okta TOTP passcode for the already logged-in user.
 *
 * Outcomes: `success(user, MfaSuccessInfo)` (the MFA state is recorded and survives passport's login),
 * `fail(MfaFailInfo, status)` with a `code` from `FAIL_CODES` (status below 500), or `error(err)` with an
 * `MfaError` (code STORE_UNAVAILABLE, UPSTREAM_UNAVAILABLE or UPSTREAM_TIMEOUT, `status` 503/504) when the attempt
 * store or Okta is unavailable, or with what the app's `resolveOktaUser` threw. Exactly one of them, once.
 *
 * @example
 * passport.use(new OktaMfaStrategy({ orgUrl, token, resolveOktaUser: (user) => ({ login: user.email }) }))
 * app.post('/mfa', passport.authenticate('okta-mfa', { successReturnToOrRedirect: '/account', failureRedirect: '/mfa' }))
 */
export class OktaMfaStrategy<User = any, Req = any> extends PassportStrategy {
  /** The name passport knows the strategy by. @default 'okta-mfa' */
  readonly name: string
  /** The Okta client in use (created from `orgUrl` or given as `client`). */
  readonly client: MfaOktaClient
  // Plain (not #private) fields: passport calls authenticate on Object.create(strategy).
  private readonly config: StrategyConfig<User, Req>
  private readonly verify: MfaVerifyFunction<User> | MfaVerifyFunctionWithRequest<User, Req> | undefined

  constructor (options: OktaMfaStrategyOptionsWithRequest<User, Req>, verify: MfaVerifyFunctionWithRequest<User, Req>)
  constructor (options: OktaMfaStrategyOptions<User, Req>, verify?: MfaVerifyFunction<User>)
  constructor (
    options: OktaMfaStrategyOptions<User, Req> | OktaMfaStrategyOptionsWithRequest<User, Req>,
    verify?: MfaVerifyFunction<User> | MfaVerifyFunctionWithRequest<User, Req>,
  ) {
    super()
    if (verify !== undefined && typeof verify !== 'function') throw new InvalidOptionError('"verify" must be a function')
    if (options?.passReqToCallback === true && verify === undefined) throw new InvalidOptionError('"passReqToCallback" needs a verify function')
    this.config = strategyConfig(options)
    this.name = this.config.name
    this.client = this.config.client
    this.verify = verify
  }

  /** Closes the Okta client if the strategy created it (from `orgUrl`); a given `client` is left open. */
  async close (): Promise<void> {
    if (this.config.ownsClient) await this.client.close()
  }

  /** Called by passport. Never throws and never rejects: every outcome goes to success, fail or error. */
  authenticate (req: StrategyRequest, _options?: unknown): void {
    const actions = this as unknown as PassportActions
    let settled = false
    const once = <A extends unknown[]>(fn: (...args: A) => void) => (...args: A): void => {
      if (settled) return
      settled = true
      fn(...args)
    }
    // Passport must hear one outcome only; a failure after it (e.g. thrown by passport's own success path) is reported, not delivered.
    const late = (err: unknown): void => {
      const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined
      process.emitWarning(`okta-mfa: an error after the authentication outcome was ignored: ${err instanceof Error ? err.message : String(err)}`, {
        code: 'OKTA_MFA_LATE_ERROR',
        detail: typeof code === 'string' ? code : undefined,
      })
    }
    const settle: PassportActions = {
      success: once((user: unknown, info?: unknown) => actions.success(user, info)),
      fail: once((challenge?: unknown, status?: number) => actions.fail(challenge, status)),
      error: once((err: unknown) => actions.error(err)),
    }
    this.run(req, settle).catch((err: unknown) => { if (settled) late(err); else settle.error(asServerError(err)) })
  }

  private async run (req: StrategyRequest, settle: PassportActions): Promise<void> {
    const refuse = (code: MfaFailCode, extra?: Parameters<typeof failInfo>[1]): void => {
      settle.fail(failInfo(code, extra), FAIL_CODES[code].status)
    }
    const { config } = this
    const user = req.user as User | undefined | null | false
    if (user === undefined || user === null || user === false) return refuse('UNAUTHENTICATED')
    // The MFA step is kept in the session: without one, say so before Okta spends the code.
    const session = (req as { session?: unknown }).session
    if (typeof session !== 'object' || session === null) throw new NoSessionError()
    const userKey = userKeyOf(user, config.userKey)
    getMfaState(req, { user, userKey: config.userKey }) // a step of another user is removed now, not carried on
    if (config.revocations !== undefined) {
      // A revoked session (logged out, or "sign out of all sessions") is signed out; a store that cannot say is 503.
      const revoked = await isSessionRevoked(req, config.revocations, { user, userKey: config.userKey, clock: config.clock })
        .catch((err: unknown) => { throw outcomeOfError(err) ?? err })
      if (revoked) {
        await logOutRevoked(req)
        return refuse('UNAUTHENTICATED')
      }
    }
    const subject = new MfaSubject<User, Req>({
      session: req,
      user,
      userKey,
      request: req as Req,
      client: config.client,
      resolveOktaUser: config.resolveOktaUser,
      provision: config.provision,
      clock: config.clock,
      deadline: new RequestDeadline(config.requestTimeoutMs),
      factorCacheMs: config.factorCacheMs,
    })
    const result = await checkPasscode({
      subject,
      client: config.client,
      limiter: config.limiter,
      passCode: bodyField(req, config.passCodeField),
      factorId: bodyField(req, config.factorIdField),
      context: endUserContext(req),
    })
    if (!result.ok) return this.refuseWith(result.error, settle)
    const info: MfaSuccessInfo = {
      factorId: result.factor.id,
      factorType: result.factor.factorType,
      oktaUserId: result.oktaUserId,
      method: 'form',
      completedAt: config.clock(),
    }
    if (this.verify === undefined) return this.complete(req, user, info, settle)
    const done: MfaVerifyDone<User> = (err, verifiedUser, failChallenge) => {
      if (err !== undefined && err !== null) return settle.error(err)
      // Any falsy user refuses, as passport's own strategies read it (`null`, `0` and `''` too).
      if (verifiedUser === undefined || verifiedUser === null || verifiedUser === false || (verifiedUser as unknown) === 0 || (verifiedUser as unknown) === '') {
        return settle.fail(failChallenge ?? failInfo('UNAUTHENTICATED'), FAIL_CODES.UNAUTHENTICATED.status)
      }
      try {
        this.complete(req, verifiedUser, info, settle)
      } catch (completeErr) {
        settle.error(completeErr)
      }
    }
    const returned: unknown = config.passReqToCallback
      ? (this.verify as MfaVerifyFunctionWithRequest<User, Req>)(req as Req, user, info, done)
      : (this.verify as MfaVerifyFunction<User>)(user, info, done)
    // An async verify's rejection is run()'s: error() if nothing was settled yet, else reported as a late error.
    if (isThenable(returned)) await returned
  }

  /** A refusal of the core: `fail` for what the user can act on, `error` for the unavailable (5xx) ones. */
  private refuseWith (error: MfaError, settle: PassportActions): void {
    if (error.status >= 500) return settle.error(error)
    const info = failInfo(error.code, error.details)
    // The core's own sentence of what was wrong with the input ("This authenticator takes the answer to its
    // question."), never Okta's text: more use on a page than the table's generic one.
    if (error.code === 'BAD_USER_INPUT') info.message = error.message
    settle.fail(info, error.status)
  }

  /** Records the MFA step for `user` and hands it to passport, keeping the state across passport's login. */
  private complete (req: StrategyRequest, user: User, info: MfaSuccessInfo, settle: PassportActions): void {
    recordMfa(req, { user, factorId: info.factorId, method: info.method, now: info.completedAt, userKey: this.config.userKey })
    if (this.config.revocations !== undefined) ensureSession(req, { user, userKey: this.config.userKey, clock: this.config.clock })
    carryAcrossLogin(req, CARRIED_KEYS)
    settle.success(user, info)
  }
}

/**
 * What the strategy's login keeps of the session: the MFA state, the Okta user binding, the session identity, where
 * the guard was sending the user, and `user`, where the app put its signed-in user for a standalone
 * @okta-mfa/gateway server (its `SESSION_USER_KEY`), which would otherwise see the user signed out after the code.
 */
const CARRIED_KEYS: readonly string[] = [MFA_SESSION_KEY, OKTA_USER_SESSION_KEY, SESSION_IDENTITY_KEY, 'returnTo', 'user']

/** Type of the fail info this strategy produces (re-exported for apps' failure handlers). */
export type { MfaFailInfo }
