// The one check of "where to go after sign-in" (returnTo) that every redirect of this project goes through: a
// path on this site, nothing a browser could read as another origin, and nothing that cannot go in a header.
//
// Browsers parse Location with the WHATWG URL rules, which drop TAB/CR/LF anywhere, read "\" as "/", and take
// "//host" (or "/\host", "/<TAB>/host") as another host. So a prefix test such as `startsWith('/')` is not enough.
import { InvalidOptionError } from './invalid-option.js'

/** Longest return path kept; longer ones are dropped (a session cookie has little room). */
export const MAX_RETURN_TO_LENGTH = 2048

/** A throwaway origin to resolve against: a return path must resolve to this same origin. */
const BASE = 'http://return-to.invalid'

/** Printable ASCII without space: all a request path needs, and all that may go in a header unencoded. */
const PRINTABLE_ASCII = /^[\x21-\x7E]+$/
/** Control characters (C0, DEL, C1) and the Unicode line separators, once percent-decoded. */
const CONTROL = /[\u0000-\u001F\u007F-\u009F\u2028\u2029]/u

/** How many rounds of percent-decoding are looked through (a value still changing after that is refused). */
const DECODE_ROUNDS = 4

/**
 * Whether the path part (before any `?` or `#`) has an empty segment, `//`: refused anywhere, not only at the start
 * (where a browser reads it as another host).
 */
function hasDoubleSlashInPath (path: string): boolean {
  const end = path.search(/[?#]/)
  return (end === -1 ? path : path.slice(0, end)).includes('//')
}

/** Whether `path` resolves (WHATWG URL) to the throwaway origin, without user info, to a path with a single leading "/". */
function resolvesLocally (path: string): boolean {
  let url: URL
  try {
    url = new URL(path, BASE)
  } catch {
    return false
  }
  return url.origin === BASE && url.username === '' && url.password === '' && url.pathname.startsWith('/') && !url.pathname.startsWith('//')
}

/**
 * Whether `value` is a safe local return path: a string of printable ASCII starting with exactly one "/", no
 * backslash, no control character, no "//" in its path (before any "?" or "#"; a query may carry a URL), none of
 * those hidden behind percent-encoding
 * (up to four rounds), and resolving (WHATWG URL), as given and once decoded, to the same origin with a path that
 * starts with a single "/" and no user info.
 *
 * @example
 * ```ts
 * isSafeReturnTo('/account?tab=2') // true
 * isSafeReturnTo('/\t/evil.example') // false
 * ```
 */
export function isSafeReturnTo (value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_RETURN_TO_LENGTH) return false
  if (!PRINTABLE_ASCII.test(value) || value.includes('\\') || !value.startsWith('/') || hasDoubleSlashInPath(value)) return false
  let layer = value
  // The path as sent (up to its first raw "?" or "#"), decoded alongside: an encoded "?" (`%3F`) before an encoded
  // "//" does not make that "//" a query's.
  const end = value.search(/[?#]/)
  let pathLayer = end === -1 ? value : value.slice(0, end)
  for (let round = 0; ; round++) {
    let decoded: string
    try {
      decoded = decodeURIComponent(layer)
      pathLayer = decodeURIComponent(pathLayer)
    } catch {
      return false // a malformed escape: no telling what a later decoder makes of it
    }
    if (decoded === layer) break
    if (round === DECODE_ROUNDS) return false
    // A later decoder (a proxy, a framework, the next redirect) must not find another host either.
    if (CONTROL.test(decoded) || decoded.includes('\\') || hasDoubleSlashInPath(decoded) || pathLayer.includes('//') || !resolvesLocally(decoded)) return false
    layer = decoded
  }
  return resolvesLocally(value)
}

/**
 * `value` when it is a safe local return path (see {@link isSafeReturnTo}), else `fallback`.
 *
 * @throws TypeError when `fallback` itself is not a safe local path (a programmer's mistake).
 * @example
 * ```ts
 * res.redirect(safeReturnTo(req.session.returnTo, '/account'))
 * ```
 */
export function safeReturnTo (value: unknown, fallback: string): string {
  if (!isSafeReturnTo(fallback)) throw new InvalidOptionError('"fallback" of safeReturnTo must be a local path starting with "/"')
  return isSafeReturnTo(value) ? value : fallback
}
