// Reading Okta's rate-limit headers: when the limit resets, and how long to wait for it.

type Headers = Record<string, string | string[] | undefined>

/** What a 429 says about its reset. */
export interface RateLimitInfo {
  /** When the limit resets (`X-Rate-Limit-Reset`, epoch seconds). */
  resetAt: Date | undefined
  /** Whole seconds until the reset, rounded up. */
  retryAfterSeconds: number | undefined
  /** Milliseconds to wait before a retry can succeed; undefined when the response does not say. */
  waitMs: number | undefined
}

/** The first value of a header. */
export function headerValue (headers: Headers, name: string): string | undefined {
  const v = headers[name]
  return Array.isArray(v) ? v[0] : v
}

/**
 * Reads `X-Rate-Limit-Reset` (epoch seconds) relative to the response's `Date` header when present,
 * so a skewed local clock does not make the client wait too long or too little (as Okta's SDK does).
 * Falls back on `Retry-After` (delta seconds), which Okta does not send but proxies may.
 */
export function rateLimitInfo (headers: Headers, nowMs: number): RateLimitInfo {
  const reset = headerValue(headers, 'x-rate-limit-reset')?.trim()
  if (reset !== undefined && /^\d{1,12}$/.test(reset)) {
    const resetMs = Number(reset) * 1000
    const date = headerValue(headers, 'date')
    const dateMs = date === undefined ? Number.NaN : Date.parse(date)
    const serverNow = Number.isFinite(dateMs) ? dateMs : nowMs
    const waitMs = Math.max(0, resetMs - serverNow)
    return { resetAt: new Date(resetMs), retryAfterSeconds: Math.ceil(waitMs / 1000), waitMs }
  }
  const retryAfter = headerValue(headers, 'retry-after')?.trim()
  if (retryAfter !== undefined && /^\d{1,9}$/.test(retryAfter)) {
    const waitMs = Number(retryAfter) * 1000
    return { resetAt: new Date(nowMs + waitMs), retryAfterSeconds: Number(retryAfter), waitMs }
  }
  return { resetAt: undefined, retryAfterSeconds: undefined, waitMs: undefined }
}
