// The revocation store of one process: revoked session ids and per-user "signed out everywhere before" times, each
// kept for its TTL. Capped: at the cap expired entries go first, then the oldest-expiring ones (an entry dropped early
// only shortens how long a revocation is remembered; size the cap above your sessions revoked per TTL).
import type { RevocationStore } from './types.js'

/** Options of {@link MemoryRevocationStore}. */
export interface MemoryRevocationStoreOptions {
  /** Time source in ms. @default Date.now */
  clock?: (() => number) | undefined
  /** Most entries (sessions and users together). @default 100000 */
  maxEntries?: number | undefined
}

/**
 * Revocations in a Map of this process. Fine for one instance; use a shared store (Redis) for several.
 *
 * @example
 * const revocations = new MemoryRevocationStore()
 * await revocations.revokeSession(sessionId, 8 * 3600_000)
 */
export class MemoryRevocationStore implements RevocationStore {
  // Insertion order is (nearly) expiry order for a constant TTL: expired entries sit at the front.
  readonly #sessions = new Map<string, number>()
  readonly #users = new Map<string, { before: number, until: number }>()
  readonly #clock: () => number
  readonly #maxEntries: number

  constructor (options: MemoryRevocationStoreOptions = {}) {
    if (options.clock !== undefined && typeof options.clock !== 'function') throw new TypeError('"clock" option must be a function')
    const maxEntries = options.maxEntries ?? 100_000
    if (!Number.isInteger(maxEntries) || maxEntries < 2) throw new TypeError('"maxEntries" option must be an integer of at least 2')
    this.#clock = options.clock ?? Date.now
    this.#maxEntries = maxEntries
  }

  /** Entries held (live or not yet dropped). */
  get size (): number {
    return this.#sessions.size + this.#users.size
  }

  async revokeSession (sessionId: string, ttlMs: number): Promise<void> {
    const now = this.#clock()
    this.#sessions.delete(sessionId)
    this.#makeRoom(now)
    this.#sessions.set(sessionId, now + ttlMs)
  }

  async revokeUser (userKey: string, before: number, ttlMs: number): Promise<void> {
    const now = this.#clock()
    const previous = this.#users.get(userKey)
    this.#users.delete(userKey)
    this.#makeRoom(now)
    const until = Math.max(now + ttlMs, previous?.until ?? 0)
    this.#users.set(userKey, { before: Math.max(before, previous?.before ?? before), until })
  }

  async isRevoked (sessionId: string, userKey: string | undefined, issuedAt: number): Promise<boolean> {
    const now = this.#clock()
    const until = this.#sessions.get(sessionId)
    if (until !== undefined) {
      if (until > now) return true
      this.#sessions.delete(sessionId)
    }
    if (userKey === undefined) return false
    const user = this.#users.get(userKey)
    if (user === undefined) return false
    if (user.until <= now) {
      this.#users.delete(userKey)
      return false
    }
    return issuedAt <= user.before
  }

  #makeRoom (now: number): void {
    for (const map of [this.#sessions, this.#users] as Array<Map<string, number | { until: number }>>) {
      for (const [key, value] of map) {
        if ((typeof value === 'number' ? value : value.until) > now) break
        map.delete(key)
      }
    }
    while (this.size >= this.#maxEntries) {
      const from = this.#sessions.size > 0 ? this.#sessions : this.#users as Map<string, unknown>
      const first = from.keys().next()
      if (first.done === true) return
      from.delete(first.value)
    }
  }
}
