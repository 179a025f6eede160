// Attempt limiting of our own, in front of Okta's: N passcode attempts per user per window, then a lockout with a
// retry time. N stays below the org's Okta lockout, so our limit, which lifts by itself, is always reached first.
import { hash } from 'node:crypto'
import { MemoryAttemptStore } from './stores/memory-attempts.js'
import { asStoreUnavailable, type AttemptCount, type AttemptStore } from './stores/types.js'
import { refuseUnknownOptions } from './known-options.js'
import { InvalidOptionError } from './invalid-option.js'

/** Options of {@link AttemptLimiter}. */
export interface AttemptLimiterOptions {
  /** Where counters live. @default new MemoryAttemptStore() */
  store?: AttemptStore | undefined
  /** Attempts allowed per window; the one after is refused. Keep it below the org's Okta lockout. @default 4 */
  maxAttempts?: number | undefined
  /** Window length in ms, counted from the first attempt. @default 900000 (15 minutes) */
  windowMs?: number | undefined
  /** Time source in ms. @default Date.now */
  clock?: (() => number) | undefined
  /** Prefix of the store keys, so one store can hold several limiters. @default 'mfa' */
  namespace?: string | undefined
}

/** Every option of {@link AttemptLimiter}. */
const LIMITER_OPTIONS: Record<keyof AttemptLimiterOptions, true> = { store: true, maxAttempts: true, windowMs: true, clock: true, namespace: true }

/** The verdict of {@link AttemptLimiter.check} and {@link AttemptLimiter.consume}. */
export interface AttemptDecision {
  /** Whether the attempt may go ahead; false once `maxAttempts` are counted in the window. */
  allowed: boolean
  /** Seconds until the window resets; 0 when allowed with attempts left. */
  retryAfterSeconds: number
  /** Attempts left in this window after this one. */
  remaining: number
  /** When the window this decision counted in ends, in ms of the limiter's clock; absent when nothing is counted. */
  resetAt?: number | undefined
}

/**
 * A refund this close to the end of its window (ms) is dropped: the store may see it after the window ended, in the
 * next one. The attempt then stays counted in a window that is over anyway (the safe side).
 */
const REFUND_MARGIN_MS = 1000
/**
 * Refunds allowed per user per window, per attempt of `maxAttempts`. A refused request that judged no code is given
 * back, but each still cost Okta a call: past this budget such refusals count as attempts, so a stream of made-up
 * factor ids from one user ends in LOCKED_OUT instead of using up the org's Okta rate limit. An outage's refusals
 * (`{ outage: true }`) are outside it.
 */
const REFUNDS_PER_ATTEMPT = 8

/** How {@link AttemptLimiter.refund} gives an attempt back. */
export interface RefundOptions {
  /**
   * The refusal was an outage's, not the person's doing: Okta or the way to it did not take the request (a refused
   * connection, a 503, its 429, a proxy's page, no OAuth token). Given back outside the budget of 8 × `maxAttempts`,
   * so retrying through an outage of any length locks nobody out.
   */
  outage?: boolean
  /**
   * Okta accepted the code, and the right code clears no wrong one (an activation: Okta's count of failed
   * verifications goes on through it). Its own attempt is given back outside the budget of 8 × `maxAttempts`: that
   * budget is for refusals that judged no code, and a right code spent from it would leave a later one counted.
   */
  accepted?: boolean
}

/**
 * The failed verifications after which Okta locks a user out in many orgs' policies, and in the emulator.
 * Only an administrator can lift Okta's lockout, so our own limit must stay strictly below it.
 */
export const OKTA_LOCKOUT_THRESHOLD = 5
/** The default cap: 4 passcode attempts per user per window, one below {@link OKTA_LOCKOUT_THRESHOLD}. */
export const DEFAULT_MAX_ATTEMPTS = OKTA_LOCKOUT_THRESHOLD - 1
/** The default window: 15 minutes. */
export const DEFAULT_WINDOW_MS = 15 * 60_000
/**
 * The longest attempt window: 366 days. Stores keep a counter for its window (Redis as a TTL, which refuses a value
 * beyond 64 bits), and no lockout should outlast a year.
 * @example new AttemptLimiter({ windowMs: MAX_WINDOW_MS })
 */
export const MAX_WINDOW_MS = 366 * 24 * 60 * 60_000

/** How many user-key hashes an {@link AttemptLimiter} keeps (user keys are at most 512 characters). */
const HASHED_KEYS_KEPT = 256

/**
 * The store key of a user key: hashed, so that a store never holds user-controlled strings of any size.
 *
 * @example
 * attemptKey('mfa', 'ada') // 'mfa:' + 43 base64url characters
 */
export function attemptKey (namespace: string, key: string): string {
  return `${namespace}:${hash('sha256', key, 'base64url')}`
}

/**
 * Counts attempts per key (the user key) and refuses once `maxAttempts` is reached in a window. A store that
 * fails makes every call reject with StoreUnavailableError (fail closed: the attempt is refused, never let through).
 *
 * Two ways to use it: `check` before, `fail` after a wrong code and `succeed` after a right one; or `consume`
 * before (counts atomically, so parallel guesses cannot slip through) and `succeed` after a right one. The MFA
 * step uses `consume`.
 *
 * @example
 * const limiter = new AttemptLimiter({ maxAttempts: 4, windowMs: 15 * 60_000 })
 * const { allowed, retryAfterSeconds } = await limiter.consume(userKey)
 */
export class AttemptLimiter {
  /** Where the counters live (the `store` option, else a MemoryAttemptStore of this limiter's own). */
  readonly store: AttemptStore
  /** Attempts allowed per key per window. @default 4 */
  readonly maxAttempts: number
  /** Length of a window, milliseconds. @default 900000 (15 minutes) */
  readonly windowMs: number
  /** Prefix of the store keys. @default 'mfa' */
  readonly namespace: string
  readonly #clock: () => number
  readonly #hashed = new Map<string, string>()
  /** The `settled` count each allowed `consume` saw, for `succeed` (kept by the decision, never in it). */
  readonly #settledAt = new WeakMap<AttemptDecision, number>()

  constructor (options: AttemptLimiterOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new InvalidOptionError('AttemptLimiter options must be an object')
    refuseUnknownOptions(options, LIMITER_OPTIONS, 'AttemptLimiter')
    const { maxAttempts = DEFAULT_MAX_ATTEMPTS, windowMs = DEFAULT_WINDOW_MS, namespace = 'mfa' } = options
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new InvalidOptionError('"maxAttempts" option must be a positive integer')
    if (!Number.isInteger(windowMs) || windowMs < 1 || windowMs > MAX_WINDOW_MS) throw new InvalidOptionError(`"windowMs" option must be a positive integer of at most ${MAX_WINDOW_MS} (366 days)`)
    if (options.clock !== undefined && typeof options.clock !== 'function') throw new InvalidOptionError('"clock" option must be a function')
    if (typeof namespace !== 'string' || !/^[A-Za-z0-9_.-]{1,32}$/.test(namespace)) throw new InvalidOptionError('"namespace" option must be 1 to 32 letters, digits, _ . or -')
    const store = options.store as Partial<AttemptStore> | undefined
    if (store !== undefined && (typeof store !== 'object' || store === null || typeof store.increment !== 'function' ||
      typeof store.reset !== 'function' || typeof store.get !== 'function')) {
      throw new InvalidOptionError('"store" option must implement AttemptStore (increment, reset, get)')
    }
    this.maxAttempts = maxAttempts
    this.windowMs = windowMs
    this.namespace = namespace
    this.#clock = options.clock ?? Date.now
    this.store = options.store ?? new MemoryAttemptStore({ clock: this.#clock })
  }

  #decide (count: AttemptCount | undefined, now: number, allowedWhenAt: boolean): AttemptDecision {
    if (count === undefined) return { allowed: true, retryAfterSeconds: 0, remaining: this.maxAttempts }
    const retryAfterSeconds = Math.max(1, Math.ceil((count.resetAt - now) / 1000))
    const allowed = allowedWhenAt ? count.count <= this.maxAttempts : count.count < this.maxAttempts
    const remaining = Math.max(0, this.maxAttempts - count.count)
    return { allowed, retryAfterSeconds: allowed && remaining > 0 ? 0 : retryAfterSeconds, remaining, resetAt: count.resetAt }
  }

  /**
   * The store key of a user key. A verify hashes the same user key twice (consume, then succeed or not): the last
   * few hashes are kept (a small map, emptied when full, so memory stays bounded whatever the keys).
   */
  #storeKey (key: string): string {
    let hashed = this.#hashed.get(key)
    if (hashed === undefined) {
      if (this.#hashed.size >= HASHED_KEYS_KEPT) this.#hashed.clear()
      hashed = attemptKey(this.namespace, key)
      this.#hashed.set(key, hashed)
    }
    return hashed
  }

  /** The store key of `key`, checked (a bad key is a programmer's mistake, thrown as it is). */
  #keyOf (key: string): string {
    if (typeof key !== 'string' || key === '') throw new InvalidOptionError('attempt key must be a non-empty string')
    return this.#storeKey(key)
  }

  // Each operation awaits the store directly (no closure, no extra async layer per call: they are on every verify).

  /** Whether another attempt is allowed now, without counting one. */
  async check (key: string): Promise<AttemptDecision> {
    const now = this.#clock()
    const k = this.#keyOf(key)
    let count: AttemptCount | undefined
    try { count = await this.store.get(k, now) } catch (err) { throw asStoreUnavailable(err) }
    return this.#decide(count, now, false)
  }

  /**
   * Counts one attempt and says whether it may proceed (atomic with the store's `increment`). A refused attempt is
   * taken back at once (with a store that has `decrement`): it reaches no one, so when a parallel attempt it was
   * refused beside is given back, the count is what the attempts allowed left, not one more.
   */
  consume (key: string): Promise<AttemptDecision> {
    return this.#count(key, true)
  }

  /** Counts one failed attempt; the returned decision says whether the next one is allowed. */
  fail (key: string): Promise<AttemptDecision> {
    return this.#count(key, false)
  }

  /** One more attempt in the store; `consuming`: the decision is about this attempt, else about the next one. */
  async #count (key: string, consuming: boolean): Promise<AttemptDecision> {
    const now = this.#clock()
    const k = this.#keyOf(key)
    let count: AttemptCount
    try { count = await this.store.increment(k, this.windowMs, now) } catch (err) { throw asStoreUnavailable(err) }
    const decision = this.#decide(count, now, consuming)
    if (consuming && decision.allowed && count.settled !== undefined) this.#settledAt.set(decision, count.settled)
    // Only into the window that counted it (as a refund); a store that fails to take it back leaves it counted.
    if (consuming && !decision.allowed && this.store.decrement !== undefined && now < count.resetAt - REFUND_MARGIN_MS) {
      await this.store.decrement(k, now).catch(() => {})
    }
    return decision
  }

  /**
   * Takes back one counted attempt that Okta refused without judging the code (an unknown or inactive factor), so
   * that only wrong codes use up the limit. A no-op with a store that has no `decrement`. With the `decision` that
   * counted the attempt, only into the window it was counted in: once that window has ended (or is within a second
   * of it), the refund is dropped, so a late answer from Okta never frees an attempt of the next window. At most
   * 8 × `maxAttempts` refunds per key per window: past them, such refusals stay counted. An outage's refusal
   * (`options.outage`) and a right code that clears no wrong one (`options.accepted`: an activation's) are given back
   * outside that budget.
   */
  async refund (key: string, decision?: AttemptDecision, options: RefundOptions = {}): Promise<void> {
    const k = this.#keyOf(key)
    if (this.store.decrement === undefined) return
    const now = this.#clock()
    if (decision?.resetAt !== undefined && now >= decision.resetAt - REFUND_MARGIN_MS) return
    try {
      if (options.outage !== true && options.accepted !== true) {
        // The refunds of this window, counted in the same store under a key of their own. `:` cannot be part of a
        // namespace, so no other limiter of the store has this key (`mfa.refunds` could be one).
        const refunds = await this.store.increment(attemptKey(`${this.namespace}:refunds`, key), this.windowMs, now)
        if (refunds.count > this.maxAttempts * REFUNDS_PER_ATTEMPT) return
      }
      await this.store.decrement(k, now)
    } catch (err) { throw asStoreUnavailable(err) }
  }

  /**
   * Okta answered the attempt `decision` counted as a wrong code. So a later right code may take it back: Okta judged
   * it before that code. A no-op with a store that has no `settle`, or once the window that counted it has ended (or
   * is within a second of it).
   */
  async settle (key: string, decision: AttemptDecision): Promise<void> {
    const k = this.#keyOf(key)
    if (this.store.settle === undefined || decision.resetAt === undefined) return
    const now = this.#clock()
    if (now >= decision.resetAt - REFUND_MARGIN_MS) return
    try { await this.store.settle(k, now) } catch (err) { throw asStoreUnavailable(err) }
  }

  /**
   * Clears the counter after a right code. With the `decision` of the `consume` that counted it (and a store that
   * has `subtract`), only its own attempt and the wrong codes Okta had answered (`settle`) before it was counted are
   * taken back: a wrong code still in flight then may be judged by Okta after it, and count towards Okta's own
   * lockout, so it stays counted until its window ends. Once the window that counted the right code has ended (or is
   * within a second of it), nothing is taken back: what the store holds was counted after.
   */
  async succeed (key: string, decision?: AttemptDecision): Promise<void> {
    const k = this.#keyOf(key)
    try {
      if (decision?.resetAt === undefined || this.store.subtract === undefined) {
        await this.store.reset(k)
        return
      }
      const now = this.#clock()
      if (now >= decision.resetAt - REFUND_MARGIN_MS) return
      await this.store.subtract(k, this.#settledAt.get(decision) ?? 0, now)
    } catch (err) { throw asStoreUnavailable(err) }
  }
}
