// The decision both guards share: does this request carry a fresh enough MFA step for its user?
// The Express and Fastify guards only differ in how they answer.
import {
  MFA_OUTCOMES, MFA_SESSION_KEY, OKTA_USER_SESSION_KEY, REMEMBERED_SESSION_KEY, RememberedDevices, SESSION_IDENTITY_KEY,
  getMfaState, isRememberedMfa, isSessionRevoked, isStoreUnavailableError, refuseUnknownOptions, type MfaState, type RevocationStore, type SessionRequest, type UserKeyFn,
} from '@okta-mfa/core'
import { checkRevocationOptions, logOutRevoked } from './sign-out.js'
import { isSafeReturnTo } from './safe-redirect.js'
import { InvalidOptionError, refusedAsOurs } from './invalid-option.js'

/** Options of `requireMfa` and `requireMfaFastify`. */
export interface RequireMfaOptions {
  /** Where a page request without MFA is sent. @default '/mfa' */
  redirectTo?: string | undefined
  /** Where a page request without any login is sent; without it, such a request gets 401 UNAUTHENTICATED. */
  loginRedirectTo?: string | undefined
  /** Step-up: an MFA step older than this many seconds no longer counts. @default no limit */
  maxAgeSeconds?: number | undefined
  /** Time source in ms (tests inject one). @default Date.now */
  clock?: (() => number) | undefined
  /** Overrides `userKeyOf`, as in the strategy. */
  userKey?: UserKeyFn | undefined
  /** Session key that remembers where a redirected page request was going (passport's `successReturnToOrRedirect` reads it). @default 'returnTo' */
  returnToKey?: string | undefined
  /** Where revoked sessions are remembered (the store your logout revokes in); a revoked session is signed out. @default none */
  revocations?: RevocationStore | undefined
  /**
   * Honour "Remember this device" cookies (@okta-mfa/core's RememberedDevices): a session without an MFA step on a
   * remembered browser counts as having one. Never for a step-up guard (`maxAgeSeconds`): there a remembered step
   * is refused until a fresh code. @default none
   */
  rememberedDevices?: RememberedDevices | undefined
}

/** The frozen, validated form of {@link RequireMfaOptions}. */
export interface GuardConfig {
  redirectTo: string
  loginRedirectTo: string | undefined
  maxAgeMs: number | undefined
  clock: () => number
  userKey: UserKeyFn | undefined
  returnToKey: string
  revocations: RevocationStore | undefined
  rememberedDevices: RememberedDevices | undefined
}

/** The outcome for one request. */
export type GuardVerdict =
  | { ok: true, state: MfaState }
  | { ok: false, code: 'UNAUTHENTICATED' | 'MFA_REQUIRED' | 'STORE_UNAVAILABLE', stepUp: boolean }

function localPath (value: unknown, name: string): string {
  if (!isSafeReturnTo(value)) throw new InvalidOptionError(`"${name}" option must be a path starting with "/"`)
  return value
}

/** Every option {@link guardConfig} reads: the type keeps this list and the options interface the same. */
const GUARD_OPTIONS: Record<keyof RequireMfaOptions, true> = {
  redirectTo: true, loginRedirectTo: true, maxAgeSeconds: true, clock: true, userKey: true, returnToKey: true,
  revocations: true, rememberedDevices: true,
}

/**
 * Session property names `returnToKey` may not take: express-session's and @fastify/secure-session's own members (a
 * `cookie` there made every redirected request hang; `save`, `id` and the rest break the session), passport's entry,
 * the MFA state this package keeps, and any name an object has by default (`__proto__`, `constructor`, `toString`).
 */
const RESERVED_SESSION_KEYS: ReadonlySet<string> = new Set([
  'cookie', 'id', 'req', 'regenerate', 'destroy', 'reload', 'save', 'touch', 'resetMaxAge', 'get', 'set', 'delete',
  'options', 'changed', 'deleted', 'data', 'passport', MFA_SESSION_KEY, OKTA_USER_SESSION_KEY, SESSION_IDENTITY_KEY,
  REMEMBERED_SESSION_KEY,
])

/**
 * Validates guard options once, at setup.
 *
 * @throws TypeError naming the bad option.
 */
export function guardConfig (options: RequireMfaOptions = {}): GuardConfig {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('requireMfa options must be an object')
  // A misspelt option (say "maxAgeSecond") would otherwise turn a step-up guard into a plain one without a word.
  refusedAsOurs(() => { refuseUnknownOptions(options, GUARD_OPTIONS, 'requireMfa') })
  const { maxAgeSeconds, clock, userKey } = options
  if (maxAgeSeconds !== undefined && (typeof maxAgeSeconds !== 'number' || !Number.isFinite(maxAgeSeconds) || maxAgeSeconds <= 0)) {
    throw new InvalidOptionError('"maxAgeSeconds" option must be a positive number')
  }
  checkRevocationOptions(options)
  const returnToKey = options.returnToKey ?? 'returnTo'
  if (typeof returnToKey !== 'string' || returnToKey === '') throw new InvalidOptionError('"returnToKey" option must be a non-empty string')
  if (RESERVED_SESSION_KEYS.has(returnToKey) || returnToKey in Object.prototype) {
    throw new InvalidOptionError(`"returnToKey" option must not be ${JSON.stringify(returnToKey.slice(0, 64))}: the session or this package uses that name`)
  }
  const { revocations } = options
  const { rememberedDevices } = options
  if (rememberedDevices !== undefined && !(rememberedDevices instanceof RememberedDevices)) {
    throw new InvalidOptionError('"rememberedDevices" option must be a RememberedDevices of @okta-mfa/core')
  }
  return Object.freeze({
    rememberedDevices,
    redirectTo: localPath(options.redirectTo ?? '/mfa', 'redirectTo'),
    loginRedirectTo: options.loginRedirectTo === undefined ? undefined : localPath(options.loginRedirectTo, 'loginRedirectTo'),
    maxAgeMs: maxAgeSeconds === undefined ? undefined : maxAgeSeconds * 1000,
    clock: clock ?? Date.now,
    userKey,
    returnToKey,
    revocations,
  })
}

/**
 * Whether the request carries a user with a (fresh enough) MFA step, in a session that was not revoked. A revoked
 * session is UNAUTHENTICATED; a revocation store that cannot answer is STORE_UNAVAILABLE (fail closed).
 */
export async function mfaVerdict (req: SessionRequest, config: GuardConfig): Promise<GuardVerdict> {
  const user = req.user
  if (user === undefined || user === null || user === false) return { ok: false, code: 'UNAUTHENTICATED', stepUp: false }
  if (config.revocations !== undefined) {
    try {
      if (await isSessionRevoked(req, config.revocations, { user, userKey: config.userKey, clock: config.clock })) {
        await logOutRevoked(req)
        return { ok: false, code: 'UNAUTHENTICATED', stepUp: false }
      }
    } catch (err) {
      if (isStoreUnavailableError(err)) return { ok: false, code: 'STORE_UNAVAILABLE', stepUp: false }
      throw err
    }
  }
  const opts = config.userKey === undefined ? {} : { userKey: config.userKey }
  let state = getMfaState(req, opts)
  // A step-up guard never honours a remembered device, and must not record its step for the app's other guards either.
  if (state === undefined && config.rememberedDevices !== undefined && config.maxAgeMs === undefined) {
    try {
      state = await config.rememberedDevices.honour(req)
    } catch (err) {
      // Okta unreachable is already "not remembered" (ask for a code); what comes here is the store, or a bug.
      if (isStoreUnavailableError(err)) return { ok: false, code: 'STORE_UNAVAILABLE', stepUp: false }
      throw err
    }
  }
  if (state === undefined) return { ok: false, code: 'MFA_REQUIRED', stepUp: false }
  if (config.maxAgeMs !== undefined && (isRememberedMfa(req, opts) || config.clock() - state.completedAt > config.maxAgeMs)) {
    return { ok: false, code: 'MFA_REQUIRED', stepUp: true }
  }
  return { ok: true, state }
}

/**
 * A browser navigation (wants HTML) rather than an API call: `Accept` names `text/html` with a weight above 0. A
 * `text/html;q=0` says HTML is not acceptable (RFC 9110 12.5.1), so such a client gets the JSON answer.
 */
export function wantsHtml (accept: string | string[] | undefined): boolean {
  const value = Array.isArray(accept) ? accept.join(',') : accept
  if (value === undefined) return false
  for (const range of value.split(',')) {
    const [type, ...params] = range.split(';')
    if (type!.trim().toLowerCase() !== 'text/html') continue
    if (!params.some(isZeroWeight)) return true
  }
  return false
}

/** `q=0`, `q=0.0`, ... (a qvalue of 0, RFC 9110 12.4.2). */
function isZeroWeight (param: string): boolean {
  return /^\s*q\s*=\s*0(?:\.0{0,3})?\s*$/i.test(param)
}

/**
 * The URL worth returning to after MFA: only GET/HEAD navigations, and only safe local paths
 * (see `isSafeReturnTo`: "//evil.example", "/\t/evil.example" and the like would be open redirects).
 */
export function returnToOf (method: string | undefined, url: string | undefined): string | undefined {
  if (method !== 'GET' && method !== 'HEAD') return undefined
  return isSafeReturnTo(url) ? url : undefined
}

/** The HTTP status of a refused API request (401, or 503 when the revocation store is unavailable). */
export function refusalStatus (verdict: Extract<GuardVerdict, { ok: false }>): number {
  return MFA_OUTCOMES[verdict.code].status
}

/** The JSON body of a refused API request. */
export function refusalBody (verdict: Extract<GuardVerdict, { ok: false }>): { code: string, message: string, stepUp: boolean } {
  return { code: verdict.code, message: MFA_OUTCOMES[verdict.code].message, stepUp: verdict.stepUp }
}
