// Strategy options: their types, defaults and validation. A bad option is a programmer's mistake and
// throws a TypeError naming it at construction; nothing is repaired silently.
import { createOktaClient, type OktaClientOptions } from '@okta-mfa/client'
import {
  AttemptLimiter, DEFAULT_REQUEST_DEADLINE_MS, FACTOR_CACHE_TTL_MS, MAX_TIMER_MS,
  type AttemptStore, type MfaOktaClient, type ResolveOktaUser, type RevocationStore, type UserKeyFn,
} from '@okta-mfa/core'
import { checkRevocationOptions } from './sign-out.js'
import { InvalidOptionError, refusedAsOurs } from './invalid-option.js'

/** Options of {@link OktaMfaStrategy} (without the `passReqToCallback` switch). */
export interface OktaMfaStrategyBaseOptions<User = any, Req = any> {
  /** An `@okta-mfa/client` instance (or anything with its methods). Give this, or `orgUrl` + `token` (or `orgUrl` + `auth`). */
  client?: MfaOktaClient | undefined
  /** Okta org URL, e.g. `https://dev-123456.okta.com`; the strategy then creates and owns a client. */
  orgUrl?: string | undefined
  /** SSWS API token, with `orgUrl`. Give `token` or `auth`, not both. */
  token?: string | undefined
  /**
   * How the client the strategy creates authorizes, with `orgUrl`: the client's `auth` option, i.e. an SSWS token
   * string or OAuth 2.0 settings `{ clientId, privateKey, keyId?, scopes, dpop? }` (an API Services app). See the
   * README's "Using an OAuth 2.0 service app". Give `token` or `auth`, not both.
   */
  auth?: OktaClientOptions['auth'] | undefined
  /** Accept an `http:` orgUrl (the local emulator only). @default false */
  allowInsecureHttp?: boolean | undefined
  /** Timeout of each Okta request in ms, with `orgUrl`. @default 5000 (the client's) */
  timeoutMs?: number | undefined
  /** Further options for the client created from `orgUrl` (`dispatcher`, `userAgent`, ...). */
  clientOptions?: Partial<OktaClientOptions> | undefined
  /** Maps the app's user to an Okta user: `{ id }` or `{ login }` (looked up). Required. */
  resolveOktaUser: ResolveOktaUser<User, Req>
  /** Create a missing Okta user (resolved by login) without credentials. @default false */
  provision?: boolean | undefined
  /** Body field of the passcode. @default 'passCode' */
  passCodeField?: string | undefined
  /** Body field of an optional factor id (must be one of the user's factors). @default 'factorId' */
  factorIdField?: string | undefined
  /** The attempt limiter, shared with the gateway if you like; `false` turns ours off (Okta's remains). @default new AttemptLimiter({ store, maxAttempts, windowMs, clock }) */
  limiter?: AttemptLimiter | false | undefined
  /** Store of the default limiter. @default new MemoryAttemptStore() */
  store?: AttemptStore | undefined
  /** Passcode attempts per user per window of the default limiter; keep it below the org's Okta lockout. @default 4 */
  maxAttempts?: number | undefined
  /** Window of the default limiter in ms. @default 900000 (15 minutes) */
  windowMs?: number | undefined
  /** Time source in ms (MFA timestamps, limiter). @default Date.now */
  clock?: (() => number) | undefined
  /** Overrides `userKeyOf` (binds the MFA state and the attempt counter to the user). */
  userKey?: UserKeyFn | undefined
  /** Strategy name for `passport.authenticate(name)`. @default 'okta-mfa' */
  name?: string | undefined
  /** One deadline for all the Okta calls of one request, ms. @default 5000 */
  requestTimeoutMs?: number | undefined
  /** How long the factor list is cached in the session, ms (0: off). Enrollment changes drop it. @default 30000 */
  factorCacheMs?: number | undefined
  /** Where revoked sessions are remembered (the store your logout revokes in): a revoked session is UNAUTHENTICATED. @default none */
  revocations?: RevocationStore | undefined
}

/** The options with `passReqToCallback: true`: the verify callback gets the request first. */
export interface OktaMfaStrategyOptionsWithRequest<User = any, Req = any> extends OktaMfaStrategyBaseOptions<User, Req> {
  /** The verify callback gets the request first: `(req, user, info, done)`. */
  passReqToCallback: true
}

/** The options without `passReqToCallback`. */
export interface OktaMfaStrategyOptions<User = any, Req = any> extends OktaMfaStrategyBaseOptions<User, Req> {
  /** Without the request: the verify callback is `(user, info, done)`. @default false */
  passReqToCallback?: false | undefined
}

/** The validated, frozen configuration. */
export interface StrategyConfig<User, Req> {
  name: string
  client: MfaOktaClient
  ownsClient: boolean
  resolveOktaUser: ResolveOktaUser<User, Req>
  provision: boolean
  passCodeField: string
  factorIdField: string
  limiter: AttemptLimiter | undefined
  clock: () => number
  userKey: UserKeyFn | undefined
  passReqToCallback: boolean
  requestTimeoutMs: number
  factorCacheMs: number
  revocations: RevocationStore | undefined
}

/** Every option {@link strategyConfig} reads: the type keeps this list and the options interface the same. */
const OPTIONS: Record<keyof OktaMfaStrategyBaseOptions | 'passReqToCallback', true> = {
  client: true, orgUrl: true, token: true, auth: true, allowInsecureHttp: true, timeoutMs: true, clientOptions: true,
  resolveOktaUser: true, provision: true, passCodeField: true, factorIdField: true, limiter: true, store: true,
  maxAttempts: true, windowMs: true, clock: true, userKey: true, name: true, requestTimeoutMs: true, factorCacheMs: true,
  revocations: true, passReqToCallback: true,
}
const OPTION_NAMES: ReadonlySet<string> = new Set(Object.keys(OPTIONS))

function nonNegativeInt (value: unknown, option: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw new InvalidOptionError(`"${option}" option must be an integer of at least ${min}`)
  if (value > max) throw new InvalidOptionError(`"${option}" option must be an integer of at most ${max}`)
  return value
}

function fieldName (value: unknown, option: string, fallback: string): string {
  if (value === undefined) return fallback
  if (typeof value !== 'string' || value === '') throw new InvalidOptionError(`"${option}" option must be a non-empty string`)
  return value
}

function clientOf (options: OktaMfaStrategyBaseOptions): { client: MfaOktaClient, ownsClient: boolean } {
  if (options.client !== undefined) {
    if (options.orgUrl !== undefined || options.token !== undefined || options.auth !== undefined) {
      throw new InvalidOptionError('give either the "client" option or "orgUrl" with "token" or "auth", not both')
    }
    // Settings of the client the strategy would create: with a client of the app's own they would do nothing.
    const unused = (['allowInsecureHttp', 'timeoutMs', 'clientOptions'] as const).find((k) => options[k] !== undefined)
    if (unused !== undefined) throw new InvalidOptionError(`"${unused}" option configures the client created from "orgUrl": it does nothing with "client"`)
    const c = options.client as Partial<MfaOktaClient> | null
    if (typeof c !== 'object' || c === null || typeof c.verifyFactor !== 'function' || typeof c.listFactors !== 'function') {
      throw new InvalidOptionError('"client" option must be an @okta-mfa/client OktaClient')
    }
    return { client: options.client, ownsClient: false }
  }
  if (typeof options.orgUrl !== 'string' || options.orgUrl === '') throw new InvalidOptionError('"orgUrl" option must be a URL string (or pass "client")')
  const extra: unknown = options.clientOptions
  if (extra !== undefined && (typeof extra !== 'object' || extra === null || Array.isArray(extra))) {
    throw new InvalidOptionError('"clientOptions" option must be an object of @okta-mfa/client options')
  }
  if (options.clientOptions?.orgUrl !== undefined) throw new InvalidOptionError('"clientOptions.orgUrl": give the org URL once, as "orgUrl"')
  if (options.token !== undefined && options.clientOptions?.token !== undefined) {
    throw new InvalidOptionError('"token" and "clientOptions.token" are both given: give the token once')
  }
  for (const name of ['allowInsecureHttp', 'timeoutMs'] as const) {
    if (options[name] !== undefined && options.clientOptions?.[name] !== undefined) {
      throw new InvalidOptionError(`"${name}" and "clientOptions.${name}" are both given: give it once`)
    }
  }
  if (options.auth !== undefined) {
    if (options.token !== undefined || options.clientOptions?.auth !== undefined || options.clientOptions?.token !== undefined) {
      throw new InvalidOptionError('"auth" option excludes "token" (and "clientOptions.auth"/"clientOptions.token"): give one way to authorize')
    }
    if (options.auth === null || (typeof options.auth !== 'string' && typeof options.auth !== 'object')) {
      throw new InvalidOptionError('"auth" option must be an SSWS token string or OAuth 2.0 settings { clientId, privateKey, scopes }')
    }
  } else if (options.clientOptions?.auth === undefined && (typeof options.token !== 'string' || options.token === '')) {
    throw new InvalidOptionError('"token" option must be a non-empty string (or pass "auth" or "client")')
  }
  const clientOptions: OktaClientOptions = { ...options.clientOptions, orgUrl: options.orgUrl }
  if (options.token !== undefined) clientOptions.token = options.token
  // The client validates the settings and throws a TypeError naming "auth.<field>" (never quoting a key).
  if (options.auth !== undefined) clientOptions.auth = options.auth
  if (options.allowInsecureHttp !== undefined) clientOptions.allowInsecureHttp = options.allowInsecureHttp
  if (options.timeoutMs !== undefined) clientOptions.timeoutMs = options.timeoutMs
  return { client: refusedAsOurs(() => createOktaClient(clientOptions)), ownsClient: true }
}

/**
 * Validates the options and builds the configuration (creating the client when given `orgUrl`).
 *
 * @throws TypeError naming the first bad option.
 */
export function strategyConfig<User, Req> (options: OktaMfaStrategyBaseOptions<User, Req> & { passReqToCallback?: boolean }): StrategyConfig<User, Req> {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('OktaMfaStrategy requires an options object')
  // A misspelt option (say "maxAtempts") would otherwise leave its default in place without a word.
  const unknown = Object.keys(options).find((key) => !OPTION_NAMES.has(key))
  if (unknown !== undefined) throw new InvalidOptionError(`${JSON.stringify(unknown.slice(0, 64))} is not an option of OktaMfaStrategy`)
  if (typeof options.resolveOktaUser !== 'function') throw new InvalidOptionError('"resolveOktaUser" option must be a function')
  if (options.provision !== undefined && typeof options.provision !== 'boolean') throw new InvalidOptionError('"provision" option must be a boolean')
  if (options.passReqToCallback !== undefined && typeof options.passReqToCallback !== 'boolean') {
    throw new InvalidOptionError('"passReqToCallback" option must be a boolean')
  }
  checkRevocationOptions(options)
  if (options.limiter !== undefined && options.limiter !== false && !(options.limiter instanceof AttemptLimiter)) {
    throw new InvalidOptionError('"limiter" option must be an AttemptLimiter or false')
  }
  if (options.limiter !== undefined && (options.store !== undefined || options.maxAttempts !== undefined || options.windowMs !== undefined)) {
    throw new InvalidOptionError('"store", "maxAttempts" and "windowMs" configure the default limiter: do not combine them with "limiter"')
  }
  const name = fieldName(options.name, 'name', 'okta-mfa')
  const passCodeField = fieldName(options.passCodeField, 'passCodeField', 'passCode')
  const factorIdField = fieldName(options.factorIdField, 'factorIdField', 'factorId')
  if (factorIdField === passCodeField) throw new InvalidOptionError('"passCodeField" and "factorIdField" options must name different fields')
  const clock = options.clock ?? Date.now
  let limiter: AttemptLimiter | undefined
  if (options.limiter === undefined) {
    limiter = refusedAsOurs(() => new AttemptLimiter({
      clock,
      ...(options.store === undefined ? {} : { store: options.store }),
      ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
      ...(options.windowMs === undefined ? {} : { windowMs: options.windowMs }),
    }))
  } else if (options.limiter !== false) {
    limiter = options.limiter
  }
  const { client, ownsClient } = clientOf(options)
  return Object.freeze({
    name,
    client,
    ownsClient,
    resolveOktaUser: options.resolveOktaUser,
    provision: options.provision ?? false,
    passCodeField,
    factorIdField,
    limiter,
    clock,
    userKey: options.userKey,
    passReqToCallback: options.passReqToCallback === true,
    requestTimeoutMs: nonNegativeInt(options.requestTimeoutMs, 'requestTimeoutMs', DEFAULT_REQUEST_DEADLINE_MS, 1, MAX_TIMER_MS),
    factorCacheMs: nonNegativeInt(options.factorCacheMs, 'factorCacheMs', FACTOR_CACHE_TTL_MS, 0),
    revocations: options.revocations,
  })
}
