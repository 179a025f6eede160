// The Users methods of the client, in a class of their own that OktaClient extends (client.ts keeps the rest).
import type { RequestOptions, Transport } from './transport.js'
import type { CreateUserQuery, CreateUserRequest, ListUsersQuery, OktaUser, UpdateUserRequest, UserActivationToken } from './types.js'
import * as users from './users.js'

/**
 * The Users API half of {@link OktaClient}: create, get, list, update and the lifecycle operations. Use it through
 * an `OktaClient` (`createOktaClient`); it is not constructed on its own.
 *
 * @example
 * ```ts
 * const user = await client.getUser('isaac.brock@example.com')
 * ```
 */
export class OktaUsersClient {
  readonly #t: Transport

  /** @param transport - the client's transport (internal: `OktaClient` passes its own). */
  protected constructor (transport: Transport) {
    this.#t = transport
  }

  /**
   * Creates a user. Without `credentials` the user has no password (Okta's "create user without
   * credentials"): `STAGED` with `activate: false`, `PROVISIONED` with `activate: true` (Okta's default).
   *
   * @example
   * ```ts
   * const user = await client.createUser({ profile: { login: 'a@example.com', email: 'a@example.com' } }, { activate: true })
   * ```
   */
  async createUser (body: CreateUserRequest, query?: CreateUserQuery, opts?: RequestOptions): Promise<OktaUser> {
    return await users.createUser(this.#t, body, query, opts)
  }

  /**
   * Gets a user by id or by login (percent-encoded into the path, so `a+b@example.com` works).
   *
   * @example
   * ```ts
   * const user = await client.getUser('dade.murphy+mfa@example.com')
   * ```
   */
  async getUser (idOrLogin: string, opts?: RequestOptions): Promise<OktaUser> {
    return await users.getUser(this.#t, idOrLogin, opts)
  }

  /**
   * Lists users as an async iterator that fetches page after page, following `Link: rel="next"`.
   * `limit` is the page size. Nothing is fetched until the first iteration; `break` stops fetching.
   *
   * @example
   * ```ts
   * for await (const user of client.listUsers({ search: 'profile.department eq "Engineering"', limit: 200 })) {
   *   console.log(user.profile.login)
   * }
   * ```
   */
  listUsers (query?: ListUsersQuery, opts?: RequestOptions): AsyncIterableIterator<OktaUser> {
    return users.listUsers(this.#t, query, opts)
  }

  /**
   * Changes some of a user's profile (Okta's partial update): the properties sent replace theirs, a `null` removes
   * one, the others stay. Rename a user with `{ profile: { login, email } }`; a login another user has is refused
   * (`ValidationError`, 400 `E0000001`), as is a deactivated user (403 `E0000038`). Needs `okta.users.manage`.
   *
   * @example
   * ```ts
   * const renamed = await client.updateUser(user.id, { profile: { login: 'ada.l@example.com', email: 'ada.l@example.com' } })
   * ```
   */
  async updateUser (userId: string, body: UpdateUserRequest, opts?: RequestOptions): Promise<OktaUser> {
    return await users.updateUser(this.#t, userId, body, opts)
  }

  /**
   * Activates a `STAGED` or `DEPROVISIONED` user. With `sendEmail: false` Okta sends no activation email and answers
   * the activation link (`{ activationUrl, activationToken }`, secrets) for the app to send; otherwise Okta emails the
   * user and this resolves to `undefined`.
   *
   * @example
   * ```ts
   * const { activationUrl } = await client.activateUser(user.id, { sendEmail: false })
   * await client.activateUser(other.id) // Okta emails the link
   * ```
   */
  async activateUser (userId: string, query: {
    /** `false`: Okta sends no email and answers the activation link. */
    sendEmail: false
  }, opts?: RequestOptions): Promise<UserActivationToken>
  async activateUser (userId: string, query?: {
    /** `true` or absent (Okta's default): Okta emails the user the activation link. */
    sendEmail?: true | undefined
  }, opts?: RequestOptions): Promise<undefined>
  async activateUser (userId: string, query?: {
    /** Whether Okta emails the user the activation link (Okta's default: `true`); with `false` it answers the link. */
    sendEmail?: boolean | undefined
  }, opts?: RequestOptions): Promise<UserActivationToken | undefined>
  async activateUser (userId: string, query?: { sendEmail?: boolean | undefined }, opts?: RequestOptions): Promise<UserActivationToken | undefined> {
    return await users.activateUser(this.#t, userId, query, opts)
  }

  /**
   * Deactivates a user (status `DEPROVISIONED`); the step before `deleteUser`.
   *
   * @example
   * ```ts
   * await client.deactivateUser(user.id)
   * ```
   */
  async deactivateUser (userId: string, opts?: RequestOptions): Promise<void> {
    await users.deactivateUser(this.#t, userId, opts)
  }

  /**
   * Deletes a deactivated user (on an active user, Okta deactivates it instead: call twice).
   *
   * @example
   * ```ts
   * await client.deactivateUser(user.id); await client.deleteUser(user.id)
   * ```
   */
  async deleteUser (userId: string, opts?: RequestOptions): Promise<void> {
    await users.deleteUser(this.#t, userId, opts)
  }

  /**
   * Unlocks a `LOCKED_OUT` user (for example after too many wrong passcodes).
   *
   * @example
   * ```ts
   * await client.unlockUser(user.id)
   * ```
   */
  async unlockUser (userId: string, opts?: RequestOptions): Promise<void> {
    await users.unlockUser(this.#t, userId, opts)
  }

  /**
   * Resets (unenrolls) every factor of a user.
   *
   * @example
   * ```ts
   * await client.resetFactors(user.id)
   * ```
   */
  async resetFactors (userId: string, opts?: RequestOptions): Promise<void> {
    await users.resetFactors(this.#t, userId, opts)
  }
}
