/**
 * Pluggable authorization: anything with a `header()` that returns the value of the
 * `Authorization` header (SSWS API tokens, or your own scheme). OAuth 2.0 with private_key_jwt and
 * DPoP is built in: give the client's `auth` option `{ clientId, privateKey, scopes, dpop }` instead.
 *
 * @module
 */
import { inspect } from 'node:util'
import { InvalidOptionError } from './invalid-option.js'

/**
 * Supplies the `Authorization` header of every request. Called once per request, so a provider
 * may refresh a short-lived token.
 *
 * @example
 * ```ts
 * const bearer: OktaAuth = { header: async () => `Bearer ${await tokens.current()}` }
 * const client = createOktaClient({ orgUrl, auth: bearer })
 * ```
 */
export interface OktaAuth {
  /** The full header value, e.g. `SSWS 00abc…` or `Bearer eyJ…`. */
  header(): string | Promise<string>
}

// A header value must not carry CR, LF or other control characters (header injection).
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]+$/

/** True when `value` can be sent as a header value as is. */
export function isValidHeaderValue (value: string): boolean {
  return HEADER_VALUE.test(value)
}

// A value the caller names (a user agent, a request id): Latin-1, as a header value is sent, with no control
// character at all, tab and C1 (U+0080 to U+009F, which a terminal reads as escapes) included, and no space at either
// end, which undici trims (the value sent would not be the one given).
const EXACT_HEADER_VALUE = /^[\x21-\x7e\xa0-\xff](?:[\x20-\x7e\xa0-\xff]*[\x21-\x7e\xa0-\xff])?$/

/** True when `value` is sent exactly as given and holds no control character (see EXACT_HEADER_VALUE). */
export function isExactHeaderValue (value: string): boolean {
  return EXACT_HEADER_VALUE.test(value)
}

/**
 * SSWS API-token authorization (`Authorization: SSWS <token>`). The token lives in a closure: it is
 * not a property of the returned object, so neither `util.inspect`, `JSON.stringify` nor a debugger
 * listing of properties shows it.
 *
 * @param token - the Okta API token
 * @throws TypeError when the token is empty or contains whitespace or control characters
 * @example
 * ```ts
 * const client = createOktaClient({ orgUrl: 'https://dev-1.okta.com', auth: ssws(process.env.OKTA_API_TOKEN!) })
 * ```
 */
export function ssws (token: string): OktaAuth {
  return sswsOption(token, 'token')
}

/**
 * `ssws(token)` for the client option that carried the token (`token`, or `auth` given as a string): a bad
 * token throws a TypeError naming that option, never quoting the value. Internal.
 *
 * @param token - the Okta API token
 * @param option - the option's name, for the error message
 */
export function sswsOption (token: string, option: 'token' | 'auth'): OktaAuth {
  if (typeof token !== 'string' || token.length === 0 || !/^[\x21-\x7e]+$/.test(token)) {
    throw new InvalidOptionError(`"${option}" option must be a non-empty string of printable characters without spaces`)
  }
  const value = `SSWS ${token}`
  const auth: OktaAuth = { header: () => value }
  Object.defineProperties(auth, {
    toJSON: { value: () => ({ scheme: 'SSWS', token: '[redacted]' }) },
    [inspect.custom]: { value: () => 'SswsAuth { token: [redacted] }' },
  })
  return Object.freeze(auth)
}
