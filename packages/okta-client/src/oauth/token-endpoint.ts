// One POST to {orgUrl}/oauth2/v1/token (client credentials, private_key_jwt, optional DPoP proof);
// its answer is read by token-response.ts: a token, a nonce request, or a coded error.
import { request, type Dispatcher } from 'undici'
import { ConnectionError, InvalidResponseError, TimeoutError } from '../errors.js'
import { safeCause, unreadableAnswer, utf8Text } from '../response.js'
import { anySignal, timeoutSignal } from '../signals.js'
import { readTokenResponse, type NonceRequest, type TokenResponse } from './token-response.js'

/** How to reach the token endpoint. */
export interface TokenEndpoint {
  url: string
  dispatcher: Dispatcher
  timeoutMs: number
  userAgent: string
  /** Aborted by the client's close(). */
  closing?: AbortSignal | undefined
}

const MAX_TOKEN_BODY = 64 * 1024
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

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
  const timeout = timeoutSignal(ep.timeoutMs)
  const ends = ep.closing === undefined ? undefined : anySignal([timeout.signal, ep.closing])
  try {
    const res = await request(ep.url, {
      dispatcher: ep.dispatcher,
      method: 'POST',
      headers,
      body,
      // The client's close() ends a token fetch at once: waiting for it would hold close() up to timeoutMs.
      signal: ends?.signal ?? timeout.signal,
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
    text = utf8Text(Buffer.concat(chunks))
  } catch (err) {
    if (err instanceof InvalidResponseError) throw err
    const code = (err as { code?: unknown, name?: unknown } | null)
    if (code?.name === 'TimeoutError' || code?.code === 'UND_ERR_HEADERS_TIMEOUT' || code?.code === 'UND_ERR_BODY_TIMEOUT') {
      throw new TimeoutError(ep.timeoutMs, { cause: safeCause(err) })
    }
    // It answered, with something that is not HTTP or headers over undici's limit: not out of reach.
    const unreadable = unreadableAnswer(err, 'Okta\'s token endpoint\'s answer')
    if (unreadable !== undefined) throw unreadable
    const causeCode = typeof code?.code === 'string' ? code.code : undefined
    throw new ConnectionError(`could not reach Okta's token endpoint${causeCode === undefined ? '' : ` (${causeCode})`}`, { cause: safeCause(err), causeCode })
  } finally {
    timeout.stop()
    ends?.stop()
  }
  // An error's text may quote the request: it is read without the assertion and the proof sent.
  return readTokenResponse({ status, headers: resHeaders, text }, proof !== undefined, onNonce, proof === undefined ? [assertion] : [assertion, proof])
}
