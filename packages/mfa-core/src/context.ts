// The end user's context that goes with a verify call, so Okta's risk checks and message language see the person
// signing in rather than this server. Bounded: a huge header never reaches Okta or a log.
import { isIPv4 } from 'node:net'
import type { VerifyContext } from '@okta-mfa/client'

/** Longest User-Agent forwarded to Okta; longer ones are cut. */
export const MAX_USER_AGENT_LENGTH = 512
/** Longest Accept-Language forwarded to Okta; longer ones are cut. */
export const MAX_ACCEPT_LANGUAGE_LENGTH = 256

/** What {@link endUserContext} reads from a request (Express and Fastify requests fit). */
export interface EndUserRequest {
  /**
   * The end user's address as the framework determined it, trust proxy included (Express's and Fastify's `req.ip`). A
   * `node:http` request has none: without it no IP is sent, and Okta sees this server's address.
   */
  ip?: string | undefined
  /** The request headers: `user-agent` and `accept-language` are read (the first of several values, cut to their maximum length). */
  headers: Record<string, string | string[] | undefined>
}

function one (value: string | string[] | undefined, max: number): string | undefined {
  const v = Array.isArray(value) ? value[0] : value
  if (typeof v !== 'string' || v === '') return undefined
  return v.length > max ? v.slice(0, max) : v
}

/** An IPv4 address as a dual-stack server sees it (`::ffff:203.0.113.9`) in the form Okta's network zones use. */
function unmapped (ip: string): string {
  const tail = ip.slice(7)
  return ip.slice(0, 7).toLowerCase() === '::ffff:' && isIPv4(tail) ? tail : ip
}

/**
 * The verify context of a request: its IP (as the framework determined it, trust-proxy included; an IPv4-mapped IPv6
 * address, as a server listening on `::` sees an IPv4 client, as the IPv4 address), User-Agent and Accept-Language.
 *
 * @example
 * await client.verifyFactor(userId, factorId, { passCode }, undefined, { context: endUserContext(req) })
 */
export function endUserContext (req: EndUserRequest): VerifyContext {
  const context: VerifyContext = {}
  if (typeof req.ip === 'string' && req.ip !== '' && req.ip.length <= 64) context.ip = unmapped(req.ip)
  const userAgent = one(req.headers['user-agent'], MAX_USER_AGENT_LENGTH)
  if (userAgent !== undefined) context.userAgent = userAgent
  const acceptLanguage = one(req.headers['accept-language'], MAX_ACCEPT_LANGUAGE_LENGTH)
  if (acceptLanguage !== undefined) context.acceptLanguage = acceptLanguage
  return context
}
