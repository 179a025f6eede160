// Attempt limiting of our own, in front of Okta's: N passcode attempts per user per window, then a
// lockout with a retry time. Counters sit behind a store so that many instances can share them.

/** A counter in a fixed window. */
export interface AttemptCount {
  count: number
  /** When the window ends and the counter resets, in ms since the epoch. */
  resetAt: number
}

/**
 * Where attempt counters live. Implement it over Redis (INCR + PEXPIRE NX) to share limits between instances.
 * `increment` must be atomic: it is what stops a burst of parallel guesses.
 */
export interface AttemptStore {
  /** Adds one to `key`; starts a window of `windowMs` when there is none (or it ended) at `now`. */
  increment: (key: string, windowMs: number, now: number) => Promise<AttemptCount>
  /** Forgets `key`. */
  reset: (key: string) => Promise<void>
  /** The live counter of `key` at `now`, `undefined` when none or expired. */
  get: (key: string, now: number) => Promise<AttemptCount | undefined>
}

/** Options of {@link MemoryAttemptStore}. */
export interface MemoryAttemptStoreOptions {
  /** Time source for sweeping expired counters. @default Date.now */
  clock?: () => number
  /** Sweep expired counters when the map grows past this many keys. @default 10000 */
  sweepAbove?: number
}

/**
 * The default store: a Map in this process. Fine for one instance; use a shared store for several.
 *
 * @example
 * const store = new MemoryAttemptStore()
 */
export class MemoryAttemptStore implements AttemptStore {
  readonly #counters = new Map<string, AttemptCount>()
  readonly #clock: () => number
  readonly #sweepAbove: number

  constructor (options: MemoryAttemptStoreOptions = {}) {
    if (options.clock !== undefined && typeof options.clock !== 'function') throw new TypeError('"clock" option must be a function')
    const sweepAbove = options.sweepAbove ?? 10_000
    if (!Number.isInteger(sweepAbove) || sweepAbove < 1) throw new TypeError('"sweepAbove" option must be a positive integer')
    this.#clock = options.clock ?? Date.now
    this.#sweepAbove = sweepAbove
  }

  /** Number of counters held (live or not yet swept). */
  get size (): number {
    return this.#counters.size
  }

  async increment (key: string, windowMs: number, now: number): Promise<AttemptCount> {
    let entry = this.#counters.get(key)
    if (entry === undefined || entry.resetAt <= now) {
      if (this.#counters.size >= this.#sweepAbove) this.sweep()
      entry = { count: 0, resetAt: now + windowMs }
      this.#counters.set(key, entry)
    }
    entry.count += 1
    return { ...entry }
  }

  async reset (key: string): Promise<void> {
    this.#counters.delete(key)
  }

  async get (key: string, now: number): Promise<AttemptCount | undefined> {
    const entry = this.#counters.get(key)
    if (entry === undefined) return undefined
    if (entry.resetAt <= now) {
      this.#counters.delete(key)
      return undefined
    }
    return { ...entry }
  }

  /** Drops every expired counter. */
  sweep (now: number = this.#clock()): void {
    for (const [key, entry] of this.#counters) {
      if (entry.resetAt <= now) this.#counters.delete(key)
    }
  }
}

/** Options of {@link AttemptLimiter}. */
export interface AttemptLimiterOptions {
  /** Where counters live. @default new MemoryAttemptStore() */
  store?: AttemptStore
  /** Attempts allowed per window; the one after is refused. @default 5 */
  maxAttempts?: number
  /** Window length in ms, counted from the first attempt. @default 900000 (15 minutes) */
  windowMs?: number
  /** Time source in ms. @default Date.now */
  clock?: () => number
}

/** The verdict of {@link AttemptLimiter.check} and {@link AttemptLimiter.consume}. */
export interface AttemptDecision {
  allowed: boolean
  /** Seconds until the window resets; 0 when allowed with a fresh window. */
  retryAfterSeconds: number
  /** Attempts left in this window after this one. */
  remaining: number
}

/** The default cap: 5 passcode attempts per user per 15 minutes, stricter than TOTP's 1-in-a-million needs. */
export const DEFAULT_MAX_ATTEMPTS = 5
/** The default window: 15 minutes. */
export const DEFAULT_WINDOW_MS = 15 * 60_000

/**
 * Counts passcode attempts per key (the user key) and refuses once `maxAttempts` is reached in a window.
 *
 * Two ways to use it: `check` before, `fail` after a wrong code and `succeed` after a right one; or
 * `consume` before (counts the attempt atomically, so parallel guesses cannot slip through) and
 * `succeed` after a right one. The strategy uses `consume`.
 *
 * @example
 * const limiter = new AttemptLimiter({ maxAttempts: 5, windowMs: 15 * 60_000 })
 * const { allowed, retryAfterSeconds } = await limiter.check(userKey)
 */
export class AttemptLimiter {
  readonly store: AttemptStore
  readonly maxAttempts: number
  readonly windowMs: number
  readonly #clock: () => number

  constructor (options: AttemptLimiterOptions = {}) {
    const { maxAttempts = DEFAULT_MAX_ATTEMPTS, windowMs = DEFAULT_WINDOW_MS } = options
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new TypeError('"maxAttempts" option must be a positive integer')
    if (!Number.isInteger(windowMs) || windowMs < 1) throw new TypeError('"windowMs" option must be a positive integer')
    if (options.clock !== undefined && typeof options.clock !== 'function') throw new TypeError('"clock" option must be a function')
    if (options.store !== undefined && (typeof options.store !== 'object' || options.store === null || typeof options.store.increment !== 'function')) {
      throw new TypeError('"store" option must implement AttemptStore')
    }
    this.maxAttempts = maxAttempts
    this.windowMs = windowMs
    this.#clock = options.clock ?? Date.now
    this.store = options.store ?? new MemoryAttemptStore({ clock: this.#clock })
  }

  #decide (count: AttemptCount | undefined, now: number, allowedWhenAt: boolean): AttemptDecision {
    if (count === undefined) return { allowed: true, retryAfterSeconds: 0, remaining: this.maxAttempts }
    const retryAfterSeconds = Math.max(1, Math.ceil((count.resetAt - now) / 1000))
    const allowed = allowedWhenAt ? count.count <= this.maxAttempts : count.count < this.maxAttempts
    const remaining = Math.max(0, this.maxAttempts - count.count)
    return { allowed, retryAfterSeconds: allowed && remaining > 0 ? 0 : retryAfterSeconds, remaining }
  }

  /** Whether another attempt is allowed now, without counting one. */
  async check (key: string): Promise<AttemptDecision> {
    const now = this.#clock()
    return this.#decide(await this.store.get(key, now), now, false)
  }

  /** Counts one attempt and says whether it may proceed (atomic with the store's `increment`). */
  async consume (key: string): Promise<AttemptDecision> {
    const now = this.#clock()
    return this.#decide(await this.store.increment(key, this.windowMs, now), now, true)
  }

  /** Counts one failed attempt; the returned decision says whether the next one is allowed. */
  async fail (key: string): Promise<AttemptDecision> {
    const now = this.#clock()
    return this.#decide(await this.store.increment(key, this.windowMs, now), now, false)
  }

  /** Clears the counter after a successful attempt. */
  async succeed (key: string): Promise<void> {
    await this.store.reset(key)
  }
}
