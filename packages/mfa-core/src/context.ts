// The end user's context that goes with a verify call, so Okta's risk checks and message language see the person
// signing in rather than this server. Bounded: a huge header never reaches Okta or a log.
import type { VerifyContext } from '@okta-mfa/client'

/** Longest User-Agent forwarded to Okta; longer ones are cut. */
export const MAX_USER_AGENT_LENGTH = 512
/** Longest Accept-Language forwarded to Okta; longer ones are cut. */
export const MAX_ACCEPT_LANGUAGE_LENGTH = 256

/** What {@link endUserContext} reads from a request (Express and Fastify requests fit). */
export interface EndUserRequest {
  ip?: string | undefined
  headers: Record<string, string | string[] | undefined>
}

function one (value: string | string[] | undefined, max: number): string | undefined {
  const v = Array.isArray(value) ? value[0] : value
  if (typeof v !== 'string' || v === '') return undefined
  return v.length > max ? v.slice(0, max) : v
}

/**
 * The verify context of a request: its IP (as the framework determined it, trust-proxy included), User-Agent and
 * Accept-Language.
 *
 * @example
 * await client.verifyFactor(userId, factorId, { passCode }, undefined, { context: endUserContext(req) })
 */
export function endUserContext (req: EndUserRequest): VerifyContext {
  const context: VerifyContext = {}
  if (typeof req.ip === 'string' && req.ip !== '' && req.ip.length <= 64) context.ip = req.ip
  const userAgent = one(req.headers['user-agent'], MAX_USER_AGENT_LENGTH)
  if (userAgent !== undefined) context.userAgent = userAgent
  const acceptLanguage = one(req.headers['accept-language'], MAX_ACCEPT_LANGUAGE_LENGTH)
  if (acceptLanguage !== undefined) context.acceptLanguage = acceptLanguage
  return context
}
