// Session revocation in one process: revoked session ids and per-user "revoked before" marks, each with a TTL, in
// bounded memory, each kind capped on its own. When a kind's bound is reached with live entries only, its new
// revocations go to its own hashed overflow set that can only over-revoke, never forget (see MemoryRevocationStore's
// TSDoc and revocation-overflow.ts).
import type { RevocationStore } from './types.js'
import { refuseUnknownOptions } from '../known-options.js'
import { OverflowSet } from './revocation-overflow.js'
import { SWEEP_INTERVAL_MS, UserMarks } from './user-marks.js'
import { compactDeviceMarkKey, isDeviceMarkKey } from './device-mark.js'
import { InvalidOptionError } from '../invalid-option.js'

/** Options of {@link MemoryRevocationStore}. */
export interface MemoryRevocationStoreOptions {
  /** Time source in ms; TTLs run on it. @default Date.now */
  clock?: (() => number) | undefined
  /** Most revoked sessions, and apart from them most sign-out marks and most device marks, kept exactly before new ones overflow. @default 100000 */
  maxEntries?: number | undefined
}

/** Every option of {@link MemoryRevocationStore}. */
const MEMORY_REVOCATION_OPTIONS: Record<keyof MemoryRevocationStoreOptions, true> = { clock: true, maxEntries: true }

/**
 * Revoked sessions for one process. Each revocation lives for its TTL, then is forgotten (by then the session it
 * names has expired anyway).
 *
 * Bounded memory: at most `maxEntries` revoked sessions, and apart from them at most `maxEntries` "sign out of all
 * sessions" marks and `maxEntries` "forget remembered devices" marks ({@link RememberedDevices} keeps them 400 days),
 * each with its own overflow: marks that live for months never take the room of sessions or sign-outs revoked for a
 * day, nor keep their overflow alive. A device mark in the overflow can make a remembered browser ask for a code
 * again (never let one in). When a revocation would exceed its map's
 * bound, that map's expired entries are swept first (at most once a second). If every entry is still live, the store
 * does NOT drop any of them (that would silently make a revoked cookie valid again) and does not fail the logout
 * either: the new revocation goes into a hashed overflow set, one for each of the three kinds, each at most 1 MiB:
 * up to 4 Bloom filters ("generations") of 256 KiB and 65 536 entries, each dropped as soon as every entry in it has
 * expired. An overflow set can wrongly report a session as revoked (the user signs in again; about 6 in a million
 * for each full generation), never the other way round; a user revocation in the overflow counts for sessions issued
 * up to the latest `before` held in its generation. Once all 4 generations are live and full (more than 262 144
 * revocations of a kind beyond `maxEntries` within one TTL), new ones still go into the newest and the rate of
 * wrong refusals rises: under such a flood of logouts the store degrades towards signing people out, never towards
 * letting a revoked session back in, and memory stays bounded.
 *
 * Use {@link RedisRevocationStore} when more than one process serves the same sessions.
 *
 * @example
 * const revocations = new MemoryRevocationStore()
 * await revocations.revokeSession(sessionId, 24 * 3600_000)
 * if (await revocations.isRevoked(sessionId, userKey, issuedAt)) refuse()
 */
export class MemoryRevocationStore implements RevocationStore {
  readonly #clock: () => number
  readonly #maxEntries: number
  /** session id → expiry */
  readonly #sessions = new Map<string, number>()
  readonly #sessionOverflow = new OverflowSet()
  /** "Sign out of all sessions" marks, and RememberedDevices' "forget remembered devices" marks. */
  readonly #users: UserMarks
  readonly #deviceMarks: UserMarks
  #lastSessionSweep = Number.NEGATIVE_INFINITY

  constructor (options: MemoryRevocationStoreOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new InvalidOptionError('"options" must be an object')
    refuseUnknownOptions(options, MEMORY_REVOCATION_OPTIONS, 'MemoryRevocationStore')
    if (options.clock !== undefined && typeof options.clock !== 'function') throw new InvalidOptionError('"clock" option must be a function')
    // Only `undefined` is "not given": a `null` is refused like any other bad value.
    const maxEntries = options.maxEntries === undefined ? 100_000 : options.maxEntries
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new InvalidOptionError('"maxEntries" option must be a positive integer')
    this.#clock = options.clock ?? Date.now
    this.#maxEntries = maxEntries
    this.#users = new UserMarks(maxEntries)
    this.#deviceMarks = new UserMarks(maxEntries)
  }

  /**
   * Exact entries held: revoked sessions plus user marks, live or not yet swept (sessions, sign-out marks and device
   * marks each at most `maxEntries`, so at most three times that); the overflow sets are not counted.
   */
  get size (): number {
    return this.#sessions.size + this.#users.size + this.#deviceMarks.size
  }

  /** Revocations (sessions plus users) held in the overflow generations still live now (0 in normal operation). */
  get overflowCount (): number {
    const now = this.#clock()
    return this.#sessionOverflow.count(now) + this.#users.overflowCount(now) + this.#deviceMarks.overflowCount(now)
  }

  async revokeSession (sessionId: string, ttlMs: number): Promise<void> {
    checkTtl(ttlMs)
    const now = this.#clock()
    const expiresAt = now + ttlMs
    const current = this.#sessions.get(sessionId)
    if (current !== undefined) {
      this.#sessions.set(sessionId, Math.max(current, expiresAt))
      return
    }
    if (this.#sessions.size >= this.#maxEntries && now - this.#lastSessionSweep >= SWEEP_INTERVAL_MS) this.#sweepSessions(now)
    if (this.#sessions.size < this.#maxEntries) this.#sessions.set(sessionId, expiresAt)
    else this.#sessionOverflow.add(sessionId, expiresAt, now)
  }

  async revokeUser (userKey: string, before: number, ttlMs: number): Promise<void> {
    checkTtl(ttlMs)
    if (!Number.isFinite(before)) throw new InvalidOptionError('"before" must be a finite number of ms since the epoch')
    const now = this.#clock()
    // By kind: a device mark (400 days) never shares a map or an overflow generation with sign-outs (a session's life).
    // Its map holds it without the padding (about 500 bytes a mark), since that map holds no user key to keep apart.
    if (isDeviceMarkKey(userKey)) this.#deviceMarks.add(compactDeviceMarkKey(userKey, true), before, now + ttlMs, now)
    else this.#users.add(userKey, before, now + ttlMs, now)
  }

  async isRevoked (sessionId: string, userKey: string | undefined, issuedAt: number): Promise<boolean> {
    const now = this.#clock()
    const sessionExpiry = this.#sessions.get(sessionId)
    if (sessionExpiry !== undefined) {
      if (sessionExpiry > now) return true
      this.#sessions.delete(sessionId)
    }
    if (this.#sessionOverflow.has(sessionId, now)) return true
    if (userKey === undefined) return false
    // Each kind only in its own map: a short key that looks like a compacted device mark is a user key, never a mark.
    return isDeviceMarkKey(userKey)
      ? this.#deviceMarks.has(compactDeviceMarkKey(userKey, false), issuedAt, now)
      : this.#users.has(userKey, issuedAt, now)
  }

  /** Drops every expired exact entry (the overflow generations drop themselves). */
  sweep (now: number = this.#clock()): void {
    this.#sweepSessions(now)
    this.#users.sweep(now)
    this.#deviceMarks.sweep(now)
  }

  #sweepSessions (now: number): void {
    this.#lastSessionSweep = now
    for (const [id, expiresAt] of this.#sessions) if (expiresAt <= now) this.#sessions.delete(id)
  }
}

function checkTtl (ttlMs: number): void {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new InvalidOptionError('"ttlMs" must be a positive number of ms')
}
