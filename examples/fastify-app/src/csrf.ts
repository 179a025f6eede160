// CSRF for the app's own form posts: a synchronizer token kept in the encrypted session cookie and echoed in
// each form (field `_csrf`) or, from the page's script, in the `x-csrf-token` header. A cross-site form cannot
// read the token, so it cannot post it. The gateway's GraphQL has its own protection (JSON-only POSTs).
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'

/**
 * Whether a post's body is JSON (from the page's script or an API client), answered in JSON: the media type read as
 * Fastify's parser reads it, case-insensitively (`Application/JSON` too), parameters allowed.
 */
export function isJsonPost (request: FastifyRequest): boolean {
  return /^application\/json\s*(?:;|$)/i.test(String(request.headers['content-type'] ?? ''))
}

/** Session key holding the token. */
export const CSRF_SESSION_KEY = 'csrf'
/** Form field that carries the token. */
export const CSRF_FIELD = '_csrf'
/** Header that carries the token for fetch() calls. */
export const CSRF_HEADER = 'x-csrf-token'

/** The session's CSRF token, created on first use (and again after login, which clears the session). */
export function csrfToken (request: FastifyRequest): string {
  const existing: unknown = request.session.get(CSRF_SESSION_KEY)
  if (typeof existing === 'string' && existing.length > 0) return existing
  const token = randomBytes(24).toString('base64url')
  request.session.set(CSRF_SESSION_KEY, token)
  return token
}

/** True when the request carries the session's token in the body field or the header. */
export function hasValidCsrf (request: FastifyRequest): boolean {
  const expected: unknown = request.session.get(CSRF_SESSION_KEY)
  if (typeof expected !== 'string' || expected.length === 0) return false
  const body = request.body as Record<string, unknown> | undefined
  const header = request.headers[CSRF_HEADER]
  const sent = typeof body?.[CSRF_FIELD] === 'string' ? body[CSRF_FIELD] : typeof header === 'string' ? header : ''
  const a = Buffer.from(sent as string)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

/**
 * Builds a `preValidation` hook that answers 403 when the token is missing or wrong.
 * `render` produces the page shown for a form post; JSON callers get `{ error: { code: 'CSRF' } }`.
 */
export function requireCsrf (render: (request: FastifyRequest) => string) {
  return async function csrfGuard (request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (hasValidCsrf(request)) return
    // The path only: a query string may carry what a crafted form put there (a password, say).
    request.log.warn({ path: request.routeOptions.url ?? 'unknown' }, 'refused a POST without a valid CSRF token')
    if (isJsonPost(request)) {
      await reply.code(403).header('x-error-code', 'CSRF').send({ error: { code: 'CSRF', message: 'The page expired. Reload it and try again.' } })
      return
    }
    await reply.code(403).header('x-error-code', 'CSRF').type('text/html; charset=utf-8').send(render(request))
  }
}
