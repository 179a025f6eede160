// requireMfaFastify: the same guard as a Fastify preHandler for @fastify/passport + @fastify/secure-session,
// where `returnTo` lives in the secure session (which @fastify/passport's successReturnToOrRedirect reads).
import type { FastifyReply, FastifyRequest } from 'fastify'
import { guardConfig, mfaVerdict, refusalBody, refusalStatus, returnToOf, wantsHtml, type RequireMfaOptions } from './guard.js'
import { sessionSet, type MfaState, type SessionRequest } from '@okta-mfa/core'

/** A Fastify preHandler hook. */
export type MfaPreHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>

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
  return async function requireMfaPreHandler (request, reply) {
    const req = request as FastifyRequest & SessionRequest
    const verdict = await mfaVerdict(req, config)
    if (verdict.ok) {
      (request as unknown as Record<string, unknown>)[MFA_REQUEST_PROPERTY] = verdict.state
      return undefined
    }
    const target = verdict.code === 'UNAUTHENTICATED' ? config.loginRedirectTo : verdict.code === 'MFA_REQUIRED' ? config.redirectTo : undefined
    if (target !== undefined && wantsHtml(request.headers.accept)) {
      const returnTo = returnToOf(request.method, request.url)
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
