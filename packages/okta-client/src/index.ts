// The public surface of @okta-mfa/client. Re-exports only.
export { OktaClient, createOktaClient } from './client.js'
export type { OktaUsersClient } from './client-users.js'
export type { OktaClientOptions } from './options.js'
export type { OktaOAuthOptions } from './oauth/options.js'
export { DEFAULT_TIMEOUT_MS, DEFAULT_RATE_LIMIT_MAX_WAIT_MS } from './options.js'
export { isLoopbackHost } from './loopback.js'
export { ssws } from './auth.js'
export type { OktaAuth } from './auth.js'
export type { RequestOptions } from './transport.js'
export { MAX_BODY_BYTES } from './transport.js'
export type { DeleteFactorOptions, VerifyContext, VerifyRequestOptions } from './factors.js'
export { totpActivation, pollTransactionId } from './helpers.js'
export type { TotpActivation } from './helpers.js'
export { parseLinkHeader, nextLink } from './pagination.js'
export type { ParsedLink } from './pagination.js'
export { VERSION } from './version.js'
export {
  OktaClientError, OktaApiError, InvalidPasscodeError, PasscodeReplayedError, UserLockedError, RateLimitedError,
  NotFoundError, ValidationError, AuthenticationError, TimeoutError, ConnectionError, InvalidResponseError,
  AbortedError, ClientClosedError, isOktaClientError, OKTA_ERROR_CODES,
} from './errors.js'
export { InvalidOptionError } from './invalid-option.js'
export type { OktaClientErrorCode, OktaErrorCause, OktaApiErrorDetails, OktaClientErrorOptions, RateLimitDetails } from './errors.js'
export {
  OAuthError, InvalidClientError, InvalidScopeError, DpopRejectedError, InsufficientScopeError, InvalidTokenError,
} from './oauth/errors.js'
export type { OAuthErrorDetails } from './oauth/errors.js'
export type * from './types.js'
