// SSWS API-token check. Okta answers a request without an Authorization header with 403
// E0000005 and a wrong token (or another scheme) with 401 E0000011; the token is compared in
// constant time (only its length can be learnt) and never echoed.
import { timingSafeEqual } from 'node:crypto'
import { invalidSession, invalidToken } from './errors.js'

/** Builds a checker for one token; the returned function throws an OktaError when the header is not accepted. */
export function ssws (token: string): (header: string | undefined) => void {
  const expected = Buffer.from(token)
  return (header) => {
    if (header === undefined || header === '') throw invalidSession()
    const space = header.indexOf(' ')
    if (space !== 4 || header.slice(0, 4).toUpperCase() !== 'SSWS') throw invalidToken()
    const given = Buffer.from(header.slice(5).trim())
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalidToken()
  }
}
