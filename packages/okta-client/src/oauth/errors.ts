/**
 * The OAuth 2.0 errors of the client: token endpoint refusals (`invalid_client`, `invalid_scope`,
 * any other), DPoP refusals, and the API's `insufficient_scope` and refused tokens. Their codes are
 * in `OKTA_ERROR_CODES` with every other code. None ever holds the key, an assertion, a proof or a token.
 *
 * @module
 */
import { OktaApiError, OktaClientError } from '../errors.js'
import type { OktaApiErrorDetails, OktaClientErrorCode, OktaClientErrorOptions } from '../errors.js'

/**
 * Fields of an OAuth 2.0 error (RFC 6749 §5.2 body, or a `WWW-Authenticate` challenge).
 *
 * @example
 * ```ts
 * new InvalidClientError({ status: 401, error: 'invalid_client', errorDescription: 'The client_assertion signature is invalid.' })
 * ```
 */
export interface OAuthErrorDetails extends OktaClientErrorOptions {
  /** HTTP status of the response. */
  status: number
  /** The OAuth `error` code, e.g. `invalid_client`. */
  error: string
  /** The server's `error_description` (control characters removed, at most 300 characters). */
  errorDescription?: string | undefined
}

function clean (text: string | undefined): string | undefined {
  return text === undefined ? undefined : text.replace(/[\x00-\x1f\x7f]/g, ' ').slice(0, 300)
}

/**
 * An OAuth 2.0 error: from the token endpoint (`{"error","error_description"}`) or a DPoP challenge
 * of the API. Never holds the key, the assertion or a token. Subclasses name the cases to tell apart.
 *
 * @example
 * ```ts
 * if (err instanceof OAuthError) logger.error({ err }, `Okta refused the OAuth request: ${err.error}`)
 * ```
 */
export class OAuthError extends OktaClientError {
  /** HTTP status of the response. */
  readonly status: number
  /** The OAuth `error` code. */
  readonly error: string
  /** The server's description, when it gave one. */
  readonly errorDescription: string | undefined

  constructor (details: OAuthErrorDetails, code: OktaClientErrorCode = 'OKTA_OAUTH_ERROR') {
    const description = clean(details.errorDescription)
    super(code, `Okta OAuth ${clean(details.error)!.slice(0, 60)} (HTTP ${details.status})${description === undefined ? '' : `: ${description}`}`, details)
    this.status = details.status
    this.error = clean(details.error)!.slice(0, 60)
    this.errorDescription = description
  }

  override toJSON (): Record<string, unknown> {
    return { ...super.toJSON(), status: this.status, error: this.error, errorDescription: this.errorDescription }
  }
}

/**
 * `invalid_client`: Okta did not accept the client assertion (unknown client id, a key Okta does not
 * know for the app, wrong audience, an expired or reused assertion). Check `clientId`, `privateKey`, `keyId`.
 *
 * @example
 * ```ts
 * if (err.code === 'OKTA_INVALID_CLIENT') logger.fatal('check OKTA_CLIENT_ID, OKTA_PRIVATE_KEY and OKTA_KEY_ID')
 * ```
 */
export class InvalidClientError extends OAuthError {
  declare readonly code: 'OKTA_INVALID_CLIENT'
  constructor (details: OAuthErrorDetails) { super(details, 'OKTA_INVALID_CLIENT') }
}

/**
 * `invalid_scope`: a requested scope is not granted to the app (Okta Admin Console, the app's "Okta API Scopes").
 *
 * @example
 * ```ts
 * if (err.code === 'OKTA_INVALID_SCOPE') logger.fatal(`grant the scopes to the app: ${err.errorDescription}`)
 * ```
 */
export class InvalidScopeError extends OAuthError {
  declare readonly code: 'OKTA_INVALID_SCOPE'
  constructor (details: OAuthErrorDetails) { super(details, 'OKTA_INVALID_SCOPE') }
}

/**
 * Okta refused a DPoP proof (`invalid_dpop_proof`), or asked for a nonce again after the one retry
 * with its nonce (`use_dpop_nonce`).
 *
 * @example
 * ```ts
 * if (err.code === 'OKTA_DPOP_REJECTED') logger.error({ err }, 'DPoP proof refused (clock skew?)')
 * ```
 */
export class DpopRejectedError extends OAuthError {
  declare readonly code: 'OKTA_DPOP_REJECTED'
  constructor (details: OAuthErrorDetails) { super(details, 'OKTA_DPOP_REJECTED') }
}

/**
 * HTTP 403 with `WWW-Authenticate: ... error="insufficient_scope"`: the access token lacks the scope
 * the operation needs (`requiredScopes`, from the challenge's `scope`).
 *
 * @example
 * ```ts
 * if (err instanceof InsufficientScopeError) logger.error(`add ${err.requiredScopes.join(' ')} to "scopes"`)
 * ```
 */
export class InsufficientScopeError extends OktaApiError {
  declare readonly code: 'OKTA_INSUFFICIENT_SCOPE'
  /** The scopes the operation needs. */
  readonly requiredScopes: string[]
  constructor (details: OktaApiErrorDetails & {
    /** The scopes the operation needs (the challenge's `scope`). */
    requiredScopes: string[]
  }) {
    super(details, 'OKTA_INSUFFICIENT_SCOPE')
    this.requiredScopes = details.requiredScopes
  }

  override toJSON (): Record<string, unknown> {
    return { ...super.toJSON(), requiredScopes: this.requiredScopes }
  }
}

/**
 * HTTP 401 on an OAuth access token even after one transparent refresh: the new token was refused
 * too (revoked as soon as issued, or the app was deactivated).
 *
 * @example
 * ```ts
 * if (err.code === 'OKTA_INVALID_TOKEN') logger.error('Okta keeps refusing fresh tokens: is the service app active?')
 * ```
 */
export class InvalidTokenError extends OktaApiError {
  declare readonly code: 'OKTA_INVALID_TOKEN'
  constructor (details: OktaApiErrorDetails) { super(details, 'OKTA_INVALID_TOKEN') }
}
