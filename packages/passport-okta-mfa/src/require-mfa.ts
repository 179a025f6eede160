// requireMfa for Express and connect: lets a request through only when its session completed MFA
// for its current user (and recently enough, with maxAgeSeconds); pages are redirected, APIs get 401 JSON.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { guardConfig, mfaVerdict, refusalBody, refusalStatus, returnToOf, wantsHtml, type GuardConfig, type RequireMfaOptions } from './guard.js'
import { sessionSet } from '@okta-mfa/core'
import { requireMfaFastify, type FastifyReplyLike, type FastifyRequestLike } from './require-mfa-fastify.js'

/** The request shape the Express guard reads (express `Request` fits). */
export interface ExpressLikeRequest extends IncomingMessage {
  /** The session (express-session's `req.session`), where the MFA state is kept. */
  session?: unknown
  /** Passport's signed-in user. */
  user?: unknown
  /** Express's original URL, saved as the page to return to after MFA (`url` without it). */
  originalUrl?: string
}

/**
 * A connect-style middleware, which Fastify also takes as a callback-style hook (`{ preHandler: requireMfa() }`):
 * one call signature for each.
 */
export interface ConnectMiddleware {
  /** As Express and connect call it. */
  (req: ExpressLikeRequest, res: ServerResponse, next: (err?: unknown) => void): void
  /** As Fastify calls a callback-style `preHandler`. */
  (request: FastifyRequestLike, reply: FastifyReplyLike, done: (err?: Error) => void): void
}

/** A Fastify reply (the second argument when the middleware runs as a Fastify hook), told apart from a ServerResponse. */
function isFastifyReply (res: unknown): res is FastifyReplyLike & { readonly sent: boolean } {
  const r = res as { code?: unknown, send?: unknown, raw?: unknown }
  return typeof r.code === 'function' && typeof r.send === 'function' && typeof r.raw === 'object' && r.raw !== null
}

/**
 * Express/connect middleware that requires a completed MFA step. Given as a Fastify `preHandler`
 * (`{ preHandler: requireMfa() }`) it answers as {@link requireMfaFastify} does.
 *
 * - MFA done (and younger than `maxAgeSeconds`): `next()`; `req.mfa` holds the {@link MfaState}.
 * - A page request (`Accept: text/html`) without MFA: 302 to `redirectTo`, remembering the URL in `session.returnTo`.
 * - An API request without MFA: 401 `{ code: 'MFA_REQUIRED', message, stepUp }`;
 *   without a logged-in user: 401 `{ code: 'UNAUTHENTICATED' }` (or 302 to `loginRedirectTo` for pages).
 *
 * @throws TypeError for a bad option.
 * @example
 * app.get('/account', requireMfa({ redirectTo: '/mfa', maxAgeSeconds: 3600 }), (req, res) => res.send('hi'))
 */
export function requireMfa (options: RequireMfaOptions = {}): ConnectMiddleware {
  const config = guardConfig(options)
  const fastifyGuard = requireMfaFastify(options)
  return function requireMfaMiddleware (req: ExpressLikeRequest | FastifyRequestLike, res: ServerResponse | FastifyReplyLike, next: (err?: never) => void) {
    if (isFastifyReply(res)) {
      // Callback-style Fastify hook: continue with done() unless the guard already answered.
      const reply = res
      fastifyGuard(req as never, reply).then(() => { if (!reply.sent) next() }, next)
      return
    }
    answer(req as ExpressLikeRequest, res as ServerResponse, config).then((pass) => { if (pass) next() }, next)
  }
}

/** Lets the request through (true) or answers it (false). */
async function answer (req: ExpressLikeRequest, res: ServerResponse, config: GuardConfig): Promise<boolean> {
  const verdict = await mfaVerdict(req, config)
  if (verdict.ok) {
    (req as ExpressLikeRequest & { mfa?: unknown }).mfa = verdict.state
    return true
  }
  const target = verdict.code === 'UNAUTHENTICATED' ? config.loginRedirectTo : verdict.code === 'MFA_REQUIRED' ? config.redirectTo : undefined
  if (target !== undefined && wantsHtml(req.headers.accept)) {
    const returnTo = returnToOf(req.method, req.originalUrl ?? req.url)
    if (returnTo !== undefined && req.session !== undefined) sessionSet(req, config.returnToKey, returnTo)
    res.statusCode = 302
    res.setHeader('Location', target)
    res.setHeader('Cache-Control', 'no-store')
    res.end()
    return false
  }
  res.statusCode = refusalStatus(verdict)
  res.setHeader('Content-Type', 'application/json; charset=utf-8')
  res.setHeader('Cache-Control', 'no-store')
  res.end(JSON.stringify(refusalBody(verdict)))
  return false
}
