// The plugin's options, validated once at registration and copied into a frozen config. A bad option is a
// programmer's mistake: it fails registration with a TypeError that names the option and carries a stable code.
import createError, { type FastifyErrorConstructor } from '@fastify/error'
import type { FastifyRequest } from 'fastify'
import type { OktaClient, OktaClientOptions } from '@okta-mfa/client'
import { DEFAULT_MAX_ATTEMPTS, DEFAULT_REQUEST_DEADLINE_MS, FACTOR_CACHE_TTL_MS, MAX_TIMER_MS, MAX_WINDOW_MS, RememberedDevices, type AttemptStore, type ResolveOktaUser, type RevocationStore } from '@okta-mfa/core'
import { DEFAULT_LIMITS, type QueryLimits } from './limits.js'

/**
 * Not printable: control characters (C0, DEL, C1), format characters (bidi overrides, zero-width ones, BOM), lone
 * surrogates, and the line and paragraph separators (U+2028, U+2029).
 */
const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u

/**
 * A TOTP issuer authenticator apps can show: 1 to 64 printable characters (code points, so an emoji counts once),
 * no ":" (it separates issuer and account), counted without the spaces around it, which are not used.
 */
export function isValidIssuer (issuer: string): boolean {
  const used = issuer.trim()
  return used !== '' && used.length <= 128 && [...used].length <= 64 && !used.includes(':') && !NOT_PRINTABLE.test(used)
}

/** The `code` of every bad-option error of the plugin (each one a TypeError). */
export const INVALID_OPTION_CODE = 'OKTA_MFA_GATEWAY_INVALID_OPTION'

/**
 * A bad plugin option, a bad argument of `otpauthUri`, or a hand-built server config's session keys that are not 32-byte
 * Buffers: `code` is `OKTA_MFA_GATEWAY_INVALID_OPTION`, and the error is a TypeError.
 */
// Typed by name: a declaration reading `createError.FastifyErrorConstructor` does not resolve under moduleResolution bundler.
export const InvalidOptionError: FastifyErrorConstructor<{
  /** Always `OKTA_MFA_GATEWAY_INVALID_OPTION`. */
  code: typeof INVALID_OPTION_CODE
  /** 500: a mistake in the app's setup, not the request's. */
  statusCode: 500
}, [string]> =
  createError(INVALID_OPTION_CODE, '%s', 500, TypeError)

/**
 * Returns the app's user of this request (e.g. `request.user` of @fastify/passport), or `null`/`undefined` when
 * nobody is signed in. The gateway never takes a user from the GraphQL request itself.
 */
export type ResolveUser = (request: FastifyRequest) => unknown

/**
 * Options of the `oktaMfaGateway` plugin.
 *
 * @example
 * ```ts
 * await app.register(oktaMfaGateway, {
 *   orgUrl: 'https://dev-123456.okta.com',
 *   token: process.env.OKTA_API_TOKEN,
 *   resolveUser: (request) => request.user,
 *   resolveOktaUser: (user) => ({ login: user.email }),
 * })
 * ```
 */
export interface OktaMfaGatewayOptions {
  /**
   * A client to use (the app keeps owning it), or the options of one for the plugin to create and close
   * (`{ orgUrl, token | auth, allowInsecureHttp?, timeoutMs?, dispatcher? }`). Give either `client` or `orgUrl` with
   * `token` or `auth`.
   */
  client?: OktaClient | Pick<OktaClientOptions, 'orgUrl' | 'token' | 'auth' | 'allowInsecureHttp' | 'timeoutMs' | 'dispatcher'> | undefined
  /** Okta org URL, for a client the plugin creates and closes with the app. */
  orgUrl?: string | undefined
  /** SSWS API token, for a client the plugin creates. Give `token` or `auth`, not both. */
  token?: string | undefined
  /**
   * How a client the plugin creates authorizes: the client's `auth` option, an SSWS token string or OAuth 2.0
   * settings `{ clientId, privateKey, keyId?, scopes, dpop? }` (an API Services app; see the README's "Using an
   * OAuth 2.0 service app"). Give `token` or `auth`, not both.
   */
  auth?: OktaClientOptions['auth'] | undefined
  /** Accept an `http:` orgUrl (the local emulator only). @default false */
  allowInsecureHttp?: boolean | undefined
  /** Per-request timeout to Okta, for a client the plugin creates. @default 5000 */
  timeoutMs?: number | undefined
  /** undici dispatcher, for a client the plugin creates. */
  dispatcher?: OktaClientOptions['dispatcher'] | undefined
  /** The session user of a request. Without it every operation is UNAUTHENTICATED. */
  resolveUser?: ResolveUser | undefined
  /**
   * Maps the app's user to an Okta user: `{ id }` or `{ login }` (looked up).
   * @default `defaultResolveOktaUser`
   */
  resolveOktaUser?: ResolveOktaUser | undefined
  /** Create the Okta user (without credentials) when a `{ login }` is not found. @default false */
  provision?: boolean | undefined
  /** Maps the app's user to a stable key (as in passport-okta-mfa). @default userKeyOf */
  userKey?: ((user: unknown) => string) | undefined
  /** URL path of the GraphQL endpoint. @default '/graphql' */
  path?: string | undefined
  /** Serve GraphiQL and allow introspection. Never in production. @default false */
  development?: boolean | undefined
  /** Where passcode attempt counters live; pass the strategy's store to share limits with it. @default a MemoryAttemptStore */
  attemptStore?: AttemptStore | undefined
  /** Passcode attempts per user per window before LOCKED_OUT; keep it below the org's Okta lockout. @default 4 */
  maxAttempts?: number | undefined
  /** Attempt window, milliseconds. @default 900000 */
  attemptWindowMs?: number | undefined
  /**
   * Once the user has an active factor, enrollFactor, activateFactor, resendChallenge of a pending factor and
   * removeFactor need an MFA step at most this old (seconds). @default 300
   */
  stepUpMaxAgeSeconds?: number | undefined
  /** Largest request body, bytes. @default 8192 */
  bodyLimit?: number | undefined
  /** Query-shape limits; see {@link QueryLimits}. */
  limits?: Partial<QueryLimits> | undefined
  /**
   * Issuer shown by authenticator apps in the otpauth URI: 1 to 64 printable characters, no ":". @default the org's
   * host name when the plugin builds the client (`'Okta'` when that name is not a valid issuer, or when `client` is an
   * instance of yours)
   */
  issuer?: string | undefined
  /** Time source, milliseconds. @default Date.now */
  clock?: (() => number) | undefined
  /** One deadline for all the Okta calls of one GraphQL request, milliseconds. @default 5000 */
  requestTimeoutMs?: number | undefined
  /** How long the session caches the user's factor list, milliseconds (0: off); enroll, activate and remove drop it. @default 30000 */
  factorCacheMs?: number | undefined
  /** Where revoked sessions are remembered (the store the app's logout revokes in): a revoked session is UNAUTHENTICATED. @default none */
  revocations?: RevocationStore | undefined
  /**
   * "Remember this device" (@okta-mfa/core's RememberedDevices, the same instance as the app's): viewer.mfa counts a
   * session on a remembered browser as having done MFA; step-ups (enrollFactor on an account with a factor,
   * removeFactor) still ask for a code. @default none
   */
  rememberedDevices?: RememberedDevices | undefined
}

/** The validated, frozen form of {@link OktaMfaGatewayOptions}. */
export interface GatewayConfig {
  /** The app's own client (the `client` option given as an OktaClient); undefined when the plugin builds one. */
  readonly client: OktaClient | undefined
  /** Options of the client the plugin creates and closes (from `orgUrl`, `token` or `auth`, ... or `client` given as options); undefined with `client`. */
  readonly clientOptions: Readonly<OktaClientOptions> | undefined
  /** The `resolveUser` option: the session user of a request (without it every operation is UNAUTHENTICATED). */
  readonly resolveUser: ResolveUser | undefined
  /** The `resolveOktaUser` option; undefined: `defaultResolveOktaUser`. */
  readonly resolveOktaUser: ResolveOktaUser | undefined
  /** Create the Okta user when a `{ login }` is not found. @default false */
  readonly provision: boolean
  /** The `userKey` option; undefined: `userKeyOf`. */
  readonly userKey: ((user: unknown) => string) | undefined
  /** URL path of the GraphQL endpoint. @default '/graphql' */
  readonly path: string
  /** GraphiQL and introspection on. @default false */
  readonly development: boolean
  /** Where passcode attempt counters live; undefined: a MemoryAttemptStore. */
  readonly attemptStore: AttemptStore | undefined
  /** Passcode attempts per user per window before LOCKED_OUT. @default 4 */
  readonly maxAttempts: number
  /** Attempt window, milliseconds (at most 366 days). @default 900000 */
  readonly attemptWindowMs: number
  /** Largest age of the MFA step that step-ups accept, seconds. @default 300 */
  readonly stepUpMaxAgeSeconds: number
  /** Largest request body, bytes. @default 8192 */
  readonly bodyLimit: number
  /** Query-shape limits, the `limits` option over {@link DEFAULT_LIMITS}. */
  readonly limits: Readonly<QueryLimits>
  /** TOTP issuer for authenticator apps, trimmed; undefined: the org's host name when valid, else `'Okta'`. */
  readonly issuer: string | undefined
  /** Time source, milliseconds. @default Date.now */
  readonly clock: () => number
  /** One deadline for all the Okta calls of one GraphQL request, milliseconds. @default 5000 */
  readonly requestTimeoutMs: number
  /** How long the session caches the user's factor list, milliseconds (0: off). @default 30000 */
  readonly factorCacheMs: number
  /** Where revoked sessions are remembered; undefined: none. */
  readonly revocations: RevocationStore | undefined
  /** "Remember this device", the same instance as the app's; undefined: none. */
  readonly rememberedDevices: RememberedDevices | undefined
}

/** Defaults of the plugin options. */
export const GATEWAY_DEFAULTS = Object.freeze({
  path: '/graphql',
  maxAttempts: DEFAULT_MAX_ATTEMPTS,
  attemptWindowMs: 15 * 60_000,
  stepUpMaxAgeSeconds: 300,
  bodyLimit: 8192,
  requestTimeoutMs: DEFAULT_REQUEST_DEADLINE_MS,
  factorCacheMs: FACTOR_CACHE_TTL_MS,
})

const KNOWN = new Set([
  'client', 'orgUrl', 'token', 'auth', 'allowInsecureHttp', 'timeoutMs', 'dispatcher', 'resolveUser', 'resolveOktaUser', 'provision',
  'userKey', 'path', 'development', 'attemptStore', 'maxAttempts', 'attemptWindowMs', 'stepUpMaxAgeSeconds', 'bodyLimit',
  'limits', 'issuer', 'clock', 'requestTimeoutMs', 'factorCacheMs', 'revocations', 'rememberedDevices',
])

function fail (message: string): never {
  throw new InvalidOptionError(message)
}

function optionalFn<T> (o: Record<string, unknown>, name: string): T | undefined {
  const v = o[name]
  if (v !== undefined && typeof v !== 'function') fail(`"${name}" option must be a function`)
  return v as T | undefined
}

function optionalBool (o: Record<string, unknown>, name: string, dflt: boolean): boolean {
  const v = o[name]
  if (v !== undefined && typeof v !== 'boolean') fail(`"${name}" option must be a boolean`)
  return (v as boolean | undefined) ?? dflt
}

function positiveInt (value: unknown, name: string, dflt: number, max = Number.MAX_SAFE_INTEGER, orZero = ''): number {
  if (value === undefined) return dflt
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) fail(`"${name}" option must be a positive integer${orZero}`)
  if (value > max) fail(`"${name}" option must be a positive integer of at most ${max}`)
  return value
}

/** Keys of `client` when it is given as the client's options rather than a client. */
const CLIENT_OPTION_KEYS = ['orgUrl', 'token', 'auth', 'allowInsecureHttp', 'timeoutMs', 'dispatcher']

function clientOptionsOf (o: Record<string, unknown>): OktaClientOptions | undefined {
  const hasClient = o.client !== undefined
  const direct = CLIENT_OPTION_KEYS.filter((k) => o[k] !== undefined)
  if (hasClient) {
    const c = o.client as Record<string, unknown> | null
    // `client: { orgUrl, token, ... }` (the client's own options) is accepted too: the gateway builds and owns that client.
    if (typeof c === 'object' && c !== null && typeof c.verifyFactor !== 'function' && typeof c.orgUrl === 'string') {
      if (direct.length > 0) fail(`"client" option excludes "${direct[0]!}": put it in "client" with the other client options`)
      for (const key of Object.keys(c)) if (!CLIENT_OPTION_KEYS.includes(key)) fail(`"client.${key}" is not an option the gateway passes to the client`)
      return clientOptionsOf({ ...c, client: undefined })
    }
    if (typeof c !== 'object' || c === null || typeof c.verifyFactor !== 'function' || typeof c.listFactors !== 'function') {
      fail('"client" option must be an OktaClient from @okta-mfa/client')
    }
    if (direct.length > 0) fail(`"client" option excludes "${direct[0]!}": configure the client you pass instead`)
    return undefined
  }
  if (typeof o.orgUrl !== 'string' || o.orgUrl === '') fail('"orgUrl" option is required (or pass "client")')
  const out: OktaClientOptions = { orgUrl: o.orgUrl, allowInsecureHttp: optionalBool(o, 'allowInsecureHttp', false) }
  if (o.auth !== undefined) {
    if (o.token !== undefined) fail('"token" and "auth" options are exclusive: give one way to authorize')
    // Deeper checks (auth.clientId, auth.privateKey, ...) are the client's, at registration, naming "auth.<field>".
    if (o.auth === null || (typeof o.auth !== 'string' && typeof o.auth !== 'object')) {
      fail('"auth" option must be an SSWS token string or OAuth 2.0 settings { clientId, privateKey, scopes }')
    }
    out.auth = o.auth as OktaClientOptions['auth']
  } else {
    if (typeof o.token !== 'string' || o.token === '') fail('"token" option is required with "orgUrl" (an Okta API token), or give "auth"')
    out.token = o.token
  }
  if (o.timeoutMs !== undefined) out.timeoutMs = positiveInt(o.timeoutMs, 'timeoutMs', 5000)
  if (o.dispatcher !== undefined) out.dispatcher = o.dispatcher as OktaClientOptions['dispatcher']
  return out
}

function limitsOf (value: unknown): QueryLimits {
  if (value === undefined) return { ...DEFAULT_LIMITS }
  if (typeof value !== 'object' || value === null) fail('"limits" option must be an object')
  const v = value as Record<string, unknown>
  for (const key of Object.keys(v)) if (!(key in DEFAULT_LIMITS)) fail(`"limits.${key}" is not a known limit`)
  return {
    maxDepth: positiveInt(v.maxDepth, 'limits.maxDepth', DEFAULT_LIMITS.maxDepth),
    maxAliases: v.maxAliases === 0 ? 0 : positiveInt(v.maxAliases, 'limits.maxAliases', DEFAULT_LIMITS.maxAliases),
    maxFields: positiveInt(v.maxFields, 'limits.maxFields', DEFAULT_LIMITS.maxFields),
    maxTokens: positiveInt(v.maxTokens, 'limits.maxTokens', DEFAULT_LIMITS.maxTokens),
  }
}

/** The GET routes of mercurius's GraphiQL (`development`): `/graphiql` and its files. */
const GRAPHIQL_PATHS: readonly string[] = ['/graphiql', '/graphiql/main.js', '/graphiql/sw.js', '/graphiql/config.js']

/**
 * Validates plugin options and returns a frozen copy; the caller's object is never changed.
 *
 * @throws InvalidOptionError (a TypeError, code `OKTA_MFA_GATEWAY_INVALID_OPTION`) naming the first bad option.
 */
export function resolveGatewayConfig (options: OktaMfaGatewayOptions): GatewayConfig {
  if (typeof options !== 'object' || options === null) fail('options must be an object')
  const o = options as unknown as Record<string, unknown>
  for (const key of Object.keys(o)) {
    // Fastify's own register options would do nothing: the plugin shares its parent's context (fastify-plugin).
    if (key === 'prefix' || key === 'logLevel' || key === 'logSerializers') {
      fail(`"${key}" does nothing for @okta-mfa/gateway: register it inside a plugin of yours that has it${key === 'prefix' ? ', or set "path"' : ''}`)
    }
    if (!KNOWN.has(key)) fail(`"${key}" is not an option of @okta-mfa/gateway`)
  }
  const clientOptions = clientOptionsOf(o)
  const path = o.path ?? GATEWAY_DEFAULTS.path
  if (typeof path !== 'string' || !/^\/[A-Za-z0-9/_.-]*$/.test(path)) fail('"path" option must be a URL path starting with "/"')
  const development = optionalBool(o, 'development', false)
  // With development, mercurius serves GraphiQL's page and files on these GET routes: the GraphQL route on one of them
  // failed registration with Fastify's uncoded FST_ERR_DUPLICATED_ROUTE (in any case and with a trailing slash too, for
  // an app that routes so).
  if (development && GRAPHIQL_PATHS.includes(path.toLowerCase().replace(/(.)\/$/, '$1'))) {
    fail(`"path" option cannot be ${path} with "development": GraphiQL is served there`)
  }
  const store = o.attemptStore as Partial<AttemptStore> | undefined
  if (store !== undefined && (typeof store !== 'object' || store === null || typeof store.increment !== 'function' ||
    typeof store.reset !== 'function' || typeof store.get !== 'function')) {
    fail('"attemptStore" option must implement AttemptStore (increment, reset, get)')
  }
  const revocations = o.revocations as Partial<RevocationStore> | undefined
  if (revocations !== undefined && (typeof revocations !== 'object' || revocations === null || typeof revocations.isRevoked !== 'function')) {
    fail('"revocations" option must implement RevocationStore (revokeSession, revokeUser, isRevoked)')
  }
  const issuer = o.issuer
  if (issuer !== undefined && (typeof issuer !== 'string' || !isValidIssuer(issuer))) {
    fail('"issuer" option must be 1 to 64 printable characters without ":"')
  }
  return Object.freeze({
    client: clientOptions === undefined ? o.client as OktaClient | undefined : undefined,
    clientOptions: clientOptions === undefined ? undefined : Object.freeze(clientOptions),
    resolveUser: optionalFn<ResolveUser>(o, 'resolveUser'),
    resolveOktaUser: optionalFn<ResolveOktaUser>(o, 'resolveOktaUser'),
    provision: optionalBool(o, 'provision', false),
    userKey: optionalFn<(user: unknown) => string>(o, 'userKey'),
    path,
    development,
    attemptStore: store as AttemptStore | undefined,
    maxAttempts: positiveInt(o.maxAttempts, 'maxAttempts', GATEWAY_DEFAULTS.maxAttempts),
    attemptWindowMs: positiveInt(o.attemptWindowMs, 'attemptWindowMs', GATEWAY_DEFAULTS.attemptWindowMs, MAX_WINDOW_MS),
    stepUpMaxAgeSeconds: positiveInt(o.stepUpMaxAgeSeconds, 'stepUpMaxAgeSeconds', GATEWAY_DEFAULTS.stepUpMaxAgeSeconds),
    bodyLimit: positiveInt(o.bodyLimit, 'bodyLimit', GATEWAY_DEFAULTS.bodyLimit),
    limits: Object.freeze(limitsOf(o.limits)),
    issuer: (issuer as string | undefined)?.trim(),
    clock: optionalFn<() => number>(o, 'clock') ?? Date.now,
    requestTimeoutMs: positiveInt(o.requestTimeoutMs, 'requestTimeoutMs', GATEWAY_DEFAULTS.requestTimeoutMs, MAX_TIMER_MS),
    factorCacheMs: o.factorCacheMs === 0 ? 0 : positiveInt(o.factorCacheMs, 'factorCacheMs', GATEWAY_DEFAULTS.factorCacheMs, undefined, ' (0: off)'),
    revocations: revocations as RevocationStore | undefined,
    rememberedDevices: rememberedDevicesOf(o.rememberedDevices),
  })
}

function rememberedDevicesOf (value: unknown): RememberedDevices | undefined {
  if (value === undefined) return undefined
  if (!(value instanceof RememberedDevices)) fail('"rememberedDevices" option must be a RememberedDevices of @okta-mfa/core')
  return value
}
