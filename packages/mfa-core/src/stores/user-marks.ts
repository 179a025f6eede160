// The per-user "revoked before" marks of MemoryRevocationStore, of one kind (sign-outs, or device marks): a bounded map of exact
// marks, and an overflow set for the marks that do not fit (false positives only, see revocation-overflow.ts).
import { OverflowSet } from './revocation-overflow.js'

/** A full map sweeps expired entries at most this often, so a burst of revocations costs O(1) each, not O(n). */
export const SWEEP_INTERVAL_MS = 1000

/** At most `maxEntries` exact marks; the rest in an overflow set of their own. */
export class UserMarks {
  readonly #maxEntries: number
  /** user key → { before, expiry } */
  readonly #marks = new Map<string, { before: number, expiresAt: number }>()
  readonly #overflow = new OverflowSet()
  #lastSweep = Number.NEGATIVE_INFINITY

  constructor (maxEntries: number) {
    this.#maxEntries = maxEntries
  }

  /** Exact marks held, live or not yet swept. */
  get size (): number {
    return this.#marks.size
  }

  /** Marks held in the overflow generations still live at `now`. */
  overflowCount (now: number): number {
    return this.#overflow.count(now)
  }

  /** Whether `userKey` has a live mark here: a mark found (exact or maybe in the overflow), and where its `before` is known, at or after `issuedAt`. */
  has (userKey: string, issuedAt: number, now: number): boolean {
    const mark = this.#marks.get(userKey)
    if (mark !== undefined) {
      if (mark.expiresAt > now) {
        if (issuedAt <= mark.before) return true
      } else {
        this.#marks.delete(userKey)
      }
    }
    return this.#overflow.has(userKey, now, issuedAt)
  }

  /** Revokes every session of `userKey` issued at or before `before`, until `expiresAt`. Never lowers a mark. */
  add (userKey: string, before: number, expiresAt: number, now: number): void {
    const current = this.#marks.get(userKey)
    if (current !== undefined) {
      // Never lower a mark: a later call with an older `before` (clock skew) must not un-revoke anything.
      current.before = Math.max(current.before, before)
      current.expiresAt = Math.max(current.expiresAt, expiresAt)
      return
    }
    if (this.#marks.size >= this.#maxEntries && now - this.#lastSweep >= SWEEP_INTERVAL_MS) this.sweep(now)
    if (this.#marks.size < this.#maxEntries) this.#marks.set(userKey, { before, expiresAt })
    else this.#overflow.add(userKey, expiresAt, now, before)
  }

  /** Drops every expired exact mark. */
  sweep (now: number): void {
    this.#lastSweep = now
    for (const [key, mark] of this.#marks) if (mark.expiresAt <= now) this.#marks.delete(key)
  }
}
