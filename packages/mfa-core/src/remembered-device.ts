// "Remember this device": after an MFA step where the person ticked the box, the browser gets a signed device cookie
// (HMAC-SHA-256 with a key derived from the app's secret), bound to the user and to a fingerprint of their active
// factors, valid for a configurable lifetime. A later session of the same user on that browser counts as having done
// MFA, for the guards and the gateway's viewer.mfa, but never for a step-up: the session is marked as remembered and
// step-up checks refuse it until a fresh code. "Forget remembered devices" marks the user in a RevocationStore (shared
// between instances when the store is), so every device cookie issued before is refused.
import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto'
import {
  MAX_USER_KEY_LENGTH, REMEMBERED_SESSION_KEY, getMfaState, recordMfa, sessionGet, sessionSet, userKeyOf, type MfaState, type MfaStateOptions, type SessionRequest, type UserKeyFn,
} from './session-state.js'

export { REMEMBERED_SESSION_KEY }
import { MemoryRevocationStore } from './stores/memory-revocation.js'
import { deviceMarkKey } from './stores/device-mark.js'
import { outcomeOfError } from './client-errors.js'
import { asStoreUnavailable, isStoreUnavailableError, type RevocationStore } from './stores/types.js'
import { refuseUnknownOptions } from './known-options.js'
import { FACTOR_ID_PATTERN } from './input.js'
import { InvalidOptionError } from './invalid-option.js'

/** Default name of the device cookie. */
export const REMEMBERED_DEVICE_COOKIE = 'okta_mfa_device'
/** Default lifetime of a remembered device: 30 days. */
export const DEFAULT_REMEMBER_DAYS = 30
/** Longest cookie value read (a real one is about 320 characters). */
export const MAX_DEVICE_COOKIE_LENGTH = 1024

/** Most secrets in a {@link RememberedDevicesOptions.secret} list (the newest and the ones being rotated out). */
export const MAX_DEVICE_SECRETS = 8

/** Options of {@link RememberedDevices}. */
export interface RememberedDevicesOptions {
  /**
   * The app's secret (e.g. its session key), at least 32 bytes; the signing key is derived from it (HKDF-SHA-256). A
   * list, newest first, rotates it as a session key list does: the first signs, a cookie signed with any is honoured
   * (at most {@link MAX_DEVICE_SECRETS}).
   */
  secret: string | Uint8Array | ReadonlyArray<string | Uint8Array>
  /**
   * The active factor ids of a user, from Okta (the fingerprint the cookie is bound to), none while Okta would refuse
   * the user's sign-in ({@link activeFactorIdsOf}). `request` is the request being served, when there is one
   * (`honour`, or `check` given it): read the Okta user bound in its session rather than looking the user up again.
   */
  activeFactorIds: (user: unknown, request?: SessionRequest) => Promise<readonly string[]>
  /** Lifetime of a remembered device, in days. @default 30 */
  maxAgeDays?: number | undefined
  /** Where "forget remembered devices" is recorded: share it between instances. @default a MemoryRevocationStore */
  store?: RevocationStore | undefined
  /** Name of the cookie. @default 'okta_mfa_device' */
  cookieName?: string | undefined
  /** Overrides {@link userKeyOf}. */
  userKey?: UserKeyFn | undefined
  /** Time source in ms. @default Date.now */
  clock?: (() => number) | undefined
}

/** Every option of {@link RememberedDevices}. */
const DEVICE_OPTIONS: Record<keyof RememberedDevicesOptions, true> = {
  secret: true, activeFactorIds: true, maxAgeDays: true, store: true, cookieName: true, userKey: true, clock: true,
}

/** What a valid device cookie says. */
export interface RememberedDevice {
  /** Random id of this device cookie. */
  id: string
  /** When the MFA step that remembered the device happened, ms since the epoch. */
  issuedAt: number
  /** When the device cookie expires, ms since the epoch. */
  expiresAt: number
  /** The factor verified then. */
  factorId: string
}

/** The longest lifetime of a remembered device, in days (browsers cap a cookie's Max-Age at 400 days). */
const MAX_REMEMBER_DAYS = 400
const MAX_REMEMBER_MS = MAX_REMEMBER_DAYS * 24 * 60 * 60_000

interface Payload { v: 1, id: string, u: string, f: string, fid: string, iat: number, exp: number }

const b64 = (data: Buffer | string): string => Buffer.from(data).toString('base64url')
const hash = (text: string): string => createHash('sha256').update(text, 'utf8').digest('base64url')

/** The fingerprint of a set of factor ids (order does not matter): adding or removing a factor changes it. */
export function factorFingerprint (factorIds: readonly string[]): string {
  return hash([...new Set(factorIds)].sort().join('\n'))
}

/** The value of one cookie in a `Cookie` header; undefined when absent (bounded: long headers are not split). */
export function readCookie (header: string | string[] | undefined, name: string): string | undefined {
  const text = Array.isArray(header) ? header.join('; ') : header
  if (typeof text !== 'string' || text.length > 16_384) return undefined
  for (const part of text.split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

/** The mark of a RememberedDevices instance, shared by every copy of this package (`Symbol.for`, versioned). */
const REMEMBERED_DEVICES_BRAND: unique symbol = Symbol.for('@okta-mfa/core.RememberedDevices.v1')

/**
 * Issues, checks and forgets remembered devices. Create one per app and give the same instance to the strategy's
 * front door (the MFA form sets the cookie), the guards (`rememberedDevices` option) and the gateway.
 *
 * @example
 * const devices = new RememberedDevices({ secret: sessionKey, activeFactorIds: async (user) => ids(user), store: revocations })
 * // after a successful code with the box ticked (`result`: checkPasscode's):
 * reply.header('set-cookie', devices.cookie(await devices.issue(request.user, result.factor.id), { secure: request.protocol === 'https' }))
 */
export class RememberedDevices {
  /**
   * `instanceof RememberedDevices` holds for an instance of any installed copy of @okta-mfa/core (an app and a
   * package of ours may each have their own): every copy marks its instances with the same registered symbol.
   */
  static [Symbol.hasInstance] (value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false
    const v = value as Record<PropertyKey, unknown>
    return v[REMEMBERED_DEVICES_BRAND] === true && typeof v.honour === 'function' && typeof v.check === 'function' && typeof v.issue === 'function'
  }

  /** Marks an instance of any installed copy of @okta-mfa/core, for `instanceof`. */
  readonly [REMEMBERED_DEVICES_BRAND] = true
  /** Name of the device cookie. @default 'okta_mfa_device' */
  readonly cookieName: string
  /** Lifetime of a device cookie, milliseconds (the `maxAgeDays` option). @default 30 days */
  readonly maxAgeMs: number
  /** The signing keys, newest first: the first signs, any verifies. */
  readonly #keys: Buffer[]
  readonly #options: RememberedDevicesOptions
  readonly #store: RevocationStore
  readonly #clock: () => number

  constructor (options: RememberedDevicesOptions) {
    if (typeof options !== 'object' || options === null) throw new InvalidOptionError('RememberedDevices needs an options object')
    refuseUnknownOptions(options, DEVICE_OPTIONS, 'RememberedDevices')
    const secrets = (Array.isArray(options.secret) ? options.secret : [options.secret]) as unknown[]
    if (secrets.length === 0 || secrets.length > MAX_DEVICE_SECRETS) throw new InvalidOptionError(`"secret" option must be one secret or a list of 1 to ${MAX_DEVICE_SECRETS}`)
    const keys = secrets.map((s) => {
      const secret = typeof s === 'string' ? Buffer.from(s, 'utf8') : s
      if (!(secret instanceof Uint8Array) || secret.length < 32) throw new InvalidOptionError('"secret" option must be at least 32 bytes (each of its list)')
      return Buffer.from(hkdfSync('sha256', secret, 'okta-mfa', 'remembered-device/v1', 32))
    })
    if (typeof options.activeFactorIds !== 'function') throw new InvalidOptionError('"activeFactorIds" option must be a function')
    const days = options.maxAgeDays === undefined ? DEFAULT_REMEMBER_DAYS : options.maxAgeDays
    if (typeof days !== 'number' || !Number.isFinite(days) || days <= 0 || days > MAX_REMEMBER_DAYS) throw new InvalidOptionError(`"maxAgeDays" option must be a number of days above 0, at most ${MAX_REMEMBER_DAYS}`)
    const name = options.cookieName === undefined ? REMEMBERED_DEVICE_COOKIE : options.cookieName
    if (typeof name !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(name)) throw new InvalidOptionError('"cookieName" option must be 1 to 64 letters, digits, "_" or "-"')
    const store = options.store
    if (store !== undefined && (typeof store !== 'object' || store === null || typeof store.isRevoked !== 'function' || typeof store.revokeUser !== 'function')) {
      throw new InvalidOptionError('"store" option must implement RevocationStore')
    }
    checkUserKeyAndClock(options)
    this.#options = options
    this.#clock = options.clock ?? Date.now
    this.#store = store ?? new MemoryRevocationStore({ clock: this.#clock })
    this.#keys = keys
    this.cookieName = name
    this.maxAgeMs = Math.round(days * 24 * 60 * 60_000)
  }

  #userKey (user: unknown): string { return userKeyOf(user, this.#options.userKey) }
  /** The user mark of "forget remembered devices" in the revocation store (see device-mark.ts). */
  #mark (userKey: string): string { return deviceMarkKey(userKey) }
  #sign (body: string, key: Buffer = this.#keys[0]!): string { return createHmac('sha256', key).update(body).digest('base64url') }

  /** Whether `signature`, as written, is `body`'s under one of the keys. */
  #signedByAny (body: string, signature: string): boolean {
    // The signature as written, not as decoded: Node's base64url decoding skips characters it does not know and the
    // unused bits of the last one, so many strings would pass for the one signature this value was issued with.
    const given = Buffer.from(signature, 'utf8')
    return this.#keys.some((key) => {
      const expected = Buffer.from(this.#sign(body, key), 'utf8')
      return given.length === expected.length && timingSafeEqual(given, expected)
    })
  }

  /**
   * A signed cookie value for `user`, bound to their active factors now; `factorId` is the factor just verified (the
   * `factor.id` of `checkPasscode`'s result). `request`, the request being served, is handed to `activeFactorIds`.
   *
   * @throws TypeError when `factorId` is not an Okta factor id (undefined, say, for a code sent without one): such a
   * cookie would never be honoured, and the person asked for a code at every sign-in without a word.
   */
  async issue (user: unknown, factorId: string, request?: SessionRequest): Promise<string> {
    if (typeof factorId !== 'string' || !FACTOR_ID_PATTERN.test(factorId)) {
      throw new InvalidOptionError('"factorId" must be the id of the factor just verified (the factor.id of checkPasscode\'s result)')
    }
    const now = this.#clock()
    const payload: Payload = {
      v: 1,
      id: randomBytes(16).toString('base64url'),
      u: hash(this.#userKey(user)),
      f: factorFingerprint(await this.#options.activeFactorIds(user, request)),
      fid: factorId,
      iat: now,
      exp: now + this.maxAgeMs,
    }
    const body = b64(JSON.stringify(payload))
    return `${body}.${this.#sign(body)}`
  }

  /** The `Set-Cookie` header of a cookie value: httpOnly, SameSite=Lax, `Secure` when asked (https), Max-Age the lifetime. */
  cookie (value: string, options: {
    /** Whether to add `Secure` (the site is served over https). */
    secure: boolean
    /** The cookie's `Path`. @default '/' */
    path?: string
  }): string {
    return `${this.cookieName}=${value}; Path=${options.path ?? '/'}; Max-Age=${Math.floor(this.maxAgeMs / 1000)}; HttpOnly; SameSite=Lax${options.secure ? '; Secure' : ''}`
  }

  /** The `Set-Cookie` header that deletes the cookie on this browser. */
  clearCookie (options: {
    /** Whether to add `Secure` (the site is served over https). */
    secure: boolean
    /** The cookie's `Path`. @default '/' */
    path?: string
  }): string {
    return `${this.cookieName}=; Path=${options.path ?? '/'}; Max-Age=0; HttpOnly; SameSite=Lax${options.secure ? '; Secure' : ''}`
  }

  /**
   * The device a cookie value remembers for `user`, or undefined: bad signature, expired, another user, factors
   * changed since (which also forgets every device of the user issued until now: a change undone later does not
   * revive them), or forgotten. One factor listing and one store round trip (after the signature checks). An Okta
   * failure while listing the factors also means undefined (ask for the code); a store outage rejects with
   * StoreUnavailableError (fail closed). `request`, the request being served, is handed to `activeFactorIds`.
   */
  async check (value: string | undefined, user: unknown, request?: SessionRequest): Promise<RememberedDevice | undefined> {
    if (typeof value !== 'string' || value.length > MAX_DEVICE_COOKIE_LENGTH) return undefined
    const dot = value.indexOf('.')
    if (dot <= 0) return undefined
    const body = value.slice(0, dot)
    if (!this.#signedByAny(body, value.slice(dot + 1))) return undefined
    let p: Partial<Payload>
    try {
      p = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<Payload>
    } catch {
      return undefined
    }
    if (p.v !== 1 || typeof p.id !== 'string' || typeof p.u !== 'string' || typeof p.f !== 'string' || typeof p.fid !== 'string' || !FACTOR_ID_PATTERN.test(p.fid)) return undefined
    // Honoured until the cookie's own expiry, and never longer than this instance's lifetime from when it was issued:
    // lowering `days` shortens the cookies already out too.
    const now = this.#clock()
    if (typeof p.iat !== 'number' || typeof p.exp !== 'number' || p.exp <= now || p.iat + this.maxAgeMs <= now) return undefined
    const userKey = this.#userKey(user)
    if (p.u !== hash(userKey)) return undefined
    let factorIds: readonly string[]
    try {
      factorIds = await this.#options.activeFactorIds(user, request)
    } catch (err) {
      // Okta unreachable or refusing: not remembered, so the user is asked for a code. Anything else is a bug.
      if (outcomeOfError(err) === undefined || isStoreUnavailableError(err)) throw err
      return undefined
    }
    // No active factor: a user Okta would refuse now (activeFactorIdsOf), or one whose factors were all reset. Not
    // remembered while so, and nothing forgotten: no cookie is issued without a factor, and new factors' ids are new.
    if (factorIds.length === 0) return undefined
    if (p.f !== factorFingerprint(factorIds)) {
      // The factors changed since: forget every device of the user now, so that undoing the change (removing the
      // factor just added) does not bring this cookie, or any other as old, back to life.
      await this.#forget(userKey)
      return undefined
    }
    let forgotten: boolean
    try { forgotten = await this.#store.isRevoked(p.id, this.#mark(userKey), p.iat) } catch (err) { throw asStoreUnavailable(err) }
    if (forgotten) return undefined
    return { id: p.id, issuedAt: p.iat, expiresAt: Math.min(p.exp, p.iat + this.maxAgeMs), factorId: p.fid }
  }

  /**
   * When the session has no MFA step and the request carries a valid device cookie for its user: records the MFA
   * step (the time of the code that remembered the device, the factor used then) and marks it as remembered, so
   * {@link isRememberedMfa} is true and step-ups refuse it. Returns the state, or undefined.
   */
  async honour (req: SessionRequest & {
    /** The request's headers (Node's, Fastify's or Express's request has them). */
    headers?: {
      /** The `Cookie` header, where the device cookie is looked for. */
      cookie?: string | string[] | undefined
    }
  }): Promise<MfaState | undefined> {
    const user = req.user
    if (user === undefined || user === null || user === false) return undefined
    const existing = getMfaState(req, { user, userKey: this.#options.userKey })
    if (existing !== undefined) return existing
    const device = await this.check(readCookie(req.headers?.cookie, this.cookieName), user, req)
    if (device === undefined) return undefined
    const state = recordMfa(req, { user, factorId: device.factorId, method: 'remembered', now: device.issuedAt, userKey: this.#options.userKey })
    sessionSet(req, REMEMBERED_SESSION_KEY, { userKey: state.userKey, completedAt: state.completedAt })
    return state
  }

  /** "Forget remembered devices": every device cookie of the user issued until now is refused (on every instance sharing the store). */
  async forgetAll (user: unknown): Promise<void> {
    await this.#forget(this.#userKey(user))
  }

  /** Every device cookie of the user key issued until now is refused from now on. */
  async #forget (userKey: string): Promise<void> {
    await writeDeviceMark(this.#store, this.#mark(userKey), this.#clock())
  }
}

/** The options the device cookies and their forget marks are keyed and timed by. */
function checkUserKeyAndClock (options: { userKey?: unknown, clock?: unknown }): void {
  if (options.clock !== undefined && typeof options.clock !== 'function') throw new InvalidOptionError('"clock" option must be a function')
  if (options.userKey !== undefined && typeof options.userKey !== 'function') throw new InvalidOptionError('"userKey" option must be a function')
}

// Kept for the longest lifetime any instance may honour (400 days), not this one's: an instance with a shorter
// lifetime that forgets must not let a longer-lived instance honour the forgotten cookies once its mark expires.
async function writeDeviceMark (store: RevocationStore, mark: string, now: number): Promise<void> {
  try { await store.revokeUser(mark, now, MAX_REMEMBER_MS) } catch (err) { throw asStoreUnavailable(err) }
}

/**
 * "Forget remembered devices" without a {@link RememberedDevices}: what its `forgetAll` writes, into the revocation
 * store that the app's `RememberedDevices` reads. For code that changes a user's factors but honours no device
 * itself (a gateway that does not remember devices, beside an app that does): every device cookie of the user
 * issued until now is refused. `userKey` and `clock` as the app's `RememberedDevices` has them.
 *
 * @example
 * ```ts
 * await forgetRememberedDevices(revocations, req.user, { userKey: (u) => `staff:${u.email}` })
 * ```
 */
export async function forgetRememberedDevices (store: RevocationStore, user: unknown, options: {
  /** Overrides {@link userKeyOf}: the app's `RememberedDevices` one. */
  userKey?: UserKeyFn | undefined
  /** Time source in ms: the app's `RememberedDevices` one. @default Date.now */
  clock?: (() => number) | undefined
} = {}): Promise<void> {
  if (typeof store !== 'object' || store === null || typeof store.revokeUser !== 'function') throw new InvalidOptionError('"store" must implement RevocationStore')
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('forgetRememberedDevices options must be an object')
  refuseUnknownOptions(options, FORGET_OPTIONS, 'forgetRememberedDevices')
  checkUserKeyAndClock(options)
  await writeDeviceMark(store, deviceMarkKey(userKeyOf(user, options.userKey)), (options.clock ?? Date.now)())
}

/** Every option of {@link forgetRememberedDevices}. */
const FORGET_OPTIONS = { userKey: true, clock: true } as const

/**
 * Whether the session's MFA step came from a remembered device (and no code was entered since). Step-up checks
 * (removing a factor, enrolling another) must refuse such a session and ask for a code. `user` is the signed-in
 * user as in {@link getMfaState} (default: `req.user`); without one, no step is found and the answer is false.
 */
export function isRememberedMfa (req: SessionRequest, options: MfaStateOptions = {}): boolean {
  const state = getMfaState(req, options)
  if (state === undefined) return false
  const raw = sessionGet(req, REMEMBERED_SESSION_KEY) as { userKey?: unknown, completedAt?: unknown } | undefined
  return typeof raw === 'object' && raw !== null && raw.userKey === state.userKey && raw.completedAt === state.completedAt
}
