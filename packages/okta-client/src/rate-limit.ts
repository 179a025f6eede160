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

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const MON = MONTHS.join('|')
const IMF_FIXDATE = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\\d{2}) (${MON}) (\\d{4}) (\\d{2}):(\\d{2}):(\\d{2}) GMT$`)
const RFC850_DATE = new RegExp(`^(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, (\\d{2})-(${MON})-(\\d{2}) (\\d{2}):(\\d{2}):(\\d{2}) GMT$`)
const ASCTIME_DATE = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (${MON}) ([ \\d]\\d) (\\d{2}):(\\d{2}):(\\d{2}) (\\d{4})$`)

/**
 * An HTTP-date (RFC 9110 §5.6.7: IMF-fixdate, or the obsolete RFC 850 and asctime forms, all GMT) in ms since the
 * epoch; undefined when `text` is none. Not `Date.parse`, which also takes ISO dates, bare years, and asctime as local time.
 */
export function parseHttpDate (text: string, nowMs: number): number | undefined {
  let m: RegExpExecArray | null
  let parts: [year: number, month: string, day: string, h: string, min: string, s: string]
  if ((m = IMF_FIXDATE.exec(text)) !== null) {
    parts = [Number(m[3]), m[2]!, m[1]!, m[4]!, m[5]!, m[6]!]
  } else if ((m = RFC850_DATE.exec(text)) !== null) {
    // A two-digit year more than 50 years ahead is in the past century (RFC 9110 §5.6.7).
    let year = 2000 + Number(m[3])
    if (year > new Date(nowMs).getUTCFullYear() + 50) year -= 100
    parts = [year, m[2]!, m[1]!, m[4]!, m[5]!, m[6]!]
  } else if ((m = ASCTIME_DATE.exec(text)) !== null) {
    parts = [Number(m[6]), m[1]!, m[2]!.trim(), m[3]!, m[4]!, m[5]!]
  } else {
    return undefined
  }
  const [year, month, day, h, min, s] = parts
  const mon = MONTHS.indexOf(month)
  const ms = Date.UTC(year, mon, Number(day), Number(h), Number(min), Number(s))
  const d = new Date(ms)
  // Out-of-range fields (31 Feb, 25:00) roll over in Date.UTC: such a date is not one.
  if (d.getUTCDate() !== Number(day) || d.getUTCMonth() !== mon || d.getUTCHours() !== Number(h) ||
    d.getUTCMinutes() !== Number(min) || d.getUTCSeconds() !== Number(s)) return undefined
  return ms
}

/** The shortest wait a 429's `X-Rate-Limit-Reset` gives. */
const MIN_RESET_WAIT_MS = 1000

/**
 * Reads `X-Rate-Limit-Reset` (epoch seconds) relative to the response's `Date` header when present,
 * so a skewed local clock does not make the client wait too long or too little (as Okta's SDK does).
 * Falls back on `Retry-After`, which Okta does not send but proxies may: delta seconds, or an HTTP-date (read
 * relative to `Date` too; a date in the past is no wait). An unreadable value counts as absent.
 */
export function rateLimitInfo (headers: Headers, nowMs: number): RateLimitInfo {
  const date = headerValue(headers, 'date')
  // An HTTP-date as RFC 9110 reads it (asctime is GMT too); anything else (`0`, an ISO date) is no Date at all.
  const serverNow = (date === undefined ? undefined : parseHttpDate(date.trim(), nowMs)) ?? nowMs
  const reset = headerValue(headers, 'x-rate-limit-reset')?.trim()
  if (reset !== undefined && /^\d{1,12}$/.test(reset)) {
    const resetMs = Number(reset) * 1000
    // At least a second: both headers are whole seconds, so a reset in `Date`'s own second (or one just past, the
    // clocks that write them apart) may not have come yet. (Okta's SDK adds a second to every wait for that reason;
    // here a later reset is waited for as it is, so `retryAfterSeconds` stays what the headers say.)
    const waitMs = Math.max(MIN_RESET_WAIT_MS, resetMs - serverNow)
    return { resetAt: new Date(resetMs), retryAfterSeconds: Math.ceil(waitMs / 1000), waitMs }
  }
  const retryAfter = headerValue(headers, 'retry-after')?.trim()
  if (retryAfter !== undefined && /^\d{1,9}$/.test(retryAfter)) {
    const waitMs = Number(retryAfter) * 1000
    return { resetAt: new Date(nowMs + waitMs), retryAfterSeconds: Number(retryAfter), waitMs }
  }
  const at = retryAfter === undefined ? undefined : parseHttpDate(retryAfter, nowMs)
  if (at !== undefined) {
    const waitMs = Math.max(0, at - serverNow)
    return { resetAt: new Date(nowMs + waitMs), retryAfterSeconds: Math.ceil(waitMs / 1000), waitMs }
  }
  return { resetAt: undefined, retryAfterSeconds: undefined, waitMs: undefined }
}
