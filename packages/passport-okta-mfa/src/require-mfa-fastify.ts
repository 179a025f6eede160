// requireMfaFastify: the same guard as a Fastify preHandler for @fastify/passport + @fastify/secure-session,
// where `returnTo` lives in the secure session (which @fastify/passport's successReturnToOrRedirect reads).
import { guardConfig, mfaVerdict, refusalBody, refusalStatus, returnToOf, wantsHtml, type RequireMfaOptions } from './guard.js'
import { sessionSet, type MfaState, type SessionRequest } from '@okta-mfa/core'
import { InvalidOptionError } from './invalid-option.js'

/**
 * The part of a Fastify request the guard reads. Typed structurally, so that passport-okta-mfa's declarations need no
 * fastify (an optional peer dependency): an Express-only app type-checks with `skipLibCheck: false`. A `FastifyRequest`
 * is one.
 *
 * @example
 * const where = (request: FastifyRequestLike): string => `${request.method} ${request.url}`
 */
export interface FastifyRequestLike {
  /** The HTTP method. */
  readonly method: string
  /** The path and query the app routes (after Fastify's `rewriteUrl`, when the app has one). */
  readonly url: string
  /** The path and query the client asked for, before any `rewriteUrl`: what `returnTo` remembers. */
  readonly originalUrl?: string | undefined
  /** The request headers (the guard reads `accept`). */
  readonly headers: {
    /** The `Accept` header: a client that takes `text/html` is redirected when the guard has a `redirectTo` (or `loginRedirectTo`) for the refusal, any other gets the JSON refusal. */
    readonly accept?: string | undefined
  }
}

/**
 * The part of a Fastify reply the guard answers with. A `FastifyReply` is one.
 *
 * @example
 * const refuse = (reply: FastifyReplyLike): unknown => reply.code(401).send({ code: 'UNAUTHENTICATED' })
 */
export interface FastifyReplyLike {
  /** Sets the status code. */
  code (statusCode: number): FastifyReplyLike
  /** Sets a header. */
  header (name: string, value: string): FastifyReplyLike
  /** Redirects (302). */
  redirect (url: string, code: number): FastifyReplyLike
  /** Sends the body. */
  send (payload: unknown): FastifyReplyLike
}

/**
 * A Fastify preHandler hook: pass it as a route's `preHandler`.
 *
 * @example
 * const guard: MfaPreHandler = requireMfaFastify({ redirectTo: '/mfa' })
 */
export type MfaPreHandler = (request: FastifyRequestLike, reply: FastifyReplyLike) => Promise<FastifyReplyLike | undefined>

/** Where the Fastify guard leaves the verified state for the route handler. */
export const MFA_REQUEST_PROPERTY = 'mfa'

/**
 * Fastify preHandler that requires a completed MFA step; answers like `requireMfa`.
 * On success `request.mfa` holds the {@link MfaState} (read it with `mfaStateOf(request)`).
 *
 * @throws TypeError for a bad option.
 * @example
 * app.get('/account', { preHandler: requireMfaFastify({ redirectTo: '/mfa' }) }, async (request) => 'hi')
 */
export function requireMfaFastify (options: RequireMfaOptions = {}): MfaPreHandler {
  const config = guardConfig(options)
  return async function requireMfaPreHandler (request, reply, ...rest: unknown[]) {
    if (typeof (reply as Partial<FastifyReplyLike> | undefined)?.code !== 'function') {
      // Given to Express by mistake (its `res` has no code()): fail loudly rather than hang or answer a wrong redirect.
      const err = new InvalidOptionError('requireMfaFastify() is a Fastify preHandler; with Express use requireMfa()')
      if (typeof rest[0] === 'function') { (rest[0] as (e: Error) => void)(err); return undefined }
      throw err
    }
    const req = request as FastifyRequestLike & SessionRequest
    const verdict = await mfaVerdict(req, config)
    if (verdict.ok) {
      (request as unknown as Record<string, unknown>)[MFA_REQUEST_PROPERTY] = verdict.state
      return undefined
    }
    const target = verdict.code === 'UNAUTHENTICATED' ? config.loginRedirectTo : verdict.code === 'MFA_REQUIRED' ? config.redirectTo : undefined
    if (target !== undefined && wantsHtml(request.headers.accept)) {
      const returnTo = returnToOf(request.method, request.originalUrl ?? request.url)
      if (returnTo !== undefined && req.session !== undefined) sessionSet(req, config.returnToKey, returnTo)
      return reply.header('cache-control', 'no-store').redirect(target, 302)
    }
    return reply.code(refusalStatus(verdict)).header('cache-control', 'no-store').send(refusalBody(verdict))
  }
}

/** The MFA state the guard verified for this request, if it ran and passed. */
export function mfaStateOf (request: object): MfaState | undefined {
  return (request as Record<string, MfaState | undefined>)[MFA_REQUEST_PROPERTY]
}
