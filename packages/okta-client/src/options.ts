/**
 * Client options and their validation. A bad option is a programmer's mistake: it throws a
 * `TypeError` naming the option, at construction, and nothing is repaired silently.
 *
 * @module
 */
import type { Dispatcher } from 'undici'
import { sswsOption, isExactHeaderValue } from './auth.js'
import { firstUnknownKey } from './known-keys.js'
import { isLoopbackHost } from './loopback.js'
import type { OktaAuth } from './auth.js'
import { isOAuthOptions, resolveOAuth } from './oauth/options.js'
import type { OAuthConfig, OktaOAuthOptions } from './oauth/options.js'
import { InvalidOptionError } from './invalid-option.js'

/**
 * Options of `createOktaClient` / `new OktaClient`.
 *
 * @example
 * ```ts
 * const client = createOktaClient({
 *   orgUrl: 'https://dev-123456.okta.com',
 *   token: process.env.OKTA_API_TOKEN!,
 *   timeoutMs: 3000,
 * })
 * ```
 */
export interface OktaClientOptions {
  /**
   * Your Okta org, e.g. `https://dev-123456.okta.com`: the root of its host, without a path (a trailing slash is
   * harmless; `/oauth2/default` is an authorization server, not the org). Must be `https:` unless
   * `allowInsecureHttp` is set. Must not carry credentials, a query or a fragment (not even an empty `?` or `#`).
   */
  orgUrl: string
  /** SSWS API token (the same as `auth: token`). Give exactly one of `token` and `auth`. */
  token?: string | undefined
  /**
   * How to authorize: an SSWS API token (a string), OAuth 2.0 settings (a service app with
   * private_key_jwt, optionally DPoP; see the README's "OAuth 2.0"), or an `OktaAuth` such as `ssws(token)`.
   * Give exactly one of `token` and `auth`.
   */
  auth?: string | OktaOAuthOptions | OktaAuth | undefined
  /**
   * Accept an `http:` orgUrl on a loopback host (127.0.0.0/8, `localhost` or `[::1]`): a local emulator. Any other
   * `http:` host is refused even so: over plain http the API token travels in clear text.
   * @default false
   */
  allowInsecureHttp?: boolean | undefined
  /**
   * Timeout of one request (connect, headers and body), milliseconds. A positive integer.
   * @default 5000
   */
  timeoutMs?: number | undefined
  /**
   * An undici dispatcher (`Pool`, `Agent`, `MockAgent`, ...). The client never closes a dispatcher it
   * was given. When absent, the client creates a keep-alive `Agent` and closes it in `close()`.
   * @default a keep-alive Agent owned by the client
   */
  dispatcher?: Dispatcher | undefined
  /**
   * Appended to the `User-Agent` header, after `okta-mfa-client/<version>`.
   * @default undefined
   */
  userAgent?: string | undefined
  /**
   * How long in total an idempotent GET that meets a 429 may wait for `X-Rate-Limit-Reset` and
   * retry, milliseconds. `0` never waits. Verify, activate and every POST never wait.
   * @default 10000
   */
  rateLimitMaxWaitMs?: number | undefined
}

/**
 * The validated, frozen configuration a client works from (internal; not exported from the package).
 */
export interface ClientConfig {
  readonly baseUrl: URL
  /** The SSWS or custom authorization; undefined with OAuth. */
  readonly auth: OktaAuth | undefined
  /** OAuth 2.0 settings; undefined with SSWS or a custom `OktaAuth`. */
  readonly oauth: OAuthConfig | undefined
  readonly timeoutMs: number
  readonly rateLimitMaxWaitMs: number
  readonly userAgent: string | undefined
  readonly dispatcher: Dispatcher | undefined
}

/**
 * Default per-request timeout, milliseconds.
 *
 * @default 5000
 * @example
 * ```ts
 * createOktaClient({ orgUrl, token, timeoutMs: DEFAULT_TIMEOUT_MS * 2 })
 * ```
 */
export const DEFAULT_TIMEOUT_MS = 5000
/**
 * Default total wait budget of a GET that meets a 429, milliseconds.
 *
 * @default 10000
 * @example
 * ```ts
 * createOktaClient({ orgUrl, token, rateLimitMaxWaitMs: DEFAULT_RATE_LIMIT_MAX_WAIT_MS / 2 })
 * ```
 */
export const DEFAULT_RATE_LIMIT_MAX_WAIT_MS = 10_000
/** The longest delay a Node timer takes (2^31 - 1 ms). */
export const MAX_TIMER_MS = 2_147_483_647

function positiveInt (name: string, value: unknown, allowZero: boolean): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < (allowZero ? 0 : 1) || value > MAX_TIMER_MS) {
    throw new InvalidOptionError(`"${name}" option must be a ${allowZero ? 'non-negative' : 'positive'} integer of milliseconds (at most ${MAX_TIMER_MS})`)
  }
  return value
}

function parseOrgUrl (value: unknown, allowInsecureHttp: boolean): URL {
  if (typeof value !== 'string' || value === '') {
    throw new InvalidOptionError('"orgUrl" option must be an absolute https URL such as https://dev-123456.okta.com')
  }
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new InvalidOptionError('"orgUrl" option must be an absolute https URL such as https://dev-123456.okta.com')
  }
  if (url.protocol === 'http:' && !allowInsecureHttp) {
    throw new InvalidOptionError('"orgUrl" option must be an https URL; plain http: is allowed only with "allowInsecureHttp: true" (a local emulator)')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InvalidOptionError('"orgUrl" option must be an absolute https URL such as https://dev-123456.okta.com')
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new InvalidOptionError('"orgUrl" option may be plain http: only for an emulator on loopback (127.0.0.0/8, localhost or [::1]), even with "allowInsecureHttp": an Okta org is https')
  }
  if (url.username !== '' || url.password !== '') {
    throw new InvalidOptionError('"orgUrl" option must not contain credentials')
  }
  // The raw text: an empty query or fragment ("https://x.okta.com?") leaves URL.search and URL.hash empty.
  if (value.includes('?') || value.includes('#')) {
    throw new InvalidOptionError('"orgUrl" option must not contain a query or a fragment')
  }
  // The org is the root of its host: a path would put every call, the token request too, under it.
  if (!/^\/*$/.test(url.pathname)) {
    throw new InvalidOptionError('"orgUrl" option must be the org\'s root, such as https://dev-123456.okta.com, without a path: /oauth2/... is an authorization server, not the org')
  }
  // A trailing slash is harmless: only the origin is kept.
  return new URL(url.origin)
}

/** Every option {@link resolveOptions} reads: the type keeps this list and the options interface the same. */
const OPTION_NAMES: Record<keyof OktaClientOptions, true> = {
  orgUrl: true, token: true, auth: true, allowInsecureHttp: true, timeoutMs: true, dispatcher: true, userAgent: true,
  rateLimitMaxWaitMs: true,
}

/**
 * Validates options and returns the frozen configuration. Throws a `TypeError` naming the first bad option.
 *
 * @example
 * ```ts
 * resolveOptions({ orgUrl: 'ftp://x' }) // TypeError: "orgUrl" option must be an absolute https URL ...
 * ```
 */
export function resolveOptions (options: OktaClientOptions): ClientConfig {
  if (options === null || typeof options !== 'object') {
    throw new InvalidOptionError('options must be an object with at least "orgUrl" and "token"')
  }
  const o = options as unknown as Record<string, unknown>
  // A misspelt option (say "timeoutMS") would otherwise leave its default in place without a word.
  const unknown = firstUnknownKey(o, OPTION_NAMES)
  if (unknown !== undefined) throw new InvalidOptionError(`${JSON.stringify(unknown.slice(0, 64))} is not an option of createOktaClient`)
  const insecure = o['allowInsecureHttp']
  if (insecure !== undefined && typeof insecure !== 'boolean') {
    throw new InvalidOptionError('"allowInsecureHttp" option must be a boolean')
  }
  const baseUrl = parseOrgUrl(o['orgUrl'], insecure === true)

  const token = o['token']
  const authOpt = o['auth']
  if (token !== undefined && authOpt !== undefined) {
    throw new InvalidOptionError('"token" and "auth" options are exclusive: give one of them')
  }
  let auth: OktaAuth | undefined
  let oauth: OAuthConfig | undefined
  if (typeof authOpt === 'string') {
    auth = sswsOption(authOpt, 'auth') // throws a TypeError naming "auth"
  } else if (isOAuthOptions(authOpt)) {
    oauth = resolveOAuth(authOpt) // throws a TypeError naming "auth.<field>"
  } else if (authOpt !== undefined) {
    if (authOpt === null || typeof authOpt !== 'object' || typeof (authOpt as OktaAuth).header !== 'function') {
      throw new InvalidOptionError('"auth" option must be an object with a header() method such as ssws(token), OAuth settings { clientId, privateKey, scopes }, or an SSWS token string')
    }
    auth = authOpt as OktaAuth
  } else if (token !== undefined) {
    auth = sswsOption(token as string, 'token') // throws a TypeError naming "token"
  } else {
    throw new InvalidOptionError('"token" option is required (an Okta API token), or give "auth"')
  }

  const timeoutMs = o['timeoutMs'] === undefined ? DEFAULT_TIMEOUT_MS : positiveInt('timeoutMs', o['timeoutMs'], false)
  const rateLimitMaxWaitMs = o['rateLimitMaxWaitMs'] === undefined
    ? DEFAULT_RATE_LIMIT_MAX_WAIT_MS
    : positiveInt('rateLimitMaxWaitMs', o['rateLimitMaxWaitMs'], true)

  const userAgent = o['userAgent']
  if (userAgent !== undefined && (typeof userAgent !== 'string' || !isExactHeaderValue(userAgent))) {
    throw new InvalidOptionError('"userAgent" option must be a non-empty string without control characters or spaces at either end')
  }

  const dispatcher = o['dispatcher']
  if (dispatcher !== undefined &&
    (dispatcher === null || typeof dispatcher !== 'object' || typeof (dispatcher as Dispatcher).dispatch !== 'function')) {
    throw new InvalidOptionError('"dispatcher" option must be an undici Dispatcher (Agent, Pool, MockAgent, ...)')
  }

  return Object.freeze({
    baseUrl,
    auth,
    oauth,
    timeoutMs,
    rateLimitMaxWaitMs,
    userAgent,
    dispatcher: dispatcher as Dispatcher | undefined,
  })
}
