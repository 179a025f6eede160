// Per-request state of a GraphQL request: who is acting (only ever from the app's resolveUser, never from the
// GraphQL request), their Okta user id, and the options every Okta call carries (request id, client context).
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { MercuriusContext } from 'mercurius'
import type { OktaClient } from '@okta-mfa/client'
import { resolveOktaUserId, userKeyOf, type AttemptLimiter, type MfaOktaClient, type ResolveOktaUser } from 'passport-okta-mfa'
import { GatewayError } from './errors.js'
import type { GatewayConfig } from './options.js'

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
  throw new TypeError('cannot map this user to an Okta user: pass the "resolveOktaUser" option')
}

function one (value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

/** Per-request scope: resolves the acting user once and builds the options of each Okta call. */
export class RequestScope {
  #appUser: Promise<AppUser> | undefined
  #oktaUserId: Promise<string> | undefined

  constructor (readonly request: FastifyRequest, readonly deps: GatewayDeps) {}

  /** Request options for the client: the request id goes to Okta as X-Request-Id. */
  get callOptions (): { requestId: string } {
    return { requestId: this.request.id }
  }

  /** Options of a verify call: also the end user's IP, user agent and language, for Okta's risk checks. */
  get verifyOptions (): { requestId: string, context: { ip?: string, userAgent?: string, acceptLanguage?: string } } {
    const context: { ip?: string, userAgent?: string, acceptLanguage?: string } = { ip: this.request.ip }
    const userAgent = one(this.request.headers['user-agent'])
    if (userAgent !== undefined) context.userAgent = userAgent
    const acceptLanguage = one(this.request.headers['accept-language'])
    if (acceptLanguage !== undefined) context.acceptLanguage = acceptLanguage
    return { requestId: this.request.id, context }
  }

  /**
   * The signed-in user, from the app's `resolveUser` only.
   *
   * @throws GatewayError UNAUTHENTICATED without a resolver or without a user.
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
    return { user, userKey: userKeyOf(user, this.deps.config.userKey) }
  }

  /** The Okta user id of the signed-in user (looked up, or provisioned, once per request). */
  oktaUserId (): Promise<string> {
    this.#oktaUserId ??= this.#resolveOktaUserId()
    return this.#oktaUserId
  }

  /** The client as resolveOktaUserId calls it, with this request's id on the lookup and provisioning calls too. */
  #lookupClient (): MfaOktaClient {
    const { client } = this.deps
    const opts = this.callOptions
    return {
      getUser: async (idOrLogin, o) => await client.getUser(idOrLogin, { ...o, ...opts }),
      createUser: async (body, query, o) => await client.createUser(body, query, { ...o, ...opts }),
      listFactors: async (userId, o) => await client.listFactors(userId, { ...o, ...opts }),
      verifyFactor: async (userId, factorId, body, query, o) => await client.verifyFactor(userId, factorId, body, query, { ...o, ...opts }),
      close: async () => {},
    }
  }

  async #resolveOktaUserId (): Promise<string> {
    const { user } = await this.appUser()
    try {
      return await resolveOktaUserId(this.#lookupClient(), this.deps.resolveOktaUser, user, this.request, { provision: this.deps.config.provision })
    } catch (err) {
      // A missing Okta user is the app's configuration (no provisioning), not a missing factor: mask it as INTERNAL.
      if ((err as { code?: unknown } | null)?.code === 'OKTA_NOT_FOUND') {
        throw new Error('no Okta user matches the session user: set "provision: true" or fix "resolveOktaUser"', { cause: err })
      }
      throw err
    }
  }
}

/** The mercurius context of a gateway request. */
export type GatewayContext = MercuriusContext & { gateway: RequestScope, reply: FastifyReply }
