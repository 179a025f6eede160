// Which hosts are this machine's loopback: the only place plain http may carry a token (a local emulator).
import { isIPv4 } from 'node:net'

/**
 * Whether `hostname` names this machine's loopback interface: `localhost`, an IPv4 address in 127.0.0.0/8, or `::1`
 * (with or without the brackets a URL's `hostname` keeps). An `orgUrl` may be plain `http:` (with
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
  if (host === 'localhost' || host === '::1' || host === '[::1]') return true
  return isIPv4(host) && host.startsWith('127.')
}
