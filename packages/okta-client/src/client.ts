// The client object: validated configuration, one transport, and a method per Okta operation.
import { inspect } from 'node:util'
import * as factors from './factors.js'
import type { DeleteFactorOptions, VerifyRequestOptions } from './factors.js'
import { resolveOptions } from './options.js'
import type { OktaClientOptions } from './options.js'
import { Transport } from './transport.js'
import type { RequestOptions } from './transport.js'
import type {
  CatalogFactor, EnrollFactorQuery, EnrollFactorRequest, OktaList, PushFactorActivation, ResendFactorBody, SecurityQuestion, UserFactor, VerifyFactorBody,
  VerifyFactorQuery, VerifyFactorResult,
} from './types.js'
import { OktaUsersClient } from './client-users.js'

/**
 * A typed client for Okta's Users and Factors API (the Users methods are {@link OktaUsersClient}'s). Options are validated at construction; a bad one
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
export class OktaClient extends OktaUsersClient {
  readonly #t: Transport

  constructor (options: OktaClientOptions) {
    const transport = new Transport(resolveOptions(options))
    super(transport)
    this.#t = transport
  }

  /** The org URL requests go to, without a trailing slash. */
  get orgUrl (): string {
    return this.#t.orgUrl
  }

  /** Closes the keep-alive connections of the client's own dispatcher (an injected dispatcher stays open). Idempotent. */
  async close (): Promise<void> {
    await this.#t.close()
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
  async listFactors (userId: string, opts?: RequestOptions): Promise<OktaList<UserFactor>> {
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
  async listFactorCatalog (userId: string, opts?: RequestOptions): Promise<OktaList<CatalogFactor>> {
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
  async listSecurityQuestions (userId: string, opts?: RequestOptions): Promise<OktaList<SecurityQuestion>> {
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
   * Activates a pending factor with its first passcode. Without a body, starts a new activation of a pending push
   * enrollment (a new QR code and `expiresAt`, as Okta's activate link does): Okta answers the factor, or the
   * activation itself while it waits ({@link PushFactorActivation}, `WAITING`). Never waits on a rate limit.
   *
   * @example
   * ```ts
   * const active = await client.activateFactor(user.id, factor.id, { passCode: '123456' })
   * ```
   */
  async activateFactor (userId: string, factorId: string, body: {
    /** The factor's first passcode (a secret), e.g. the code the authenticator app or the sms shows. */
    passCode: string
  }, opts?: RequestOptions): Promise<UserFactor>
  async activateFactor (userId: string, factorId: string, body?: {
    /** The factor's first passcode (a secret), e.g. the code the authenticator app or the sms shows. */
    passCode: string
  }, opts?: RequestOptions): Promise<UserFactor | PushFactorActivation>
  async activateFactor (userId: string, factorId: string, body?: {
    /** The factor's first passcode (a secret), e.g. the code the authenticator app or the sms shows. */
    passCode: string
  }, opts?: RequestOptions): Promise<UserFactor | PushFactorActivation> {
    return await factors.activateFactor(this.#t, userId, factorId, body, opts)
  }

  /**
   * Polls a push enrollment: the factor, `ACTIVE`, once Okta Verify scanned its QR code. Until then Okta answers the
   * activation ({@link PushFactorActivation}: `WAITING`, or `TIMEOUT` once expired), or the factor still
   * `PENDING_ACTIVATION` (its `_embedded.activation` says `WAITING` or `TIMEOUT`), as the emulator does. Never waits
   * on a rate limit.
   *
   * @example
   * ```ts
   * const r = await client.pollFactorActivation(user.id, push.id)
   * if (r.factorType !== undefined && r.status === 'ACTIVE') console.log('enrolled') // else poll again, or restart on TIMEOUT
   * ```
   */
  async pollFactorActivation (userId: string, factorId: string, opts?: RequestOptions): Promise<UserFactor | PushFactorActivation> {
    return await factors.pollFactorActivation(this.#t, userId, factorId, opts)
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
   * Unenrolls a factor. `removeRecoveryEnrollment: true` (sms and call factors) also removes the phone number as
   * a recovery method; without it Okta keeps the number for recovery.
   *
   * @example
   * ```ts
   * await client.deleteFactor(user.id, factor.id)
   * await client.deleteFactor(user.id, smsFactor.id, { removeRecoveryEnrollment: true })
   * ```
   */
  async deleteFactor (userId: string, factorId: string, opts?: DeleteFactorOptions): Promise<void> {
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
  toJSON (): {
    /** The org URL the client was created with. */
    orgUrl: string
  } {
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
