// The attributes of the session's Set-Cookie, in the order and spelling of the `cookie` package that
// @fastify/cookie (and so secure-session) uses, checked as strictly. Serialized once at start-up for the usual case.
import { InvalidOptionError } from './options.js'

/** Set-Cookie attributes of the session cookie (the subset of @fastify/cookie's options a session uses). */
export interface SessionCookieOptions {
  path?: string | undefined
  domain?: string | undefined
  /** Seconds. */
  maxAge?: number | undefined
  expires?: Date | undefined
  httpOnly?: boolean | undefined
  /** `'auto'`: Secure on requests that came over https (`request.protocol`, which honours trustProxy). */
  secure?: boolean | 'auto' | undefined
  partitioned?: boolean | undefined
  priority?: 'low' | 'medium' | 'high' | undefined
  sameSite?: boolean | 'lax' | 'strict' | 'none' | undefined
}

// The `cookie` package's checks: RFC 6265 domain and path values.
const DOMAIN = /^([.]?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)([.][a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i
const PATH = /^[\u0020-\u003A\u003D-\u007E]*$/
const PRIORITY: Readonly<Record<string, string>> = { low: 'Low', medium: 'Medium', high: 'High' }
const SAME_SITE: Readonly<Record<string, string>> = { true: 'Strict', strict: 'Strict', lax: 'Lax', none: 'None' }

/**
 * `; Max-Age=…; Domain=…; Path=…; Expires=…; HttpOnly; Secure; Partitioned; Priority=…; SameSite=…`, as much of it
 * as is set.
 *
 * @throws TypeError for a value the `cookie` package refuses (the message names the option, never a cookie value).
 */
export function cookieAttributes (o: SessionCookieOptions & { secure?: boolean | undefined }): string {
  let s = ''
  if (o.maxAge !== undefined) {
    if (!Number.isSafeInteger(o.maxAge)) throw new InvalidOptionError('session cookie "maxAge" must be an integer')
    s += `; Max-Age=${o.maxAge}`
  }
  if (o.domain !== undefined && o.domain !== '') {
    if (!DOMAIN.test(o.domain)) throw new InvalidOptionError('session cookie "domain" is invalid')
    s += `; Domain=${o.domain}`
  }
  if (o.path !== undefined && o.path !== '') {
    if (!PATH.test(o.path)) throw new InvalidOptionError('session cookie "path" is invalid')
    s += `; Path=${o.path}`
  }
  if (o.expires !== undefined) {
    const year = o.expires.getUTCFullYear()
    if (!(year >= 1601 && year <= 9999)) throw new InvalidOptionError('session cookie "expires" is invalid')
    s += `; Expires=${o.expires.toUTCString()}`
  }
  if (o.httpOnly === true) s += '; HttpOnly'
  if (o.secure === true) s += '; Secure'
  if (o.partitioned === true) s += '; Partitioned'
  if (o.priority !== undefined) {
    const p = PRIORITY[String(o.priority).toLowerCase()]
    if (p === undefined) throw new InvalidOptionError('session cookie "priority" is invalid')
    s += `; Priority=${p}`
  }
  if (o.sameSite !== undefined && o.sameSite !== false) {
    const v = SAME_SITE[String(o.sameSite).toLowerCase()]
    if (v === undefined) throw new InvalidOptionError('session cookie "sameSite" is invalid')
    s += `; SameSite=${v}`
  }
  return s
}

/** The attributes for a request: with `secure: 'auto'`, Secure only over https. Both forms are checked at once. */
export function attributesFor (o: SessionCookieOptions): (https: boolean) => string {
  if (o.secure !== 'auto') {
    const fixed = cookieAttributes({ ...o, secure: o.secure })
    return () => fixed
  }
  const [secure, plain] = [cookieAttributes({ ...o, secure: true }), cookieAttributes({ ...o, secure: false })]
  return (https) => https ? secure : plain
}
