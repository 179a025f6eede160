// TRUST_PROXY: whether (and which) proxy in front of the server may tell it the client's address and scheme through
// X-Forwarded-For / X-Forwarded-Proto. Off by default: without a proxy that overwrites them, anyone can send those
// headers, so they are ignored unless the deployment says a TLS-terminating proxy sets them.
import { isIP } from 'node:net'

/** A TRUST_PROXY setting: false, true (the proxy that connects: one hop), a hop count, or the proxies' addresses and CIDR ranges. */
export type TrustProxySetting = boolean | number | string

/**
 * Reads a TRUST_PROXY value: empty, `false`/`no` (off, the default), `true`/`yes` (trust the proxy that connects),
 * a hop count (`2`), or a comma-separated list of proxy addresses or CIDR ranges (`10.0.0.1, 10.1.0.0/16`).
 * Returns `undefined` for anything else.
 *
 * @example
 * ```ts
 * parseTrustProxy('10.0.0.0/8, 127.0.0.1') // '10.0.0.0/8,127.0.0.1'
 * ```
 */
export function parseTrustProxy (value: string | undefined): TrustProxySetting | undefined {
  const v = (value ?? '').trim()
  if (v === '' || /^(false|no)$/i.test(v)) return false
  if (/^(true|yes)$/i.test(v)) return true
  if (/^[0-9]{1,2}$/.test(v)) return Number(v) >= 1 ? Number(v) : false
  const parts = v.split(',').map((p) => p.trim())
  const valid = parts.every((p) => {
    const [addr, bits, extra] = p.split('/')
    if (addr === undefined || extra !== undefined || isIP(addr) === 0) return false
    if (bits === undefined) return true
    const max = isIP(addr) === 4 ? 32 : 128
    return /^[0-9]{1,3}$/.test(bits) && Number(bits) <= max
  })
  return valid ? parts.join(',') : undefined
}

/**
 * The setting in the form Fastify's `trustProxy` option takes: a hop count becomes a function of the hop, and `true`
 * one hop (the proxy that connects), not Fastify's "every hop": behind a proxy that appends to X-Forwarded-For, every
 * hop would make the leftmost address, which the client wrote, the end user's IP sent to Okta.
 */
export function fastifyTrustProxy (setting: TrustProxySetting): boolean | string | ((address: string, hop: number) => boolean) {
  const hops = setting === true ? 1 : setting
  return typeof hops === 'number' ? (_address: string, hop: number) => hop < hops : hops
}
