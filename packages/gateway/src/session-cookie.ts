// The standalone server's session: @fastify/secure-session's cookie format, keys and rules, so that an app signing
// users in with secure-session and the same SESSION_KEY shares its sessions with the gateway both ways. The same
// crypto (libsodium's secretbox, a random 24-byte nonce per cookie), with less work per request than the plugin
// itself: issue 15's profiles put it at about 15 µs of a verify, since @fastify/cookie parses every cookie and runs
// each Set-Cookie through its serializer, each method read through the session's Proxy wraps the method in a new
// Proxy, and each nonce is a getrandom() system call. Here: one cookie read from the header, a Proxy that allocates
// nothing, nonces cut from a pooled buffer of CSPRNG bytes, and the cookie's attributes serialized once.
import { randomFillSync } from 'node:crypto'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import sodium from 'sodium-native'
import { readCookie } from '@okta-mfa/core'
import { InvalidOptionError } from './options.js'
import { attributesFor, type SessionCookieOptions } from './session-cookie-attributes.js'

/** secure-session's default lifetime of a session, seconds, renewed by every write (24 hours and one second). */
export const SESSION_EXPIRY_SECONDS = 86_401

const NONCE_BYTES = sodium.crypto_secretbox_NONCEBYTES
const MAC_BYTES = sodium.crypto_secretbox_MACBYTES
const NONCE_POOL_BYTES = NONCE_BYTES * 256

let noncePool = Buffer.alloc(0)
let nonceAt = 0

/** A fresh random nonce: 24 CSPRNG bytes never handed out before (a new pool, not a refill, when one runs out). */
function nextNonce (): Buffer {
  if (nonceAt + NONCE_BYTES > noncePool.length) {
    noncePool = randomFillSync(Buffer.allocUnsafe(NONCE_POOL_BYTES))
    nonceAt = 0
  }
  const nonce = noncePool.subarray(nonceAt, nonceAt + NONCE_BYTES)
  nonceAt += NONCE_BYTES
  return nonce
}

const kData = Symbol('session data')
const kCookieOptions = Symbol('session cookie options')
type Data = Record<string, unknown> & { __ts?: number }

/** secure-session's session API: `get`, `set`, `delete`, `options`, `data`, `touch`, `regenerate`, `changed`, `deleted`. */
class Session {
  [kData]: Data;
  [kCookieOptions]: SessionCookieOptions | undefined = undefined
  changed = false
  deleted = false

  constructor (data: Data) {
    this[kData] = data
    if (data.__ts === undefined) data.__ts = nowSeconds()
  }

  get (key: string): unknown { return this[kData][key] }
  set (key: string, value: unknown): void { this.touch(); this[kData][key] = value }
  delete (): void { this.deleted = true; this.touch() }
  options (opts: SessionCookieOptions): void { this[kCookieOptions] = opts }
  data (): Record<string, unknown> { const { __ts: _, ...copy } = this[kData]; return copy }
  touch (): void { this.changed = true; this[kData].__ts = nowSeconds() }
  regenerate (ignoredFields?: string[]): void {
    for (const key of Object.keys(this[kData])) {
      if (key !== '__ts' && !(Array.isArray(ignoredFields) && ignoredFields.includes(key))) delete this[kData][key]
    }
    this.touch()
  }
}

const HTTPS = /^https$/i

function nowSeconds (): number {
  return Math.round(Date.now() / 1000)
}

// As secure-session's: `session.user` reads `session.get('user')`, and writes go through `set`. No allocation per access.
const proxyHandler: ProxyHandler<Session> = {
  get (target, prop) {
    return prop in target ? (target as unknown as Record<PropertyKey, unknown>)[prop] : target.get(prop as string)
  },
  set (target, prop, value) {
    if (Object.hasOwn(target, prop)) (target as unknown as Record<PropertyKey, unknown>)[prop] = value
    else target.set(prop as string, value)
    return true
  },
}

function newSession (data: Data): Session {
  return new Proxy(new Session(data), proxyHandler)
}

/** Options of {@link gatewaySessionCookie}. */
export interface GatewaySessionCookieOptions {
  /** 32-byte keys, newest first: the first encrypts, any decrypts (a cookie of an older key is re-encrypted). */
  key: readonly Buffer[]
  /** @default 'session' */
  cookieName?: string | undefined
  /** Set-Cookie attributes. `httpOnly` defaults to true, as in secure-session. */
  cookie?: SessionCookieOptions | undefined
  /** Lifetime of a session since its last write, seconds. @default SESSION_EXPIRY_SECONDS */
  expiry?: number | undefined
}

/** The session a cookie value carries; null when there is none or it cannot be read (the reason goes to debug). */
function decode (value: string | undefined, keys: readonly Buffer[], expiry: number, log: FastifyBaseLogger): Session | null {
  if (value === undefined) return null
  let [head, tail] = ['', '']
  const at = value.indexOf('%3B')
  if (at !== -1 && value.indexOf('%') === at && value.indexOf('%', at + 3) === -1) {
    // As this server writes it: the separator is the only escape, no need to decode the whole value.
    [head, tail] = [value.slice(0, at), value.slice(at + 3)]
  } else {
    let text = value
    if (text.includes('%')) {
      try { text = decodeURIComponent(text) } catch { /* as the cookie parser does: the raw value */ }
    }
    const sep = text.indexOf(';')
    if (sep !== -1) [head, tail] = [text.slice(0, sep), text.slice(sep + 1)]
  }
  const cipher = Buffer.from(head, 'base64')
  const nonce = Buffer.from(tail, 'base64')
  if (cipher.length < MAC_BYTES || nonce.length !== NONCE_BYTES) {
    log.debug('session cookie malformed: a new session')
    return null
  }
  const message = Buffer.allocUnsafe(cipher.length - MAC_BYTES)
  if (!keys.some((key) => sodium.crypto_secretbox_open_easy(message, cipher, nonce, key))) {
    log.debug('session cookie not decrypted by any key: a new session')
    return null
  }
  let data: unknown
  try { data = JSON.parse(message.toString('utf8')) } catch { data = undefined }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return null
  const ts = (data as Data).__ts
  if (typeof ts !== 'number' || (ts + expiry) * 1000 - Date.now() <= 0) {
    log.debug('session expired: a new session')
    return null
  }
  // Made with an older key, it is written again with the newest, but only by a request that writes it anyway.
  // @fastify/secure-session rewrites it on every request; here a query (which never writes the session) would then
  // send back the session as it read it, over the MFA step a verify running beside it had just recorded.
  return newSession(data as Data)
}

/**
 * A session sealed: base64 ciphertext, the separator, base64 nonce. secure-session's value has `;` as the separator
 * and goes through encodeURIComponent into the cookie; `%3B` is all of that encoding base64 needs (`+`, `/` and `=`
 * are cookie octets), and its cookie parser decodes both alike.
 */
function seal (session: Session, key: Buffer, separator: string): string {
  const message = Buffer.from(JSON.stringify(session[kData]))
  const cipher = Buffer.allocUnsafe(message.length + MAC_BYTES)
  const nonce = nextNonce()
  sodium.crypto_secretbox_easy(cipher, message, nonce, key)
  return cipher.toString('base64') + separator + nonce.toString('base64')
}

/**
 * `request.session` for the standalone gateway, compatible with @fastify/secure-session: the same cookie format, keys,
 * key rotation and expiry, the same session API, and its `createSecureSession`, `encodeSecureSession` and
 * `decodeSecureSession` decorators. Not exported from the package: apps register @fastify/secure-session itself.
 */
export const gatewaySessionCookie = fp((app: FastifyInstance, options: GatewaySessionCookieOptions, done: (err?: Error) => void) => {
  const keys = [...options.key]
  if (keys.length === 0 || keys.some((k) => !Buffer.isBuffer(k) || k.length !== sodium.crypto_secretbox_KEYBYTES)) {
    // Reached from buildGatewayServer with a config built by hand (loadServerConfig refuses such keys first).
    done(new InvalidOptionError(`session keys must be ${sodium.crypto_secretbox_KEYBYTES}-byte Buffers`))
    return
  }
  const cookieName = options.cookieName ?? 'session'
  const expiry = options.expiry ?? SESSION_EXPIRY_SECONDS
  // The defaults of secure-session (httpOnly) and of @fastify/cookie's setCookie (sameSite lax) under it.
  const base: SessionCookieOptions = { sameSite: 'lax', ...options.cookie, httpOnly: options.cookie?.httpOnly ?? true }
  // Checked now: a bad option fails at start-up, not per request.
  const attributes = attributesFor(base)
  const deleted = attributesFor({ ...base, expires: new Date(0), maxAge: 0 })

  app.decorateRequest('session', null as never)
  // secure-session's decorators, for code that makes or reads a session cookie by hand (tests, a login elsewhere).
  const decorate = app.decorate.bind(app) as (name: string, value: unknown) => void
  decorate('createSecureSession', (data: Record<string, unknown> = {}) => newSession({ ...data }))
  decorate('encodeSecureSession', (session: Session) => seal(session, keys[0]!, ';'))
  decorate('decodeSecureSession', (cookie: string, log: FastifyBaseLogger = app.log) => decode(cookie, keys, expiry, log))

  app.addHook('onRequest', (request, _reply, next) => {
    (request as unknown as { session: Session }).session =
      decode(readCookie(request.headers.cookie, cookieName), keys, expiry, request.log) ?? newSession({})
    next()
  })
  app.addHook('onSend', (request, reply, _payload, next) => {
    const session = (request as unknown as { session: Session | null }).session
    if (session === null || !session.changed) {
      next()
      return
    }
    try {
      const own = session[kCookieOptions]
      // A scheme is case-insensitive: a proxy's "X-Forwarded-Proto: HTTPS" is https.
      const https = HTTPS.test(request.protocol)
      if (session.deleted) {
        const attrs = own === undefined ? deleted : attributesFor({ ...base, ...own, expires: new Date(0), maxAge: 0 })
        reply.header('set-cookie', `${cookieName}=${attrs(https)}`)
      } else {
        const attrs = own === undefined ? attributes : attributesFor({ ...base, ...own })
        reply.header('set-cookie', `${cookieName}=${seal(session, keys[0]!, '%3B')}${attrs(https)}`)
      }
    } catch (err) {
      next(err as Error) // only an app's own session.options() can be invalid
      return
    }
    next()
  })
  done()
}, { name: '@okta-mfa/gateway-session', fastify: '5.x' })
