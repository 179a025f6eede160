// TRUST_PROXY: which proxy in front of the app (a load balancer, a TLS terminator) may tell it the client's address and
// scheme through X-Forwarded-For / X-Forwarded-Proto. Off by default: anyone can send those headers, so they count only
// when the deployment names the proxy that sets them. It accepts what the demo's TRUST_PROXY accepts, as Express's
// `trust proxy` setting; `true` is the proxy that connects (one hop), never every hop, so that a client cannot choose,
// through an X-Forwarded-For the proxy appends to, the address Okta is told.
import { isIP } from 'node:net'
import type { RequestHandler } from 'express'

/** Express's `trust proxy`: `false` (off), a hop count, or the proxies' addresses and CIDR ranges, comma-separated. */
export type TrustProxySetting = false | number | string

/**
 * Reads a TRUST_PROXY value: empty, `false`/`no` (off, the default), `true`/`yes` (the proxy that connects: `1`), a hop
 * count from 1 to 99 (`0` is off), or proxy addresses or CIDR ranges separated by commas (`10.0.0.1, 10.1.0.0/16`).
 * Returns `undefined` for anything else.
 *
 * @example
 * parseTrustProxy('10.0.0.0/8, 127.0.0.1') // '10.0.0.0/8,127.0.0.1'
 */
export function parseTrustProxy (value: string | undefined): TrustProxySetting | undefined {
  const v = (value ?? '').trim()
  if (v === '' || /^(false|no)$/i.test(v)) return false
  if (/^(true|yes)$/i.test(v)) return 1
  if (/^[0-9]{1,2}$/.test(v)) return Number(v) >= 1 ? Number(v) : false
  const parts = v.split(',').map((part) => part.trim())
  const valid = parts.every((part) => {
    const [address, bits, extra] = part.split('/')
    if (address === undefined || extra !== undefined || isIP(address) === 0) return false
    if (bits === undefined) return true
    return /^[0-9]{1,3}$/.test(bits) && Number(bits) <= (isIP(address) === 4 ? 32 : 128)
  })
  return valid ? parts.join(',') : undefined
}

/**
 * `buildApp`'s `trustProxy` option as Express's `trust proxy` value: `false` or `undefined` (off), a hop count from 0
 * to 99 (0 is off), or proxy addresses/CIDR ranges as {@link parseTrustProxy} reads them.
 *
 * @throws TypeError for anything else (`true` too: say which proxy, or how many hops).
 * @example
 * app.set('trust proxy', trustProxyOption(options.trustProxy))
 */
export function trustProxyOption (option: unknown): TrustProxySetting {
  if (option === undefined || option === false) return false
  if (typeof option === 'number' && Number.isInteger(option) && option >= 0 && option < 100) return option === 0 ? false : option
  const parsed = typeof option === 'string' ? parseTrustProxy(option) : undefined
  if (typeof parsed === 'string') return parsed
  throw new TypeError('"trustProxy" option must be false, a hop count from 0 to 99, or proxy addresses/CIDR ranges separated by commas')
}

/**
 * With a trusted proxy: its `X-Forwarded-Proto` lower-cased before Express reads it, since a scheme is
 * case-insensitive (RFC 3986 §3.1) and `req.secure` (the Secure cookies) compares it with 'https'.
 */
export const lowerCaseForwardedProto: RequestHandler = (req, _res, next) => {
  const proto = req.headers['x-forwarded-proto']
  if (typeof proto === 'string') req.headers['x-forwarded-proto'] = proto.toLowerCase()
  next()
}
