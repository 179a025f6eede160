// Which Okta user an app user is, and their factors. The mapping is the one the strategy and the gateway
// use (resolveOktaUser + provision), so the pages, the form and the GraphQL path act on the same Okta user.
import type { OktaClient, UserFactor } from '@okta-mfa/client'
import { resolveOktaUserId, type ResolveOktaUser } from 'passport-okta-mfa'
import type { AppUser } from './users.js'

/**
 * The app's mapping: the Okta user whose login is the app user's `oktaLogin`, with a profile for provisioning.
 * @example
 * resolveOktaUser({ id: 'u1', username: 'alice', displayName: 'Alice Example', oktaLogin: 'alice@example.com' })
 */
export const resolveOktaUser: ResolveOktaUser<AppUser> = (user) => {
  const [firstName, ...rest] = user.displayName.split(' ')
  return { login: user.oktaLogin, profile: { email: user.oktaLogin, firstName: firstName ?? user.username, lastName: rest.join(' ') || user.username } }
}

/** Looks up (and caches) Okta user ids, and lists factors. */
export class OktaDirectory {
  /** App user id -> Okta user id. Only a cache: losing it costs one lookup. */
  private readonly ids = new Map<string, string>()

  constructor (private readonly client: OktaClient) {}

  /** The Okta user id of `user`, creating the Okta user (without credentials) on first use. */
  async oktaUserId (user: AppUser): Promise<string> {
    const cached = this.ids.get(user.id)
    if (cached !== undefined) return cached
    const id = await resolveOktaUserId(this.client, resolveOktaUser, user, undefined, { provision: true })
    this.ids.set(user.id, id)
    return id
  }

  /**
   * Runs `call` with the Okta id of `user`. When Okta answers 404 (OKTA_NOT_FOUND) for a cached id, the Okta user may
   * be gone (deleted, perhaps re-created under a new id): the entry is dropped and the user looked up again, once, and
   * `call` runs again only when the id changed (the same id: the 404 was about something else, such as a factor).
   */
  async withOktaUserId<T> (user: AppUser, call: (oktaUserId: string) => Promise<T>): Promise<T> {
    const cached = this.ids.get(user.id)
    const id = cached ?? await this.oktaUserId(user)
    try {
      return await call(id)
    } catch (err) {
      if (cached === undefined || (err as { code?: unknown } | null)?.code !== 'OKTA_NOT_FOUND') throw err
      if (this.ids.get(user.id) === id) this.ids.delete(user.id)
      const fresh = await this.oktaUserId(user)
      if (fresh === id) throw err
      return await call(fresh)
    }
  }

  /** All factors of `user`, as Okta lists them. */
  async factors (user: AppUser): Promise<UserFactor[]> {
    return await this.withOktaUserId(user, async (id) => await this.client.listFactors(id))
  }
}
