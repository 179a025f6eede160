// Per-endpoint rate limits as Okta applies them: a fixed window per bucket for the whole org,
// the three X-Rate-Limit-* headers on every response (Reset in epoch SECONDS), 429 E0000047 when
// a bucket is spent. Okta's SDKs compute their retry delay from Reset minus Date, so both come
// from the same injected clock.
import type { RateLimitBucket, RateLimitOptions } from './types.js'
import { InvalidOptionError } from './invalid-option.js'

/** Okta-like default limits per minute. */
export const DEFAULT_LIMITS: Readonly<Record<RateLimitBucket, number>> = Object.freeze({ users: 600, user: 2000, factors: 1000, verify: 1000, token: 1000 })

/** Checks the `rateLimits` option (TypeError naming the bad part) and returns its window and limits per bucket. */
export function checkRateLimitOptions (options: false | RateLimitOptions | undefined): { windowMs: number, limits: Record<RateLimitBucket, number> } {
  if (options !== undefined && options !== false && !isPlainObject(options)) {
    throw new InvalidOptionError('"rateLimits" option must be false or an object')
  }
  const o = options === false || options === undefined ? {} : options
  const extra = Object.keys(o).find((k) => k !== 'windowMs' && k !== 'limits')
  if (extra !== undefined) throw new InvalidOptionError(`"rateLimits.${extra.slice(0, 64)}" is not an option (windowMs, limits)`)
  const windowMs = o.windowMs ?? 60_000
  if (!Number.isInteger(windowMs) || windowMs <= 0) throw new InvalidOptionError('"rateLimits.windowMs" option must be a positive integer')
  const limits = { ...DEFAULT_LIMITS }
  if (o.limits !== undefined && !isPlainObject(o.limits)) throw new InvalidOptionError('"rateLimits.limits" option must be an object { users?, user?, factors?, verify?, token? }')
  for (const [k, v] of Object.entries(o.limits ?? {})) {
    if (!Object.hasOwn(DEFAULT_LIMITS, k)) throw new InvalidOptionError(`"rateLimits.limits.${k}" is not a rate-limit bucket (users, user, factors, verify, token)`)
    if (v === undefined) continue // its default, as for every other option left undefined
    if (!Number.isInteger(v) || v < 0) throw new InvalidOptionError(`"rateLimits.limits.${k}" option must be a non-negative integer`)
    limits[k as RateLimitBucket] = v
  }
  return { windowMs, limits }
}

/** An object literal's kind of object: not an array, a Date, a class instance or null. */
function isPlainObject (value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false
  const proto = Object.getPrototypeOf(value) as unknown
  return proto === Object.prototype || proto === null
}

/** What the headers of one response say. */
export interface RateState { limit: number, remaining: number, reset: number, limited: boolean }

/** Counts requests per bucket in fixed windows. */
export class RateLimiter {
  private readonly windowMs: number
  private readonly limits: Record<RateLimitBucket, number>
  private readonly enabled: boolean
  private readonly windows = new Map<RateLimitBucket, { start: number, count: number }>()

  constructor (options: false | RateLimitOptions | undefined) {
    this.enabled = options !== false
    const { windowMs, limits } = checkRateLimitOptions(options)
    this.windowMs = windowMs
    this.limits = limits
  }

  /** Counts one request in `bucket` at `now` and says whether it is over the limit. */
  hit (bucket: RateLimitBucket, now: number): RateState {
    const limit = this.limits[bucket]
    const start = now - (now % this.windowMs)
    const reset = Math.ceil((start + this.windowMs) / 1000)
    if (!this.enabled) return { limit, remaining: limit, reset, limited: false }
    let w = this.windows.get(bucket)
    if (w === undefined || w.start !== start) {
      w = { start, count: 0 }
      this.windows.set(bucket, w)
    }
    w.count++
    return { limit, remaining: Math.max(0, limit - w.count), reset, limited: w.count > limit }
  }
}
