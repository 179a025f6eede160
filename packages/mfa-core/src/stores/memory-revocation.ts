// Session revocation in one process: revoked session ids and per-user "revoked before" marks, each with a TTL, in
// bounded memory. When the bound is reached with live entries only, new revocations go to a fixed-size hashed
// overflow set that can only over-revoke, never forget (see MemoryRevocationStore's TSDoc).
import { createHash } from 'node:crypto'
import type { RevocationStore } from './types.js'
import { refuseUnknownOptions } from '../known-options.js'

/** Options of {@link MemoryRevocationStore}. */
export interface MemoryRevocationStoreOptions {
  /** Time source in ms; TTLs run on it. @default Date.now */
  clock?: (() => number) | undefined
  /** Most exact entries (sessions plus users) kept before new revocations go to the overflow set. @default 100000 */
  maxEntries?: number | undefined
}

/** Every option of {@link MemoryRevocationStore}. */
const MEMORY_REVOCATION_OPTIONS: Record<keyof MemoryRevocationStoreOptions, true> = { clock: true, maxEntries: true }

/** Bits in the overflow set: 2^23 bits = 1 MiB, whatever the load. */
const OVERFLOW_BITS = 1 << 23
/** Bit positions per entry in the overflow set (a Bloom filter). */
const OVERFLOW_HASHES = 4
/** A full store sweeps expired entries at most this often, so a burst of revocations costs O(1) each, not O(n). */
const SWEEP_INTERVAL_MS = 1000

/**
 * Overflow for revocations that do not fit: a Bloom filter (false positives possible, false negatives never) plus the
 * latest expiry and the latest per-user `before` it holds. It is cleared only when every entry in it has expired.
 */
class OverflowSet {
  #bits: Uint8Array | undefined
  #expiresAt = 0
  /** The latest `before` of any user revocation in the set: used for all of them (over-revokes, never under-). */
  #userBefore = Number.NEGATIVE_INFINITY
  count = 0

  add (item: string, expiresAt: number, userBefore?: number): void {
    this.#bits ??= new Uint8Array(OVERFLOW_BITS / 8)
    for (const i of positions(item)) this.#bits[i >>> 3]! |= 1 << (i & 7)
    this.#expiresAt = Math.max(this.#expiresAt, expiresAt)
    if (userBefore !== undefined) this.#userBefore = Math.max(this.#userBefore, userBefore)
    this.count += 1
  }

  has (item: string, now: number): boolean {
    if (this.#bits === undefined) return false
    if (this.#expiresAt <= now) {
      this.#bits = undefined
      this.#expiresAt = 0
      this.#userBefore = Number.NEGATIVE_INFINITY
      this.count = 0
      return false
    }
    for (const i of positions(item)) if ((this.#bits[i >>> 3]! & (1 << (i & 7))) === 0) return false
    return true
  }

  get userBefore (): number {
    return this.#userBefore
  }
}

function positions (item: string): number[] {
  const digest = createHash('sha256').update(item).digest()
  const out: number[] = []
  for (let k = 0; k < OVERFLOW_HASHES; k++) out.push(digest.readUInt32BE(k * 4) % OVERFLOW_BITS)
  return out
}

/**
 * Revoked sessions for one process. Each revocation lives for its TTL, then is forgotten (by then the session it
 * names has expired anyway).
 *
 * Bounded memory: at most `maxEntries` exact entries. When a revocation would exceed the bound, expired entries are
 * swept first (at most once a second). If every entry is still live, the store does NOT drop any of them (that would
 * silently make a revoked cookie valid again) and does not fail the logout either: the new revocation goes into a
 * fixed 1 MiB hashed overflow set (a Bloom filter) kept until its last entry expires. The set can wrongly report a
 * session as revoked (the user signs in again), never the other way round; a user revocation in the overflow counts
 * for sessions issued up to the latest `before` held there. So under a flood of logouts the store degrades towards
 * signing people out, never towards letting a revoked session back in, and memory stays bounded.
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
  /** user key → { before, expiry } */
  readonly #users = new Map<string, { before: number, expiresAt: number }>()
  readonly #overflow = new OverflowSet()
  #lastSweep = Number.NEGATIVE_INFINITY

  constructor (options: MemoryRevocationStoreOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new TypeError('"options" must be an object')
    refuseUnknownOptions(options, MEMORY_REVOCATION_OPTIONS, 'MemoryRevocationStore')
    if (options.clock !== undefined && typeof options.clock !== 'function') throw new TypeError('"clock" option must be a function')
    // Only `undefined` is "not given": a `null` is refused like any other bad value.
    const maxEntries = options.maxEntries === undefined ? 100_000 : options.maxEntries
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new TypeError('"maxEntries" option must be a positive integer')
    this.#clock = options.clock ?? Date.now
    this.#maxEntries = maxEntries
  }

  /** Exact entries held (sessions plus users, live or not yet swept); the overflow set is not counted. */
  get size (): number {
    return this.#sessions.size + this.#users.size
  }

  /** Revocations held in the hashed overflow set since it was last cleared (0 in normal operation). */
  get overflowCount (): number {
    return this.#overflow.count
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
    if (this.#hasRoom(now)) this.#sessions.set(sessionId, expiresAt)
    else this.#overflow.add(`s:${sessionId}`, expiresAt)
  }

  async revokeUser (userKey: string, before: number, ttlMs: number): Promise<void> {
    checkTtl(ttlMs)
    if (!Number.isFinite(before)) throw new TypeError('"before" must be a finite number of ms since the epoch')
    const now = this.#clock()
    const expiresAt = now + ttlMs
    const current = this.#users.get(userKey)
    if (current !== undefined) {
      // Never lower a mark: a later call with an older `before` (clock skew) must not un-revoke anything.
      current.before = Math.max(current.before, before)
      current.expiresAt = Math.max(current.expiresAt, expiresAt)
      return
    }
    if (this.#hasRoom(now)) this.#users.set(userKey, { before, expiresAt })
    else this.#overflow.add(`u:${userKey}`, expiresAt, before)
  }

  async isRevoked (sessionId: string, userKey: string | undefined, issuedAt: number): Promise<boolean> {
    const now = this.#clock()
    const sessionExpiry = this.#sessions.get(sessionId)
    if (sessionExpiry !== undefined) {
      if (sessionExpiry > now) return true
      this.#sessions.delete(sessionId)
    }
    if (userKey !== undefined) {
      const user = this.#users.get(userKey)
      if (user !== undefined) {
        if (user.expiresAt > now) {
          if (issuedAt <= user.before) return true
        } else {
          this.#users.delete(userKey)
        }
      }
    }
    if (this.#overflow.has(`s:${sessionId}`, now)) return true
    return userKey !== undefined && issuedAt <= this.#overflow.userBefore && this.#overflow.has(`u:${userKey}`, now)
  }

  /** Drops every expired exact entry. */
  sweep (now: number = this.#clock()): void {
    this.#lastSweep = now
    for (const [id, expiresAt] of this.#sessions) if (expiresAt <= now) this.#sessions.delete(id)
    for (const [key, entry] of this.#users) if (entry.expiresAt <= now) this.#users.delete(key)
  }

  #hasRoom (now: number): boolean {
    if (this.size < this.#maxEntries) return true
    if (now - this.#lastSweep >= SWEEP_INTERVAL_MS) this.sweep(now)
    return this.size < this.#maxEntries
  }
}

function checkTtl (ttlMs: number): void {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new TypeError('"ttlMs" must be a positive number of ms')
}
