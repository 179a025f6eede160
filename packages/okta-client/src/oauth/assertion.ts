// The private_key_jwt client assertion (RFC 7523 §2.2), signed with jose: aud = the token URL,
// iss = sub = the client id, a short lifetime and a unique jti (Okta refuses a reused one).
import { randomUUID } from 'node:crypto'
import { SignJWT } from 'jose'
import type { OAuthConfig } from './options.js'

/** Lifetime of a client assertion, seconds (Okta accepts at most an hour). */
export const ASSERTION_LIFETIME_S = 300

/** A fresh, signed client assertion for one token request. */
export async function clientAssertion (config: OAuthConfig, tokenUrl: string, nowMs: number): Promise<string> {
  const now = Math.floor(nowMs / 1000)
  return await new SignJWT({})
    .setProtectedHeader(config.keyId === undefined ? { alg: config.alg, typ: 'JWT' } : { alg: config.alg, kid: config.keyId, typ: 'JWT' })
    .setIssuer(config.clientId)
    .setSubject(config.clientId)
    .setAudience(tokenUrl)
    .setIssuedAt(now)
    .setExpirationTime(now + ASSERTION_LIFETIME_S)
    .setJti(randomUUID())
    .sign(config.key)
}
