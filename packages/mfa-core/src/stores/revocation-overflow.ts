// The overflow of MemoryRevocationStore: revocations that did not fit its exact maps, in a few fixed-size Bloom
// filters ("generations"), each dropped as soon as every entry it holds has expired. False positives only: an entry
// is never forgotten before its expiry.
import { createHash } from 'node:crypto'

/** Bits in one generation: 2^21 bits = 256 KiB. */
const GENERATION_BITS = 1 << 21
/** Entries a generation takes before the next one opens: 32 bits an entry, about 6 false positives in a million. */
const GENERATION_CAPACITY = 65_536
/** Most generations held at once, so one overflow set never exceeds 4 × 256 KiB = 1 MiB. */
const MAX_GENERATIONS = 4
/** Bit positions an entry sets (the eight 32-bit words of its SHA-256). */
const HASHES = 8

/** One Bloom filter, with the latest expiry and the latest user `before` of what it holds. */
interface Generation {
  readonly bits: Uint8Array
  count: number
  expiresAt: number
  /** The latest `before` of any user revocation in it: used for all of them (over-revokes, never under-). */
  userBefore: number
}

/**
 * Revocations that do not fit the exact maps, in up to {@link MAX_GENERATIONS} Bloom filters of 256 KiB. New entries
 * go into the newest generation until it holds {@link GENERATION_CAPACITY} of them, then a new one opens. A
 * generation is dropped as soon as its own latest expiry has passed, so entries of long ago stop raising the false
 * positive rate. When every generation is live and full, new entries still go into the newest: the rate rises (more
 * over-revocation), but nothing is forgotten and memory stays at most 1 MiB.
 */
export class OverflowSet {
  /** Oldest first. */
  #generations: Generation[] = []

  /** Adds `item`, live until `expiresAt`; `userBefore` for a user revocation. */
  add (item: string, expiresAt: number, now: number, userBefore?: number): void {
    this.#drop(now)
    let newest = this.#generations.at(-1)
    if (newest === undefined || (newest.count >= GENERATION_CAPACITY && this.#generations.length < MAX_GENERATIONS)) {
      newest = { bits: new Uint8Array(GENERATION_BITS / 8), count: 0, expiresAt: 0, userBefore: Number.NEGATIVE_INFINITY }
      this.#generations.push(newest)
    }
    for (const i of positions(item)) newest.bits[i >>> 3]! |= 1 << (i & 7)
    newest.count += 1
    newest.expiresAt = Math.max(newest.expiresAt, expiresAt)
    if (userBefore !== undefined) newest.userBefore = Math.max(newest.userBefore, userBefore)
  }

  /**
   * Whether `item` may be held by a live generation; with `issuedAt`, only by one whose latest user `before` is at
   * or after it (a user revocation).
   */
  has (item: string, now: number, issuedAt?: number): boolean {
    this.#drop(now)
    let at: number[] | undefined
    for (const generation of this.#generations) {
      if (issuedAt !== undefined && issuedAt > generation.userBefore) continue
      at ??= positions(item)
      if (at.every((i) => (generation.bits[i >>> 3]! & (1 << (i & 7))) !== 0)) return true
    }
    return false
  }

  /** Entries held by the generations still live at `now`. */
  count (now: number): number {
    let count = 0
    for (const generation of this.#generations) if (generation.expiresAt > now) count += generation.count
    return count
  }

  /** Drops every generation whose entries have all expired. */
  #drop (now: number): void {
    if (this.#generations.some((generation) => generation.expiresAt <= now)) {
      this.#generations = this.#generations.filter((generation) => generation.expiresAt > now)
    }
  }
}

function positions (item: string): number[] {
  const digest = createHash('sha256').update(item).digest()
  const out: number[] = []
  for (let k = 0; k < HASHES; k++) out.push(digest.readUInt32BE(k * 4) & (GENERATION_BITS - 1))
  return out
}
