// The client object: validated configuration, one transport, and a method per Okta operation.
import { inspect } from 'node:util'
import * as factors from './factors.js'
import type { VerifyRequestOptions } from './factors.js'
import { resolveOptions } from './options.js'
import type { OktaClientOptions } from './options.js'
import { Transport } from './transport.js'
import type { RequestOptions } from './transport.js'
import type {
  CatalogFactor, CreateUserQuery, CreateUserRequest, EnrollFactorQuery, EnrollFactorRequest, ListUsersQuery, OktaUser,
  ResendFactorBody, SecurityQuestion, UserFactor, VerifyFactorBody, VerifyFactorQuery, VerifyFactorResult,
} from './types.js'
import * as users from './users.js'

/**
 * A typed client for Okta's Users and Factors API. Options are validated at construction; a bad one
 * throws a `TypeError` naming it. The API token is kept in a closure, never on the object.
 *
 * @example
 * ```ts
 * const client = new OktaClient({ orgUrl: 'https://dev-123456.okta.com', token: process.env.OKTA_API_TOKEN! })
 * const user = await client.getUser('isaac.brock@example.com')
 * const factors = await client.listFactors(user.id)
 * await client.close()
 * ```
 */
export class OktaClient {
  readonly #t: Transport

  constructor (options: OktaClientOptions) {
    this.#t = new Transport(resolveOptions(options))
  }

  /** The org URL requests go to, without a trailing slash. */
  get orgUrl (): string {
    return this.#t.orgUrl
  }

  /** Closes the keep-alive connections of the client's own dispatcher (an injected dispatcher stays open). Idempotent. */
  async close (): Promise<void> {
    await this.#t.close()
  }

  // Users

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
   * Activates a `STAGED` or `DEPROVISIONED` user.
   *
   * @example
   * ```ts
   * await client.activateUser(user.id, { sendEmail: false })
   * ```
   */
  async activateUser (userId: string, query?: { sendEmail?: boolean }, opts?: RequestOptions): Promise<void> {
    await users.activateUser(this.#t, userId, query, opts)
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

  // Factors

  /**
   * Lists the factors a user has enrolled.
   *
   * @example
   * ```ts
   * const active = (await client.listFactors(user.id)).filter((f) => f.status === 'ACTIVE')
   * ```
   */
  async listFactors (userId: string, opts?: RequestOptions): Promise<UserFactor[]> {
    return await factors.listFactors(this.#t, userId, opts)
  }

  /**
   * Lists the factors a user may enroll.
   *
   * @example
   * ```ts
   * const canTotp = (await client.listFactorCatalog(user.id)).some((f) => f.factorType === 'token:software:totp')
   * ```
   */
  async listFactorCatalog (userId: string, opts?: RequestOptions): Promise<CatalogFactor[]> {
    return await factors.listFactorCatalog(this.#t, userId, opts)
  }

  /**
   * Lists the security questions a user may choose for a `question` factor.
   *
   * @example
   * ```ts
   * const questions = await client.listSecurityQuestions(user.id)
   * ```
   */
  async listSecurityQuestions (userId: string, opts?: RequestOptions): Promise<SecurityQuestion[]> {
    return await factors.listSecurityQuestions(this.#t, userId, opts)
  }

  /**
   * Gets one enrolled factor.
   *
   * @example
   * ```ts
   * const factor = await client.getFactor(user.id, factorId)
   * ```
   */
  async getFactor (userId: string, factorId: string, opts?: RequestOptions): Promise<UserFactor> {
    return await factors.getFactor(this.#t, userId, factorId, opts)
  }

  /**
   * Enrolls a factor. A TOTP factor comes back `PENDING_ACTIVATION` with its shared secret and QR link
   * (see `totpActivation`); activate it with a first code.
   *
   * @example
   * ```ts
   * const factor = await client.enrollFactor(user.id, { factorType: 'token:software:totp', provider: 'GOOGLE' })
   * ```
   */
  async enrollFactor (userId: string, body: EnrollFactorRequest, query?: EnrollFactorQuery, opts?: RequestOptions): Promise<UserFactor> {
    return await factors.enrollFactor(this.#t, userId, body, query, opts)
  }

  /**
   * Activates a pending factor with its first passcode. Never waits on a rate limit.
   *
   * @example
   * ```ts
   * const active = await client.activateFactor(user.id, factor.id, { passCode: '123456' })
   * ```
   */
  async activateFactor (userId: string, factorId: string, body: { passCode: string }, opts?: RequestOptions): Promise<UserFactor> {
    return await factors.activateFactor(this.#t, userId, factorId, body, opts)
  }

  /**
   * Verifies a factor: a passcode or an answer, or no body to send an sms/call/email code (answer
   * `CHALLENGE`) or a push (`WAITING`). A wrong code rejects with code `OKTA_INVALID_PASSCODE`, a reused
   * one with `OKTA_PASSCODE_REPLAYED`. Never waits on a rate limit. `opts.context` forwards the end
   * user's IP, User-Agent and Accept-Language.
   *
   * @example
   * ```ts
   * const r = await client.verifyFactor(user.id, factor.id, { passCode }, {}, { context: { ip: req.ip } })
   * if (r.factorResult === 'SUCCESS') markMfaDone()
   * ```
   */
  verifyFactor (
    userId: string, factorId: string, body?: VerifyFactorBody, query?: VerifyFactorQuery, opts?: VerifyRequestOptions,
  ): Promise<VerifyFactorResult> {
    // The hot path of every MFA step: the module's promise as is (it is async, so its errors are rejections too).
    return factors.verifyFactor(this.#t, userId, factorId, body, query, opts)
  }

  /**
   * Resends the enrollment code of an sms, call or email factor.
   *
   * @example
   * ```ts
   * await client.resendFactor(user.id, smsFactor.id, { factorType: 'sms', provider: 'OKTA', profile: { phoneNumber } })
   * ```
   */
  async resendFactor (userId: string, factorId: string, body?: ResendFactorBody, opts?: RequestOptions): Promise<UserFactor> {
    return await factors.resendFactor(this.#t, userId, factorId, body, opts)
  }

  /**
   * Unenrolls a factor.
   *
   * @example
   * ```ts
   * await client.deleteFactor(user.id, factor.id)
   * ```
   */
  async deleteFactor (userId: string, factorId: string, opts?: RequestOptions): Promise<void> {
    await factors.deleteFactor(this.#t, userId, factorId, opts)
  }

  /**
   * Polls a push verification (`WAITING` until the user approves or rejects).
   *
   * @example
   * ```ts
   * const r = await client.getFactorTransaction(user.id, pushFactor.id, pollTransactionId(waiting)!)
   * ```
   */
  async getFactorTransaction (userId: string, factorId: string, transactionId: string, opts?: RequestOptions): Promise<VerifyFactorResult> {
    return await factors.getFactorTransaction(this.#t, userId, factorId, transactionId, opts)
  }

  /** What `JSON.stringify` shows: the org URL, nothing secret. */
  toJSON (): { orgUrl: string } {
    return { orgUrl: this.orgUrl }
  }

  /** What `util.inspect` / `console.log` show: the org URL, nothing secret. */
  [inspect.custom] (): string {
    return `OktaClient { orgUrl: '${this.orgUrl}'${this.#t.closed ? ', closed' : ''} }`
  }
}

/**
 * Creates a client; the same as `new OktaClient(options)`.
 *
 * @example
 * ```ts
 * import { createOktaClient } from '@okta-mfa/client'
 * const client = createOktaClient({ orgUrl: process.env.OKTA_ORG_URL!, token: process.env.OKTA_API_TOKEN! })
 * ```
 */
export function createOktaClient (options: OktaClientOptions): OktaClient {
  return new OktaClient(options)
}
