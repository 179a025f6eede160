// The attempt store of one process: a Map, capped. When full it never evicts a live counter (that would hand an
// attacker who floods fresh keys a reset of a victim's count); it drops expired counters and, if still full,
// refuses to start new ones (StoreUnavailableError: callers refuse the attempt, fail closed).
import { StoreUnavailableError, type AttemptCount, type AttemptStore } from './types.js'
import { refuseUnknownOptions } from '../known-options.js'
import { InvalidOptionError } from '../invalid-option.js'

/** A counter and its window's wrong codes answered (`settled`), of which `taken` were taken back by right codes. */
interface Counter { count: number, resetAt: number, settled: number, taken: number }

/** Options of {@link MemoryAttemptStore}. */
export interface MemoryAttemptStoreOptions {
  /** Time source for dropping expired counters. @default Date.now */
  clock?: (() => number) | undefined
  /** Most counters held at once; at the cap, new keys are refused until counters expire. @default 100000 */
  maxKeys?: number | undefined
  /** Old name of `maxKeys` (it only swept before). */
  sweepAbove?: number | undefined
}

/** Every option of {@link MemoryAttemptStore}. */
const MEMORY_ATTEMPT_OPTIONS: Record<keyof MemoryAttemptStoreOptions, true> = { clock: true, maxKeys: true, sweepAbove: true }

/** The default cap of {@link MemoryAttemptStore}: 100 000 counters, about 21 MB of heap when full (hashed keys). */
export const DEFAULT_MAX_ATTEMPT_KEYS = 100_000

/**
 * The default attempt store: a Map in this process, capped at `maxKeys`. Fine for one instance; use a shared store
 * (Redis) for several.
 *
 * @example
 * const store = new MemoryAttemptStore({ maxKeys: 50_000 })
 */
export class MemoryAttemptStore implements AttemptStore {
  // Insertion order is window order (a counter that restarts is re-inserted), so expired counters sit at the front.
  readonly #counters = new Map<string, Counter>()
  readonly #clock: () => number
  readonly #maxKeys: number
  #lastFullSweep = -Infinity

  constructor (options: MemoryAttemptStoreOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new InvalidOptionError('"options" must be an object')
    refuseUnknownOptions(options, MEMORY_ATTEMPT_OPTIONS, 'MemoryAttemptStore')
    if (options.clock !== undefined && typeof options.clock !== 'function') throw new InvalidOptionError('"clock" option must be a function')
    // Only `undefined` is "not given": a `null` (a config's missing value) is refused like any other bad value.
    if (options.sweepAbove !== undefined && !(Number.isInteger(options.sweepAbove) && options.sweepAbove >= 1)) {
      throw new InvalidOptionError('"sweepAbove" option (the old name of "maxKeys") must be a positive integer')
    }
    const maxKeys = options.maxKeys !== undefined ? options.maxKeys : options.sweepAbove !== undefined ? options.sweepAbove : DEFAULT_MAX_ATTEMPT_KEYS
    if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new InvalidOptionError('"maxKeys" option must be a positive integer')
    this.#clock = options.clock ?? Date.now
    this.#maxKeys = maxKeys
  }

  /** Number of counters held (live or not yet dropped). */
  get size (): number {
    return this.#counters.size
  }

  /** The cap given at construction. */
  get maxKeys (): number {
    return this.#maxKeys
  }

  async increment (key: string, windowMs: number, now: number): Promise<AttemptCount> {
    let entry = this.#counters.get(key)
    if (entry === undefined || entry.resetAt <= now) {
      if (entry !== undefined) this.#counters.delete(key)
      if (this.#counters.size >= this.#maxKeys) {
        this.#dropExpired(now)
        // Windows of different lengths break the front-to-back order: a full pass, at most once a second.
        if (this.#counters.size >= this.#maxKeys && now - this.#lastFullSweep >= 1000) {
          this.#lastFullSweep = now
          this.sweep(now)
        }
        if (this.#counters.size >= this.#maxKeys) throw new StoreUnavailableError('The attempt store is full', { reason: 'full' })
      }
      entry = { count: 0, resetAt: now + windowMs, settled: 0, taken: 0 }
      this.#counters.set(key, entry)
    }
    entry.count += 1
    return { count: entry.count, resetAt: entry.resetAt, settled: entry.settled }
  }

  async reset (key: string): Promise<void> {
    this.#counters.delete(key)
  }

  async decrement (key: string, now: number): Promise<void> {
    const entry = this.#counters.get(key)
    if (entry !== undefined && entry.resetAt > now && entry.count > 0) entry.count -= 1
  }

  async settle (key: string, now: number): Promise<void> {
    const entry = this.#counters.get(key)
    if (entry !== undefined && entry.resetAt > now) entry.settled += 1
  }

  async subtract (key: string, settledBefore: number, now: number): Promise<void> {
    const entry = this.#counters.get(key)
    if (entry === undefined || entry.resetAt <= now) return
    const settled = Math.max(0, Math.min(Number.isSafeInteger(settledBefore) ? settledBefore : 0, entry.settled) - entry.taken)
    entry.count -= Math.min(entry.count, 1 + settled)
    entry.taken += settled
    if (entry.count === 0) this.#counters.delete(key)
  }

  async get (key: string, now: number): Promise<AttemptCount | undefined> {
    const entry = this.#counters.get(key)
    if (entry === undefined) return undefined
    if (entry.resetAt <= now) {
      this.#counters.delete(key)
      return undefined
    }
    return { count: entry.count, resetAt: entry.resetAt }
  }

  /** Drops every expired counter (a full pass). */
  sweep (now: number = this.#clock()): void {
    for (const [key, entry] of this.#counters) {
      if (entry.resetAt <= now) this.#counters.delete(key)
    }
  }

  /** Drops expired counters from the front, stopping at the first live one: amortised constant time per call. */
  #dropExpired (now: number): void {
    for (const [key, entry] of this.#counters) {
      if (entry.resetAt > now) return
      this.#counters.delete(key)
    }
  }
}
