// SSWS API-token check. Okta answers a request without an Authorization header with 403
// E0000005 and a wrong token (or another scheme) with 401 E0000011; the token is compared in
// constant time and never echoed.
import { createHash, timingSafeEqual } from 'node:crypto'
import { invalidSession, invalidToken } from './errors.js'

/** Builds a checker for one token; the returned function throws an OktaError when the header is not accepted. */
export function ssws (token: string): (header: string | undefined) => void {
  const expected = createHash('sha256').update(token).digest()
  return (header) => {
    if (header === undefined || header === '') throw invalidSession()
    const space = header.indexOf(' ')
    const scheme = space === -1 ? header : header.slice(0, space)
    if (scheme.toUpperCase() !== 'SSWS') throw invalidToken()
    const given = createHash('sha256').update(header.slice(space + 1).trim()).digest()
    if (!timingSafeEqual(given, expected)) throw invalidToken()
  }
}
