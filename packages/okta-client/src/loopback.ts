// Which hosts are this machine's loopback: the only place plain http may carry a token (a local emulator).
import { isIPv4, isIPv6 } from 'node:net'

/**
 * Whether `hostname` names this machine's loopback interface: `localhost`, an IPv4 address in 127.0.0.0/8, or `::1`
 * or an IPv4-mapped 127.0.0.0/8 address (`::ffff:127.0.0.1`), in any IPv6 spelling, with or without the brackets a
 * URL's `hostname` keeps. An `orgUrl` may be plain `http:` (with
 * `allowInsecureHttp`) only on such a host: the token then never leaves the machine.
 *
 * @example
 * ```ts
 * isLoopbackHost(new URL('http://127.0.0.2:7070').hostname) // true
 * isLoopbackHost(new URL('http://[::1]:7070').hostname) // true
 * isLoopbackHost('dev-123456.okta.com') // false
 * ```
 */
export function isLoopbackHost (hostname: string): boolean {
  const host = hostname.toLowerCase()
  if (host === 'localhost') return true
  if (isIPv4(host)) return host.startsWith('127.')
  // An IPv6 address in any spelling (`0:0:0:0:0:0:0:1`, `::ffff:127.0.0.1`), compressed as a URL writes it.
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
  if (!isIPv6(bare)) return false
  let canonical: string
  try { canonical = new URL(`http://[${bare}]/`).hostname } catch { return false }
  return canonical === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(canonical)
}
