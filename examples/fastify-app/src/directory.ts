// Which Okta user an app user is, and their factors. The pages, the no-JavaScript forms, the strategy and the gateway
// act on ONE Okta user per session: the one bound in the session (@okta-mfa/core's `oktaMfaUser` binding, which the
// strategy's and the gateway's MfaSubject read and write). Nothing is kept in this process: two instances, or one
// restarted, read the same binding from the cookie.
import type { OktaClient, UserFactor } from '@okta-mfa/client'
import { activeFactorIdsOf, bindOktaUser, clearOktaUserBinding, getOktaUserBinding, type SessionRequest } from '@okta-mfa/core'
import { resolveOktaUserId, userKeyOf, type ResolveOktaUser } from 'passport-okta-mfa'
import type { AppUser } from './users.js'

/** What the directory reads of a request: its session and its signed-in user (a page's, or the gateway's view of it). */
export type DirectoryRequest = SessionRequest & { user?: unknown }

/** The signed-in user of `request`. */
function userOf (request: DirectoryRequest): AppUser {
  const user = request.user as AppUser | undefined
  if (user === undefined || user === null) throw new Error('the directory was asked about a request without a signed-in user')
  return user
}

/**
 * The app's mapping: the Okta user whose login is the app user's `oktaLogin`, with a profile for provisioning.
 * @example
 * resolveOktaUser({ id: 'u1', username: 'alice', displayName: 'Alice Example', oktaLogin: 'alice@example.com' })
 */
export const resolveOktaUser: ResolveOktaUser<AppUser> = (user) => {
  const [firstName, ...rest] = user.displayName.split(' ')
  return { login: user.oktaLogin, profile: { email: user.oktaLogin, firstName: firstName ?? user.username, lastName: rest.join(' ') || user.username } }
}

/** The Okta user statuses in which Okta refuses every code until an administrator acts. */
const REFUSED_STATUSES: ReadonlySet<string> = new Set(['LOCKED_OUT', 'SUSPENDED', 'DEPROVISIONED'])

/** Looks up the signed-in user's Okta user id (bound in their session), and lists factors. */
export class OktaDirectory {
  constructor (private readonly client: OktaClient) {}

  /**
   * The Okta user id of the signed-in user of `request`: the session's binding when it has one for this user, else
   * resolved by login (the Okta user created without credentials on first use) and bound in the session, as the
   * strategy and the gateway do, so they use the same id from then on.
   */
  async oktaUserId (request: DirectoryRequest): Promise<string> {
    const user = userOf(request)
    const userKey = userKeyOf(user)
    const bound = getOktaUserBinding(request, userKey)
    if (bound !== undefined) return bound.oktaUserId
    const id = await this.#resolve(user)
    // Already bound to this id meanwhile (by the strategy or the gateway in this request): kept, with its factor list.
    if (getOktaUserBinding(request, userKey)?.oktaUserId !== id) bindOktaUser(request, userKey, id)
    return id
  }

  /**
   * Runs `call` with the Okta id of the signed-in user. When Okta answers 404 (OKTA_NOT_FOUND) for the id bound in
   * the session, the Okta user may be gone (deleted, perhaps re-created under a new id): the binding is dropped and
   * the user looked up (and bound) again, once, and `call` runs again only when the id changed (the same id: the 404
   * was about something else, such as a factor).
   */
  async withOktaUserId<T> (request: DirectoryRequest, call: (oktaUserId: string) => Promise<T>): Promise<T> {
    const userKey = userKeyOf(userOf(request))
    const wasBound = getOktaUserBinding(request, userKey) !== undefined
    const id = await this.oktaUserId(request)
    try {
      return await call(id)
    } catch (err) {
      if (!wasBound || !isOktaNotFound(err)) throw err
      if (getOktaUserBinding(request, userKey)?.oktaUserId === id) clearOktaUserBinding(request)
      const fresh = await this.oktaUserId(request)
      if (fresh === id) throw err
      return await call(fresh)
    }
  }

  /** All factors of the signed-in user of `request` (the Okta user bound in the session), as Okta lists them. */
  async factorsOf (request: DirectoryRequest): Promise<UserFactor[]> {
    return await this.withOktaUserId(request, async (id) => await this.client.listFactors(id))
  }

  /**
   * The active factor ids of the signed-in user of `request` (the Okta user bound in its session), none while Okta
   * would refuse their sign-in (suspended, deactivated, locked out): what a remembered device is bound to.
   */
  async activeFactorIdsIn (request: DirectoryRequest): Promise<string[]> {
    return await this.withOktaUserId(request, async (id) => await activeFactorIdsOf(this.client, id))
  }

  /**
   * Whether Okta holds the signed-in user's account where no code can pass: locked out (its E0000069 to a code),
   * suspended or deactivated (E0000038), so the code page says so before a code is typed. False when Okta cannot say.
   */
  async signInRefused (request: DirectoryRequest): Promise<boolean> {
    try {
      const user = await this.withOktaUserId(request, async (id) => await this.client.getUser(id))
      return REFUSED_STATUSES.has(user.status)
    } catch {
      return false // unreachable or slow: the code, if one is sent, gets its own answer
    }
  }

  /**
   * The active factor ids of `user` where there is no session (the remembered-device check gets the user only), and
   * none while Okta would refuse the user's sign-in (suspended, deactivated, locked out): the Okta user is looked up
   * by login at each call (created on first use), nothing is kept.
   */
  async activeFactorIds (user: AppUser): Promise<string[]> {
    return await activeFactorIdsOf(this.client, await this.#resolve(user))
  }

  async #resolve (user: AppUser): Promise<string> {
    return await resolveOktaUserId(this.client, resolveOktaUser, user, undefined, { provision: true })
  }
}

/**
 * Whether `err` is Okta's own 404 (its E0000007 body): a 404 page without Okta's body is a proxy's or a firewall's
 * in front of Okta, which says nothing of the user or the factor (the core reads it as Okta unavailable).
 */
export function isOktaNotFound (err: unknown): boolean {
  const e = err as { code?: unknown, errorCode?: unknown } | null
  return e?.code === 'OKTA_NOT_FOUND' && typeof e.errorCode === 'string'
}
