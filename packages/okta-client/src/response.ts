// Reading what came back: a response's status, Content-Type and body into an ApiResponse or a coded error, and a
// failure of the exchange itself (timeout, abort, connection) into the client's error classes.
import { isJsonType, quoteType } from './content-type.js'
import { mapOktaError, oktaErrorFields, redactFields } from './error-mapping.js'
import { AbortedError, ConnectionError, InvalidResponseError, OktaClientError, RateLimitedError, TimeoutError, type OktaApiError } from './errors.js'
import { RetryOnce } from './oauth/challenge.js'
import { headerValue, rateLimitInfo } from './rate-limit.js'
import { redactSecrets, sentSecrets } from './redact.js'
import type { ApiResponse, CallSpec } from './transport.js'

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT'])
/**
 * undici's refusals of an answer it received (headers over its limit, a body longer or shorter than declared, bytes
 * that are no HTTP, `HPE_*` from its parser): Okta, or whatever answers for it, answered; it was not out of reach.
 */
const UNREADABLE_CODES = new Set(['UND_ERR_HEADERS_OVERFLOW', 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH', 'UND_ERR_RES_EXCEEDED_MAX_SIZE'])
const waits = new WeakMap<RateLimitedError, number>()

/**
 * What an error keeps of an underlying one as its `cause`: the name and the code, never the message. undici's
 * messages can quote the request (MockAgent's "not matched" quotes its headers and body: the API token, a client
 * assertion), and V8's JSON errors quote the body they failed on (a TOTP shared secret).
 */
export function safeCause (err: unknown): Error {
  const e = err as { name?: unknown, code?: unknown } | null
  const name = typeof e?.name === 'string' && /^\w{1,64}$/.test(e.name) ? e.name : 'Error'
  const code = typeof e?.code === 'string' ? e.code.replace(/[^\w.-]/g, '').slice(0, 64) : undefined
  // eslint-disable-next-line no-restricted-syntax -- only ever the cause of a coded client error, a copy of the underlying one
  const cause = new Error(code === undefined ? `${name} (message not kept)` : `${name} ${code} (message not kept)`)
  cause.name = name
  cause.stack = `${name}: ${cause.message}` // the stack of this copy would point here, not at the failure
  if (code !== undefined) Object.assign(cause, { code })
  return cause
}

/** How long a 429 asks to wait before its reset, in ms (undefined: the response did not say). */
export function rateLimitWait (err: RateLimitedError): number | undefined {
  return waits.get(err)
}

/**
 * An answer as the caller gets it: a 2xx with a JSON body when one is expected, else the coded error of its status
 * (a 429 remembers its wait; `onAuthError` reads a 400/401/403 of an OAuth-authorized call). `sent` are the request's
 * headers: an error body is read without the secrets the request carried (see redact.ts).
 */
export function interpret (
  status: number, headers: ApiResponse['headers'], raw: Buffer, spec: CallSpec, url: string,
  sent: Readonly<Record<string, string>>, onAuthError?: (err: OktaApiError) => Error,
): ApiResponse {
  const okId = headerValue(headers, 'x-okta-request-id')
  const contentType = headerValue(headers, 'content-type')
  const isJson = isJsonType(contentType)

  if (status >= 200 && status < 300) {
    if (!spec.expectBody) {
      // Nothing to read, but something must show Okta answered: no content, or JSON (a proxy's HTML page is not Okta,
      // even labelled JSON).
      if (status === 204 || raw.length === 0 || (isJson && isJsonText(raw))) return { status, headers, body: undefined, requestId: okId, url, sent, spec }
      const said = contentType === undefined ? 'a body and no Content-Type, not JSON' : isJson ? 'a body that is not valid JSON' : `Content-Type ${quoted(contentType, sent, spec)}, not JSON`
      throw new InvalidResponseError(`Okta answered HTTP ${status} with ${said}`, { status, requestId: errorId(okId, sent, spec) })
    }
    if (contentType === undefined) {
      throw new InvalidResponseError(`Okta answered HTTP ${status} without a Content-Type`, { status, requestId: errorId(okId, sent, spec) })
    }
    if (!isJson) {
      throw new InvalidResponseError(`Okta answered HTTP ${status} with Content-Type ${quoted(contentType, sent, spec)}, not JSON`, { status, requestId: errorId(okId, sent, spec) })
    }
    return { status, headers, body: parseJson(raw, status, okId, sent, spec), requestId: okId, url, sent, spec }
  }
  const requestId = errorId(okId, sent, spec)
  if (status < 400) {
    // Redirects are not followed: Okta's API does not redirect, and a redirect must not carry the token elsewhere.
    throw new InvalidResponseError(`Okta answered HTTP ${status}; redirects are not followed`, { status, requestId })
  }

  let body: unknown
  if (isJson && raw.length > 0) {
    try { body = JSON.parse(utf8Text(raw)) } catch { body = undefined }
  }
  const secrets = sentSecrets(sent, spec.body)
  const fields = redactFields(oktaErrorFields(body), secrets)
  if (status === 429) {
    const info = rateLimitInfo(headers, Date.now())
    const err = mapOktaError({ status, ...fields, requestId, resetAt: info.resetAt, retryAfterSeconds: info.retryAfterSeconds })
    if (info.waitMs !== undefined && err instanceof RateLimitedError) waits.set(err, info.waitMs)
    throw err
  }
  if (fields === undefined && status >= 500) {
    throw new InvalidResponseError(
      `Okta answered HTTP ${status} without an Okta error body (Content-Type ${contentType === undefined ? 'absent' : quoted(contentType, sent, spec)})`,
      { status, requestId })
  }
  const err = mapOktaError({ status, ...fields, requestId })
  throw onAuthError === undefined || (status !== 400 && status !== 401 && status !== 403) ? err : onAuthError(err)
}

/**
 * A response's request id as an error keeps it. The header is Okta's text, and may quote the request back (a proxy, a
 * hostile org): it is kept without the credentials, answers and passwords the request carried. Not without a passcode
 * (digits only): six digits may be part of a genuine id, which support needs whole.
 */
export function errorId (id: string | undefined, sent: Readonly<Record<string, string>>, spec: CallSpec): string | undefined {
  if (id === undefined) return undefined
  return redactSecrets(id, sentSecrets(sent, spec.body).filter((secret) => !/^\d+$/.test(secret)))
}

/** The request id of an answer found wrong after it was read (its shape, its next link), as an error keeps it. */
export function responseErrorId (res: ApiResponse): string | undefined {
  return errorId(res.requestId, res.sent, res.spec)
}

/** A Content-Type quoted for an error message, without any secret the request carried. */
function quoted (contentType: string, sent: Readonly<Record<string, string>>, spec: CallSpec): string {
  return quoteType(redactSecrets(contentType, sentSecrets(sent, spec.body)))
}

/** Whether a body parses as JSON (an answer labelled JSON that is not: a proxy's page, a cut-off body). */
function isJsonText (raw: Buffer): boolean {
  try {
    JSON.parse(utf8Text(raw))
    return true
  } catch {
    return false
  }
}

/**
 * A body as UTF-8 text, without the byte-order mark JSON allows a sender to put first (RFC 8259 §8.1: a parser may
 * ignore it; `JSON.parse` does not).
 */
export function utf8Text (raw: Buffer): string {
  const text = raw.toString('utf8')
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}

function parseJson (raw: Buffer, status: number, okId: string | undefined, sent: Readonly<Record<string, string>>, spec: CallSpec): unknown {
  if (raw.length === 0) throw new InvalidResponseError(`Okta answered HTTP ${status} with an empty body`, { status, requestId: errorId(okId, sent, spec) })
  try {
    return JSON.parse(utf8Text(raw))
  } catch (err) {
    throw new InvalidResponseError(`Okta answered HTTP ${status} with a body that is not valid JSON`, { status, requestId: errorId(okId, sent, spec), cause: safeCause(err) })
  }
}

/**
 * undici's error for an answer that came but cannot be read as HTTP (`HPE_*` from its parser, or no code at all for
 * one that does not start as HTTP does; headers over its limit; a body longer or shorter than declared), as
 * `OKTA_INVALID_RESPONSE` naming `what` answered; undefined for any other error.
 */
export function unreadableAnswer (err: unknown, what: string, requestId?: string): InvalidResponseError | undefined {
  const code = (err as { code?: unknown } | null)?.code
  const causeCode = typeof code === 'string' ? code : undefined
  const parserError = (err as { name?: unknown } | null)?.name === 'HTTPParserError'
  if (!parserError && (causeCode === undefined || !(UNREADABLE_CODES.has(causeCode) || causeCode.startsWith('HPE_')))) return undefined
  return new InvalidResponseError(`${what} could not be read as HTTP (${causeCode ?? 'HTTPParserError'})`, { cause: safeCause(err), requestId })
}

/** A failure of the exchange (not an answer) as a coded error: timeout, abort, closed dispatcher or connection. */
export function translate (err: unknown, timedOut: boolean, timeoutMs: number, signal: AbortSignal | undefined, requestId: string | undefined): unknown {
  if (err instanceof OktaClientError || err instanceof RetryOnce) return err
  if (timedOut) return new TimeoutError(timeoutMs, { cause: safeCause(err), requestId })
  if (signal?.aborted === true) return new AbortedError({ cause: signal.reason, requestId })
  if (err instanceof TypeError && !('code' in err)) return err
  const code = (err as { code?: unknown } | null)?.code
  const causeCode = typeof code === 'string' ? code : undefined
  const cause = safeCause(err)
  if (causeCode !== undefined && TIMEOUT_CODES.has(causeCode)) return new TimeoutError(timeoutMs, { cause, requestId })
  const unreadable = unreadableAnswer(err, 'Okta\'s answer', requestId)
  if (unreadable !== undefined) return unreadable
  if (causeCode === 'UND_ERR_CLOSED' || causeCode === 'UND_ERR_DESTROYED') {
    return new ConnectionError('the HTTP dispatcher is closed', { cause, causeCode, requestId })
  }
  return new ConnectionError(`could not reach Okta${causeCode === undefined ? '' : ` (${causeCode})`}`, { cause, causeCode, requestId })
}
