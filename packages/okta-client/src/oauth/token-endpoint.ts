// One POST to {orgUrl}/oauth2/v1/token (client credentials, private_key_jwt, optional DPoP proof)
// and the reading of its answer: a token, a nonce request, or a coded OAuth error.
import { request, type Dispatcher } from 'undici'
import { ConnectionError, InvalidResponseError, TimeoutError } from '../errors.js'
import { DpopRejectedError, InvalidClientError, InvalidScopeError, OAuthError } from './errors.js'
import { headerValue } from '../rate-limit.js'

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

/** How to reach the token endpoint. */
export interface TokenEndpoint {
  url: string
  dispatcher: Dispatcher
  timeoutMs: number
  userAgent: string
}

const MAX_TOKEN_BODY = 64 * 1024
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

function oauthError (status: number, body: Record<string, unknown>, requestId: string | undefined): OAuthError {
  const details = {
    status,
    error: typeof body['error'] === 'string' ? body['error'] : 'invalid_response',
    errorDescription: typeof body['error_description'] === 'string' ? body['error_description'] : undefined,
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

/** Posts one token request. Returns the token or a nonce request; throws a coded error otherwise. */
export async function postToken (
  ep: TokenEndpoint, assertion: string, scope: string, proof: string | undefined, onNonce: (nonce: string) => void,
): Promise<TokenResponse | NonceRequest> {
  const headers: Record<string, string> = {
    accept: 'application/json',
    'content-type': 'application/x-www-form-urlencoded',
    'user-agent': ep.userAgent,
  }
  if (proof !== undefined) headers['dpop'] = proof
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    scope,
    client_assertion_type: ASSERTION_TYPE,
    client_assertion: assertion,
  }).toString()
  let status: number
  let resHeaders: Dispatcher.ResponseData['headers']
  let text = ''
  try {
    const res = await request(ep.url, {
      dispatcher: ep.dispatcher,
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(ep.timeoutMs),
      headersTimeout: ep.timeoutMs,
      bodyTimeout: ep.timeoutMs,
    })
    status = res.statusCode
    resHeaders = res.headers
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length
      if (size > MAX_TOKEN_BODY) {
        res.body.destroy()
        throw new InvalidResponseError(`Okta's token response is larger than ${MAX_TOKEN_BODY} bytes`, { status })
      }
      chunks.push(chunk as Buffer)
    }
    text = Buffer.concat(chunks).toString('utf8')
  } catch (err) {
    if (err instanceof InvalidResponseError) throw err
    const code = (err as { code?: unknown, name?: unknown } | null)
    if (code?.name === 'TimeoutError' || code?.code === 'UND_ERR_HEADERS_TIMEOUT' || code?.code === 'UND_ERR_BODY_TIMEOUT') {
      throw new TimeoutError(ep.timeoutMs, { cause: err })
    }
    const causeCode = typeof code?.code === 'string' ? code.code : undefined
    throw new ConnectionError(`could not reach Okta's token endpoint${causeCode === undefined ? '' : ` (${causeCode})`}`, { cause: err, causeCode })
  }
  const requestId = headerValue(resHeaders, 'x-okta-request-id')
  const nonce = headerValue(resHeaders, 'dpop-nonce')
  if (nonce !== undefined && nonce !== '') onNonce(nonce)
  let parsed: unknown
  try { parsed = JSON.parse(text) } catch { parsed = undefined }
  const json = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed as Record<string, unknown> : undefined

  if (status === 200 && json !== undefined) {
    const type = typeof json['token_type'] === 'string' ? json['token_type'].toLowerCase() : ''
    const token = json['access_token']
    const expiresIn = json['expires_in']
    if (typeof token !== 'string' || token === '' || !/^[\x21-\x7e]+$/.test(token) || (type !== 'bearer' && type !== 'dpop') ||
      typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn <= 0) {
      throw new InvalidResponseError("Okta's token response lacks a usable access_token, token_type or expires_in", { status, requestId })
    }
    return { accessToken: token, tokenType: type === 'dpop' ? 'DPoP' : 'Bearer', expiresInS: expiresIn }
  }
  if (json === undefined || typeof json['error'] !== 'string') {
    throw new InvalidResponseError(`Okta's token endpoint answered HTTP ${status} without an OAuth body`, { status, requestId })
  }
  const error = oauthError(status, json, requestId)
  if (json['error'] === 'use_dpop_nonce' && nonce !== undefined && nonce !== '' && error instanceof DpopRejectedError) {
    return { nonce, error }
  }
  throw error
}
