// The reading of one answer of the token endpoint: a token, a nonce request, or a coded error. A 429
// and an Okta error body map as on the API (error-mapping.ts, rate-limit.ts); an OAuth body maps to
// the OAuth errors, read only from a 4xx with a JSON Content-Type; a 200 is read only as JSON; a
// redirect, and a 5xx without an Okta body, are invalid responses (Okta unavailable), as on the API.
// Nothing here quotes the token.
import { isJsonType, quoteType } from '../content-type.js'
import { mapOktaError, oktaErrorFields, redactFields } from '../error-mapping.js'
import { InvalidResponseError } from '../errors.js'
import { headerValue, rateLimitInfo } from '../rate-limit.js'
import { redactSecrets } from '../redact.js'
import { DpopRejectedError, InvalidClientError, InvalidScopeError, OAuthError } from './errors.js'

/** What the token endpoint granted. */
export interface TokenResponse {
  accessToken: string
  tokenType: 'Bearer' | 'DPoP'
  expiresInS: number
}

/** The token endpoint asked for a DPoP nonce (400 `use_dpop_nonce` with a `DPoP-Nonce` header). */
export interface NonceRequest {
  nonce: string
  error: DpopRejectedError
}

/** One response of the token endpoint, read in full. */
export interface TokenHttpResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
}

type Obj = Record<string, unknown>

function oauthError (status: number, body: Obj, requestId: string | undefined, secrets: readonly string[]): OAuthError {
  const details = {
    status,
    error: typeof body['error'] === 'string' ? body['error'] : 'invalid_response',
    errorDescription: typeof body['error_description'] === 'string' ? redactSecrets(body['error_description'], secrets) : undefined,
    requestId,
  }
  switch (details.error) {
    case 'invalid_client': return new InvalidClientError(details)
    case 'invalid_scope': return new InvalidScopeError(details)
    case 'invalid_dpop_proof':
    case 'use_dpop_nonce': return new DpopRejectedError(details)
    default: return new OAuthError(details)
  }
}

function parseObject (text: string): Obj | undefined {
  let parsed: unknown
  try { parsed = JSON.parse(text) } catch { return undefined }
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed as Obj : undefined
}

/** The token of a 200 (JSON already checked); `proofSent` says whether a DPoP-bound token may come back. */
function tokenOf (json: Obj | undefined, proofSent: boolean, requestId: string | undefined): TokenResponse {
  if (json === undefined) {
    throw new InvalidResponseError("Okta's token endpoint answered HTTP 200 with a body that is not a JSON object", { status: 200, requestId })
  }
  const type = typeof json['token_type'] === 'string' ? json['token_type'].toLowerCase() : ''
  const token = json['access_token']
  const expiresIn = json['expires_in']
  if (typeof token !== 'string' || token === '' || !/^[\x21-\x7e]+$/.test(token) || (type !== 'bearer' && type !== 'dpop') ||
    typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn <= 0) {
    throw new InvalidResponseError("Okta's token response lacks a usable access_token, token_type or expires_in", { status: 200, requestId })
  }
  if (type === 'dpop' && !proofSent) {
    // Okta binds a token only to the key of a proof: none was sent, so the client cannot use this one.
    throw new InvalidResponseError('Okta\'s token endpoint issued a DPoP-bound token to a client without "auth.dpop"', { status: 200, requestId })
  }
  return { accessToken: token, tokenType: type === 'dpop' ? 'DPoP' : 'Bearer', expiresInS: expiresIn }
}

/**
 * Reads one token endpoint response. Returns the token or a nonce request (after passing any
 * `DPoP-Nonce` to `onNonce`); throws a coded error otherwise, without the `secrets` the request carried (the
 * assertion, the proof) in any of its text.
 */
export function readTokenResponse (
  res: TokenHttpResponse, proofSent: boolean, onNonce: (nonce: string) => void, secrets: readonly string[] = [],
): TokenResponse | NonceRequest {
  const { status, headers, text } = res
  const rawId = headerValue(headers, 'x-okta-request-id')
  // The request id header is Okta's text too: an error's is kept without the secrets the request carried (a 200's as
  // well: one that is not a token is an error).
  const requestId = rawId === undefined ? rawId : redactSecrets(rawId, secrets)
  const nonce = headerValue(headers, 'dpop-nonce')
  if (nonce !== undefined && nonce !== '') onNonce(nonce)
  const contentType = headerValue(headers, 'content-type')
  const isJson = isJsonType(contentType)
  // Any body, OAuth or Okta's, is read only with a JSON Content-Type (as on the API).
  const json = isJson ? parseObject(text) : undefined
  const fields = redactFields(oktaErrorFields(json), secrets)

  if (status === 429) {
    // Whatever the body (Okta's E0000047, an OAuth-style error, a proxy's page): the rate limit, its reset as on the API.
    const info = rateLimitInfo(headers, Date.now())
    throw mapOktaError({ status, ...fields, requestId, resetAt: info.resetAt, retryAfterSeconds: info.retryAfterSeconds })
  }
  if (status === 200) {
    if (contentType === undefined) {
      throw new InvalidResponseError("Okta's token endpoint answered HTTP 200 without a Content-Type", { status, requestId })
    }
    if (!isJson) {
      throw new InvalidResponseError(`Okta's token endpoint answered HTTP 200 with Content-Type ${quoteType(redactSecrets(contentType, secrets))}, not JSON`, { status, requestId })
    }
    return tokenOf(json, proofSent, requestId)
  }
  if (status < 400) {
    // Redirects are not followed (the assertion must not go elsewhere), and no other status below 400 is an answer.
    throw new InvalidResponseError(status >= 300
      ? `Okta's token endpoint answered HTTP ${status}; redirects are not followed`
      : `Okta's token endpoint answered HTTP ${status}, not 200`, { status, requestId })
  }
  if (status >= 500) {
    // Okta's own 5xx body is an OktaApiError of that status; anything else (an HTML page, an OAuth server_error or
    // temporarily_unavailable) is an invalid response. Both read as "Okta unavailable", as on the API.
    if (fields !== undefined) throw mapOktaError({ status, ...fields, requestId })
    throw new InvalidResponseError(`Okta's token endpoint answered HTTP ${status} without an Okta error body`, { status, requestId })
  }
  // A 4xx: an OAuth error body (RFC 6749 §5.2), or Okta's own.
  if (json !== undefined && typeof json['error'] === 'string') {
    const error = oauthError(status, json, requestId, secrets)
    if (json['error'] === 'use_dpop_nonce' && nonce !== undefined && nonce !== '' && error instanceof DpopRejectedError) {
      return { nonce, error }
    }
    throw error
  }
  if (fields !== undefined) throw mapOktaError({ status, ...fields, requestId })
  throw new InvalidResponseError(`Okta's token endpoint answered HTTP ${status} without an OAuth or Okta error body`, { status, requestId })
}
