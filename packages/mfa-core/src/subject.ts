// The signed-in user of one request as the MFA rules see them: their app key, their Okta user id (from the session
// when it is bound there, else resolved, or provisioned, once and bound) and their factor list (cached in the
// session for FACTOR_CACHE_TTL_MS). Every Okta call shares the request's deadline.
import type { RequestOptions } from '@okta-mfa/client'
import { RequestDeadline } from './deadline.js'
import type { MfaOktaClient, OktaFactorLike } from './okta-port.js'
import { clientCode, notFoundResource } from './okta-port.js'
import {
  FACTOR_CACHE_TTL_MS, bindOktaUser, cacheFactors, cachedFactors, clearOktaUserBinding, dropCachedFactors, getOktaUserBinding,
} from './okta-session.js'
import { MfaError } from './outcomes.js'
import { quietly } from './quietly.js'
import { resolveOktaUserId, type ResolveOktaUser } from './resolve-user.js'
import type { SessionRequest } from './session-state.js'

/** A cached factor list younger than this (ms) is not fetched again to look for a factor it does not have. */
const FACTOR_REFRESH_AFTER_MS = 5000
/** The same for a cached list without an ACTIVE factor (a user enrolling), in ms. */
const ENROLLING_REFRESH_AFTER_MS = 1000

/** What an {@link MfaSubject} is built from. */
export interface MfaSubjectInit<User, Req> {
  /** The request that carries the session (express-session or @fastify/secure-session). */
  session: SessionRequest
  /** The app user (signed in). */
  user: User
  /** {@link userKeyOf} of `user`. */
  userKey: string
  /** The request as `resolveOktaUser` receives it. */
  request: Req
  /** The Okta client the user's id and factors are looked up with. */
  client: Pick<MfaOktaClient, 'getUser' | 'createUser' | 'listFactors'>
  /** The app's mapping from `user` (and `request`) to an Okta user. */
  resolveOktaUser: ResolveOktaUser<User, Req>
  /** Create a missing Okta user (resolved by login) without credentials. @default false */
  provision?: boolean | undefined
  /** Time source in ms. @default Date.now */
  clock?: (() => number) | undefined
  /** The request's deadline. @default a new RequestDeadline() */
  deadline?: RequestDeadline | undefined
  /** How long the factor list is cached in the session, ms; 0 turns the cache off. @default FACTOR_CACHE_TTL_MS */
  factorCacheMs?: number | undefined
}

/**
 * The signed-in user of one request, with their Okta user id and factors resolved at most once.
 *
 * @example
 * const subject = new MfaSubject({ session: req, user, userKey, request: req, client, resolveOktaUser })
 * const oktaUserId = await subject.oktaUserId()
 */
export class MfaSubject<User = unknown, Req = unknown> {
  /** The app user (signed in), as given. */
  readonly user: User
  /** {@link userKeyOf} of `user`, as given. */
  readonly userKey: string
  /** The request's deadline, shared by every Okta call of the request (the one given, else a new one of the default length). */
  readonly deadline: RequestDeadline
  readonly #init: MfaSubjectInit<User, Req>
  readonly #clock: () => number
  #oktaUserId: Promise<string> | undefined

  constructor (init: MfaSubjectInit<User, Req>) {
    this.#init = init
    this.user = init.user
    this.userKey = init.userKey
    this.#clock = init.clock ?? Date.now
    this.deadline = init.deadline ?? new RequestDeadline()
  }

  /** Request options of an Okta call of this request (the shared deadline and the request id). */
  get callOptions (): RequestOptions {
    return this.deadline.options
  }

  /**
   * The user's Okta user id: from the session's binding, else resolved (looked up, provisioned) and bound.
   *
   * @throws MfaError OKTA_USER_NOT_FOUND when no Okta user matches and provisioning is off; the outcome of a
   * client error (UPSTREAM_*, RATE_LIMITED); anything `resolveOktaUser` throws.
   */
  oktaUserId (): Promise<string> {
    this.#oktaUserId ??= this.#resolve()
    return this.#oktaUserId
  }

  async #resolve (): Promise<string> {
    const { session, userKey } = this.#init
    const bound = getOktaUserBinding(session, userKey)
    if (bound !== undefined) return bound.oktaUserId
    let id: string
    try {
      id = await resolveOktaUserId(this.#init.client, this.#init.resolveOktaUser, this.#init.user, this.#init.request, {
        provision: this.#init.provision === true,
        request: this.callOptions,
      })
    } catch (err) {
      if (clientCode(err) === 'OKTA_NOT_FOUND') throw new MfaError('OKTA_USER_NOT_FOUND', {}, undefined, { cause: err })
      throw err
    }
    // Without a session there is nothing to cache in: the id is still returned (the same for the factor list below).
    quietly(() => { bindOktaUser(session, userKey, id) })
    return id
  }

  /** The user's factors: the session's cached list when fresh (and `fresh` is not asked for), else Okta's. */
  async factors (options: {
    /** Skips the session's cached list and asks Okta (and caches its answer). @default false */
    fresh?: boolean
  } = {}): Promise<readonly OktaFactorLike[]> {
    const ttl = this.#init.factorCacheMs ?? FACTOR_CACHE_TTL_MS
    if (options.fresh !== true && ttl > 0) {
      const cached = cachedFactors(this.#init.session, this.userKey, this.#clock(), ttl)
      if (cached !== undefined) return cached
    }
    const list = await this.withOktaUser((id) => this.#init.client.listFactors(id, this.callOptions))
    this.rememberFactors(list)
    return list
  }

  /**
   * Runs `call` (an Okta call about the user: its factors, its catalog, the user, one of its factors) with the user's
   * Okta id. Okta answering 404 there means it has no such user (unless the 404 names a factor, `(UserFactor)`, which
   * is rethrown as it is): a binding from the session (a user deleted since, made again under the same login) is
   * resolved once more, as a first sign-in would, and `call` tried again; an unknown user then is
   * OKTA_USER_NOT_FOUND, with the binding dropped.
   *
   * @throws MfaError OKTA_USER_NOT_FOUND; anything `oktaUserId()` or `call` throws.
   * @example
   * const catalog = await subject.withOktaUser((id) => client.listFactorCatalog(id, subject.callOptions))
   */
  async withOktaUser<T> (call: (oktaUserId: string) => Promise<T>): Promise<T> {
    const bound = getOktaUserBinding(this.#init.session, this.userKey)?.oktaUserId
    const oktaUserId = await this.oktaUserId()
    let done = await this.#userCall(oktaUserId, call)
    if (done instanceof MfaError && oktaUserId === bound) {
      const again = await this.oktaUserId()
      if (again !== oktaUserId) done = await this.#userCall(again, call)
    }
    if (done instanceof MfaError) throw done
    return done.value
  }

  async #userCall<T> (oktaUserId: string, call: (oktaUserId: string) => Promise<T>): Promise<{ value: T } | MfaError> {
    try {
      return { value: await call(oktaUserId) }
    } catch (err) {
      if (clientCode(err) !== 'OKTA_NOT_FOUND' || notFoundResource(err) === 'UserFactor') throw err
      this.forgetOktaUser()
      return new MfaError('OKTA_USER_NOT_FOUND', {}, undefined, { cause: err })
    }
  }

  /**
   * The user's factors for a request that names one: the session's cached list when it `has` what the request needs.
   * Otherwise Okta's list, since the cached one may predate an enrollment made elsewhere; but a cached list under 5 s
   * old is kept (under 1 s old when it has no ACTIVE factor: the user may have just enrolled through the client).
   * Refusals of made-up factor ids use no attempt: this keeps a session from costing Okta a list call per request with
   * them. Okta's list is cached in the session, unless `cacheWhenFound` is false and it `has` what the
   * request needs: a request that must not write the session then writes it only for an id the user does not have.
   *
   * @example
   * const list = await subject.factorsFor((l) => l.some((f) => f.id === factorId))
   */
  async factorsFor (has: (list: readonly OktaFactorLike[]) => boolean, options: {
    /** Whether Okta's list is cached in the session when it `has` what the request needs. @default true */
    cacheWhenFound?: boolean
  } = {}): Promise<readonly OktaFactorLike[]> {
    const cached = this.cachedFactors()
    if (cached !== undefined) {
      // Without an ACTIVE factor the user is enrolling (an app may enroll and activate through the client, which no
      // session hears of): such a list is read again after a second, not five, or the first code would be
      // ENROLLMENT_REQUIRED; still at most one list call a second for a session that keeps its cookie.
      const keepFor = cached.some((f) => f.status === 'ACTIVE') ? FACTOR_REFRESH_AFTER_MS : ENROLLING_REFRESH_AFTER_MS
      if (has(cached) || this.cachedFactors(keepFor) !== undefined) return cached
    }
    if (options.cacheWhenFound !== false) return await this.factors({ fresh: true })
    const list = await this.withOktaUser((id) => this.#init.client.listFactors(id, this.callOptions))
    if (!has(list)) this.rememberFactors(list)
    return list
  }

  /** The session's cached factor list when fresh (younger than `maxAgeMs` too, if given), without asking Okta. */
  cachedFactors (maxAgeMs?: number): readonly OktaFactorLike[] | undefined {
    const ttl = Math.min(this.#init.factorCacheMs ?? FACTOR_CACHE_TTL_MS, maxAgeMs ?? Infinity)
    return ttl > 0 ? cachedFactors(this.#init.session, this.userKey, this.#clock(), ttl) : undefined
  }

  /** Caches a factor list the app fetched itself, in a request that writes the session anyway (not a read-only one). */
  rememberFactors (list: readonly OktaFactorLike[]): void {
    if ((this.#init.factorCacheMs ?? FACTOR_CACHE_TTL_MS) > 0) quietly(() => { cacheFactors(this.#init.session, this.userKey, list, this.#clock()) })
  }

  /** Drops the cached factor list (after enroll, activate and remove). */
  forgetFactors (): void {
    quietly(() => { dropCachedFactors(this.#init.session) })
  }

  /** Drops the session's Okta binding (Okta no longer knows the id). */
  forgetOktaUser (): void {
    this.#oktaUserId = undefined
    quietly(() => { clearOktaUserBinding(this.#init.session) })
  }
}
