/**
 * Every failure of the client is one of these classes, each with a stable `code`. Match on `code`,
 * not on `instanceof` or message text. No error ever holds the API token: messages are built from
 * status codes and Okta's own summaries only, and `toJSON()` lists an explicit set of fields.
 *
 * @module
 */

/**
 * Every `code` an error of this package can carry, with what it means.
 *
 * @example
 * ```ts
 * for (const [code, meaning] of Object.entries(OKTA_ERROR_CODES)) console.log(code, meaning)
 * ```
 */
export const OKTA_ERROR_CODES = {
  OKTA_API_ERROR: 'any other Okta error body',
  OKTA_INVALID_PASSCODE: 'E0000068: the passcode or answer is wrong',
  OKTA_PASSCODE_REPLAYED: 'E0000082: the passcode was already used once',
  OKTA_USER_LOCKED: 'E0000069: the user is locked out',
  OKTA_RATE_LIMITED: 'HTTP 429 (E0000047, E0000109, E0000118, E0000133)',
  OKTA_NOT_FOUND: 'E0000007 or HTTP 404',
  OKTA_VALIDATION: 'E0000001, E0000003 or HTTP 400',
  OKTA_AUTHENTICATION: 'E0000005, E0000006, E0000011 or HTTP 401',
  OKTA_TIMEOUT: 'the per-request timeout elapsed',
  OKTA_CONNECTION: 'connection refused, reset, DNS failure, socket closed',
  OKTA_INVALID_RESPONSE: 'a response that is not what Okta sends (not JSON, no Content-Type, wrong shape, too large, 5xx without an Okta body, redirect)',
  OKTA_ABORTED: "the caller's AbortSignal fired",
  OKTA_CLIENT_CLOSED: 'the client was closed',
  OKTA_INVALID_CLIENT: 'OAuth invalid_client at the token endpoint: unknown client id, wrong key, wrong audience, expired or reused assertion',
  OKTA_INVALID_SCOPE: 'OAuth invalid_scope at the token endpoint: a requested scope is not granted to the app',
  OKTA_OAUTH_ERROR: 'any other OAuth error of the token endpoint, a 4xx with a JSON body (invalid_request, unsupported_grant_type, ...)',
  OKTA_DPOP_REJECTED: 'invalid_dpop_proof, or use_dpop_nonce again after one retry with the server nonce',
  OKTA_INSUFFICIENT_SCOPE: 'HTTP 403 with WWW-Authenticate error="insufficient_scope": the token lacks the scope the operation needs',
  OKTA_INVALID_TOKEN: 'HTTP 401 on an OAuth access token again after one transparent refresh (expired or revoked token)',
} as const

/**
 * Union of every error `code`.
 *
 * @example
 * ```ts
 * const unavailable: OktaClientErrorCode[] = ['OKTA_TIMEOUT', 'OKTA_CONNECTION', 'OKTA_INVALID_RESPONSE']
 * ```
 */
export type OktaClientErrorCode = keyof typeof OKTA_ERROR_CODES

/**
 * One entry of Okta's `errorCauses`.
 *
 * @example
 * ```ts
 * const cause: OktaErrorCause = { errorSummary: 'A factor of this type is already set up.' }
 * ```
 */
export interface OktaErrorCause {
  /** Okta's summary of this cause. */
  errorSummary: string
  [extra: string]: unknown
}

/**
 * Options shared by every error constructor.
 *
 * @example
 * ```ts
 * new ConnectionError('could not reach Okta', { cause: err, causeCode: 'ECONNRESET' })
 * ```
 */
export interface OktaClientErrorOptions {
  /** The underlying error, when there is one. */
  cause?: unknown
  /** `X-Okta-Request-Id` of the response, when there was one. */
  requestId?: string | undefined
}

/**
 * Base class of every error this package throws.
 *
 * @example
 * ```ts
 * try { await client.getUser('nobody@example.com') } catch (err) {
 *   if (err instanceof OktaClientError && err.code === 'OKTA_NOT_FOUND') return null
 *   throw err
 * }
 * ```
 */
export class OktaClientError extends Error {
  /** Stable, machine-readable kind of failure. */
  readonly code: OktaClientErrorCode
  /** `X-Okta-Request-Id` of the response, when a response arrived. */
  readonly requestId: string | undefined

  constructor (code: OktaClientErrorCode, message: string, options: OktaClientErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.code = code
    this.requestId = options.requestId
  }

  /**
   * `true` when the call failed while getting its OAuth access token: the token endpoint timed out, could not be
   * reached, refused the app or answered what cannot be read. Okta's API then never acted on the call (it was not sent,
   * or was refused for its token before), so it is safe to treat as not done: a passcode it carried was not judged.
   * Always `false` with an API token (SSWS) or your own `auth.header()`.
   */
  get tokenRequest (): boolean {
    return FROM_TOKEN_REQUEST.has(this)
  }

  /** A plain object safe to log: name, code, message, request id and the Okta fields; never headers or the cause. */
  toJSON (): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, requestId: this.requestId }
  }
}

/** Errors of a token request (see `OktaClientError.tokenRequest`). */
const FROM_TOKEN_REQUEST = new WeakSet<OktaClientError>()

/** Marks `err`, when it is one of this package's errors, as a failure of the token request; returns it. Internal. */
export function fromTokenRequest (err: unknown): unknown {
  if (err instanceof OktaClientError) FROM_TOKEN_REQUEST.add(err)
  return err
}

/**
 * Fields of an Okta error body plus the HTTP status.
 *
 * @example
 * ```ts
 * new OktaApiError({ status: 500, errorCode: 'E0000009', errorSummary: 'Internal Server Error' })
 * ```
 */
export interface OktaApiErrorDetails extends OktaClientErrorOptions {
  /** HTTP status of the response. */
  status: number
  /** Okta's error code, e.g. `E0000068`. */
  errorCode?: string | undefined
  /** Okta's human-readable summary. */
  errorSummary?: string | undefined
  /** Okta's error instance id (`oae…`). */
  errorId?: string | undefined
  /** Okta's `errorLink` (equal to the error code). */
  errorLink?: string | undefined
  /** Okta's list of causes. */
  errorCauses?: OktaErrorCause[] | undefined
}

function apiMessage (d: OktaApiErrorDetails): string {
  const head = d.errorCode === undefined ? `Okta answered HTTP ${d.status}` : `Okta ${d.errorCode} (HTTP ${d.status})`
  const summary = d.errorSummary === undefined ? '' : `: ${d.errorSummary}`
  const causes = (d.errorCauses ?? []).map((c) => c.errorSummary).filter((s) => typeof s === 'string' && s !== '')
  return head + summary + (causes.length > 0 ? ` (${causes.join('; ')})` : '')
}

/**
 * Okta answered with an error (4xx, or 5xx with an Okta JSON error body). Subclasses name the cases
 * MFA code must tell apart; everything else is this class with code `OKTA_API_ERROR`.
 *
 * @example
 * ```ts
 * if (err instanceof OktaApiError && err.status >= 500) serveDegradedPage()
 * ```
 */
export class OktaApiError extends OktaClientError {
  /** HTTP status of the response. */
  readonly status: number
  /** Okta's error code, e.g. `E0000068`; undefined when the body was not an Okta error. */
  readonly errorCode: string | undefined
  /** Okta's human-readable summary. */
  readonly errorSummary: string | undefined
  /** Okta's error instance id (`oae…`). */
  readonly errorId: string | undefined
  /** Okta's `errorLink` (equal to the error code). */
  readonly errorLink: string | undefined
  /** Okta's list of causes, `[]` when none. */
  readonly errorCauses: OktaErrorCause[]

  constructor (details: OktaApiErrorDetails, code: OktaClientErrorCode = 'OKTA_API_ERROR') {
    super(code, apiMessage(details), details)
    this.status = details.status
    this.errorCode = details.errorCode
    this.errorSummary = details.errorSummary
    this.errorId = details.errorId
    this.errorLink = details.errorLink
    this.errorCauses = details.errorCauses ?? []
  }

  override toJSON (): Record<string, unknown> {
    return {
      ...super.toJSON(),
      status: this.status,
      errorCode: this.errorCode,
      errorSummary: this.errorSummary,
      errorId: this.errorId,
      errorLink: this.errorLink,
      errorCauses: this.errorCauses,
    }
  }
}

/**
 * E0000068: the passcode or security answer does not match. Not retryable with the same code.
 *
 * @example
 * ```ts
 * if (err.code === 'OKTA_INVALID_PASSCODE') return res.status(401).json({ code: 'INVALID_PASSCODE' })
 * ```
 */
export class InvalidPasscodeError extends OktaApiError {
  declare readonly code: 'OKTA_INVALID_PASSCODE'
  constructor (details: OktaApiErrorDetails) { super(details, 'OKTA_INVALID_PASSCODE') }
}

/**
 * E0000082: the passcode was already accepted once; wait for the next one.
 *
 * @example
 * ```ts
 * if (err.code === 'OKTA_PASSCODE_REPLAYED') flash('That code was already used: wait for the next one.')
 * ```
 */
export class PasscodeReplayedError extends OktaApiError {
  declare readonly code: 'OKTA_PASSCODE_REPLAYED'
  constructor (details: OktaApiErrorDetails) { super(details, 'OKTA_PASSCODE_REPLAYED') }
}

/**
 * E0000069: the user is locked out (too many failed verifications) until an admin unlocks them.
 *
 * @example
 * ```ts
 * if (err.code === 'OKTA_USER_LOCKED') await client.unlockUser(userId) // an admin action
 * ```
 */
export class UserLockedError extends OktaApiError {
  declare readonly code: 'OKTA_USER_LOCKED'
  constructor (details: OktaApiErrorDetails) { super(details, 'OKTA_USER_LOCKED') }
}

/**
 * Details of a 429.
 *
 * @example
 * ```ts
 * new RateLimitedError({ status: 429, errorCode: 'E0000047', resetAt: new Date(reset * 1000), retryAfterSeconds: 30 })
 * ```
 */
export interface RateLimitDetails extends OktaApiErrorDetails {
  /** When the limit resets, from `X-Rate-Limit-Reset`. */
  resetAt?: Date | undefined
  /** Seconds until the reset, measured against the response's `Date` header when present. */
  retryAfterSeconds?: number | undefined
}

/**
 * HTTP 429 (E0000047 API rate limit, E0000109 sms, E0000118 email, E0000133 call resent too soon).
 *
 * @example
 * ```ts
 * if (err instanceof RateLimitedError) reply.header('retry-after', String(err.retryAfterSeconds ?? 60))
 * ```
 */
export class RateLimitedError extends OktaApiError {
  declare readonly code: 'OKTA_RATE_LIMITED'
  /** When the limit resets, from `X-Rate-Limit-Reset`; undefined when the header was absent. */
  readonly resetAt: Date | undefined
  /** Seconds until the reset, measured against the response's `Date` header when present. */
  readonly retryAfterSeconds: number | undefined

  constructor (details: RateLimitDetails) {
    super(details, 'OKTA_RATE_LIMITED')
    this.resetAt = details.resetAt
    this.retryAfterSeconds = details.retryAfterSeconds
  }

  override toJSON (): Record<string, unknown> {
    return { ...super.toJSON(), resetAt: this.resetAt?.toISOString(), retryAfterSeconds: this.retryAfterSeconds }
  }
}

/**
 * E0000007 or HTTP 404: the user, factor or transaction does not exist.
 *
 * @example
 * ```ts
 * const user = await client.getUser(login).catch((err) => { if (err.code === 'OKTA_NOT_FOUND') return undefined; throw err })
 * ```
 */
export class NotFoundError extends OktaApiError {
  declare readonly code: 'OKTA_NOT_FOUND'
  constructor (details: OktaApiErrorDetails) { super(details, 'OKTA_NOT_FOUND') }
}

/**
 * E0000001, E0000003 or HTTP 400: Okta rejected the request (see `errorCauses`).
 *
 * @example
 * ```ts
 * if (err.code === 'OKTA_VALIDATION') console.warn(err.errorCauses.map((c) => c.errorSummary))
 * ```
 */
export class ValidationError extends OktaApiError {
  declare readonly code: 'OKTA_VALIDATION'
  constructor (details: OktaApiErrorDetails) { super(details, 'OKTA_VALIDATION') }
}

/**
 * E0000005, E0000006, E0000011 or HTTP 401: the API token is missing, wrong, or lacks permission.
 *
 * @example
 * ```ts
 * if (err.code === 'OKTA_AUTHENTICATION') logger.error({ err }, 'check OKTA_API_TOKEN') // toJSON() holds no token
 * ```
 */
export class AuthenticationError extends OktaApiError {
  declare readonly code: 'OKTA_AUTHENTICATION'
  constructor (details: OktaApiErrorDetails) { super(details, 'OKTA_AUTHENTICATION') }
}

/**
 * The per-request timeout (`timeoutMs`) elapsed before the response was complete. Retryable.
 *
 * @example
 * ```ts
 * if (err.code === 'OKTA_TIMEOUT') return reply.code(503).send({ code: 'UPSTREAM_UNAVAILABLE' })
 * ```
 */
export class TimeoutError extends OktaClientError {
  declare readonly code: 'OKTA_TIMEOUT'
  /** The timeout that elapsed, milliseconds. */
  readonly timeoutMs: number
  constructor (timeoutMs: number, options: OktaClientErrorOptions = {}) {
    super('OKTA_TIMEOUT', `Okta did not answer within ${timeoutMs} ms`, options)
    this.timeoutMs = timeoutMs
  }

  override toJSON (): Record<string, unknown> {
    return { ...super.toJSON(), timeoutMs: this.timeoutMs }
  }
}

/**
 * The connection failed: refused, reset, DNS, socket closed. Retryable.
 *
 * @example
 * ```ts
 * if (err.code === 'OKTA_CONNECTION') logger.warn(`Okta unreachable: ${err.causeCode}`)
 * ```
 */
export class ConnectionError extends OktaClientError {
  declare readonly code: 'OKTA_CONNECTION'
  /** The system or undici error code (`ECONNREFUSED`, `UND_ERR_SOCKET`, ...), when known. */
  readonly causeCode: string | undefined
  constructor (message: string, options: OktaClientErrorOptions & {
    /** The system or undici error code (`ECONNREFUSED`, `UND_ERR_SOCKET`, ...), when known. */
    causeCode?: string | undefined
  } = {}) {
    super('OKTA_CONNECTION', message, options)
    this.causeCode = options.causeCode
  }

  override toJSON (): Record<string, unknown> {
    return { ...super.toJSON(), causeCode: this.causeCode }
  }
}

/**
 * The response is not what Okta sends: not JSON, no Content-Type, a 2xx of the wrong shape, too large, a 5xx without an Okta
 * error body (an HTML page; at the token endpoint an OAuth `server_error` too), a redirect.
 *
 * @example
 * ```ts
 * if (err.code === 'OKTA_INVALID_RESPONSE') logger.error({ status: err.status, requestId: err.requestId }, 'bad answer from Okta')
 * ```
 */
export class InvalidResponseError extends OktaClientError {
  declare readonly code: 'OKTA_INVALID_RESPONSE'
  /** HTTP status of the response. */
  readonly status: number | undefined
  constructor (message: string, options: OktaClientErrorOptions & {
    /** HTTP status of the response, when there was one. */
    status?: number | undefined
  } = {}) {
    super('OKTA_INVALID_RESPONSE', message, options)
    this.status = options.status
  }

  override toJSON (): Record<string, unknown> {
    return { ...super.toJSON(), status: this.status }
  }
}

/**
 * The caller's `signal` aborted the request; `cause` is the signal's reason.
 *
 * @example
 * ```ts
 * await client.getUser(id, { signal: request.signal }) // rejects with OKTA_ABORTED when the browser goes away
 * ```
 */
export class AbortedError extends OktaClientError {
  declare readonly code: 'OKTA_ABORTED'
  constructor (options: OktaClientErrorOptions = {}) {
    super('OKTA_ABORTED', 'the request was aborted by its signal', options)
  }
}

/**
 * A method was called after `close()`.
 *
 * @example
 * ```ts
 * await client.close(); await client.getUser(id) // rejects with OKTA_CLIENT_CLOSED
 * ```
 */
export class ClientClosedError extends OktaClientError {
  declare readonly code: 'OKTA_CLIENT_CLOSED'
  constructor () {
    super('OKTA_CLIENT_CLOSED', 'the Okta client is closed')
  }
}

/**
 * True for any error thrown by this package.
 *
 * @example
 * ```ts
 * if (isOktaClientError(err) && err.code === 'OKTA_TIMEOUT') retryLater()
 * ```
 */
export function isOktaClientError (err: unknown): err is OktaClientError {
  return err instanceof OktaClientError
}
