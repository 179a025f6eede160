// Per-request state of a GraphQL request: who is acting (only ever from the app's resolveUser, never from the
// GraphQL request), their Okta side (through @okta-mfa/core's MfaSubject: the Okta user id bound in the session, the
// factor list cached there) and the one deadline every Okta call of the request shares.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { MercuriusContext } from 'mercurius'
import type { OktaClient, RequestOptions, VerifyRequestOptions } from '@okta-mfa/client'
import {
  MfaSubject, RequestDeadline, endUserContext, isSessionRevoked, userKeyOf,
  type AttemptLimiter, type ResolveOktaUser, type SessionRequest,
} from '@okta-mfa/core'
import { GatewayError } from './errors.js'
import { InvalidOptionError, type GatewayConfig } from './options.js'

/** What every request of one plugin instance shares. */
export interface GatewayDeps {
  readonly config: GatewayConfig
  readonly client: OktaClient
  readonly limiter: AttemptLimiter
  readonly resolveOktaUser: ResolveOktaUser
  /** Issuer written into otpauth URIs. */
  readonly issuer: string
}

/** The signed-in app user of a request. */
export interface AppUser {
  user: unknown
  userKey: string
}

/**
 * The default mapping from an app user to an Okta user: `oktaUserId` as an id, else `login`, `email` or
 * `username` as a login to look up.
 *
 * @throws InvalidOptionError (code `OKTA_MFA_GATEWAY_INVALID_OPTION`) for a user with none of them: the app must pass
 * the `resolveOktaUser` option. In a request, the operation answers a masked `INTERNAL` and the log has the reason.
 *
 * @example
 * defaultResolveOktaUser({ id: 7, email: 'ada@example.com' }) // { login: 'ada@example.com' }
 */
export const defaultResolveOktaUser: ResolveOktaUser = (user: unknown) => {
  const u = (typeof user === 'object' && user !== null ? user : {}) as Record<string, unknown>
  if (typeof u.oktaUserId === 'string' && u.oktaUserId !== '') return { id: u.oktaUserId }
  for (const field of ['login', 'email', 'username']) {
    const v = u[field]
    if (typeof v === 'string' && v !== '') return { login: v }
  }
  if (typeof user === 'string' && user !== '') return { login: user }
  throw new InvalidOptionError('cannot map this user to an Okta user: pass the "resolveOktaUser" option')
}

/** Per-request scope: resolves the acting user once and builds the options of each Okta call. */
export class RequestScope {
  readonly deadline: RequestDeadline
  #appUser: Promise<AppUser> | undefined
  #subject: Promise<MfaSubject> | undefined

  constructor (readonly request: FastifyRequest, readonly deps: GatewayDeps) {
    this.deadline = new RequestDeadline(deps.config.requestTimeoutMs, request.id)
  }

  /** The request's session, as the core reads and writes it. */
  get session (): SessionRequest {
    return this.request as unknown as SessionRequest
  }

  /** Request options for the client: the request's deadline, and its id (sent to Okta as X-Request-Id). */
  get callOptions (): RequestOptions {
    return this.deadline.options
  }

  /** Options of a verify call: also the end user's IP, user agent and language, for Okta's risk checks. */
  get verifyOptions (): VerifyRequestOptions {
    return { ...this.deadline.options, context: endUserContext(this.request) }
  }

  /**
   * The signed-in user, from the app's `resolveUser` only.
   *
   * @throws GatewayError UNAUTHENTICATED without a resolver, without a user, or in a revoked session.
   */
  appUser (): Promise<AppUser> {
    this.#appUser ??= this.#resolveAppUser()
    return this.#appUser
  }

  async #resolveAppUser (): Promise<AppUser> {
    const resolve = this.deps.config.resolveUser
    if (resolve === undefined) throw new GatewayError('UNAUTHENTICATED')
    const user = await resolve(this.request)
    if (user === undefined || user === null || user === false) throw new GatewayError('UNAUTHENTICATED')
    const { revocations, userKey, clock } = this.deps.config
    // A revoked session (logged out, or "sign out of all sessions") is signed out. A store that cannot answer throws
    // StoreUnavailableError: STORE_UNAVAILABLE, never a pass.
    if (revocations !== undefined && await isSessionRevoked(this.session, revocations, { user, userKey, clock })) throw new GatewayError('UNAUTHENTICATED')
    return { user, userKey: userKeyOf(user, userKey) }
  }

  /** The signed-in user's Okta side (Okta user id bound in the session, cached factor list). */
  subject (): Promise<MfaSubject> {
    this.#subject ??= this.#makeSubject()
    return this.#subject
  }

  async #makeSubject (): Promise<MfaSubject> {
    const { user, userKey } = await this.appUser()
    const { config } = this.deps
    return new MfaSubject<unknown, FastifyRequest>({
      session: this.session,
      user,
      userKey,
      request: this.request,
      client: this.deps.client,
      resolveOktaUser: this.deps.resolveOktaUser,
      provision: config.provision,
      clock: config.clock,
      deadline: this.deadline,
      factorCacheMs: config.factorCacheMs,
    }) as MfaSubject
  }

  /**
   * The Okta user id of the signed-in user: from the session when bound there, else looked up (or provisioned)
   * once and bound. No Okta user and no provisioning: OKTA_USER_NOT_FOUND.
   */
  async oktaUserId (): Promise<string> {
    return await (await this.subject()).oktaUserId()
  }
}

/** The mercurius context of a gateway request. */
export type GatewayContext = MercuriusContext & {
  /** The request's scope: the acting user, their Okta side and the request's deadline. */
  gateway: RequestScope
  /** The Fastify reply of the GraphQL request. */
  reply: FastifyReply
}
