// The app's error handler: an outage (Okta's, or the attempt store's with REDIS_URL) answers 503 with a page that
// names it in the words of the moment; anything else gets a generic page. Nothing about the cause reaches the page.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { isStoreUnavailableError } from '@okta-mfa/core'
import { isSignedIn } from './context.js'
import { isUpstreamFailure, messageFor, STORE_DOWN, UNAVAILABLE } from './messages.js'
import { errorPage } from './views/errors.js'

/** Fastify's `setErrorHandler` of the app. */
export async function handleError (err: FastifyError, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const upstream = isUpstreamFailure(err)
  const status = upstream ? 503 : (err as { statusCode?: number }).statusCode ?? 500
  // A store outage (every guarded page checks the revocation store) is told apart from Okta's, for monitors.
  const store = upstream && isStoreUnavailableError(err)
  if (upstream) reply.header('x-error-code', store ? 'STORE_UNAVAILABLE' : 'UPSTREAM_UNAVAILABLE')
  if (status >= 500) request.log.error({ err: { code: (err as { code?: unknown }).code, message: upstream ? undefined : (err as Error).message } }, 'request failed')
  // Which outage (the attempt store's or Okta's), in the words of the moment: after a code was entered, or not.
  const afterCode = typeof (request.body as Record<string, unknown> | undefined)?.passCode === 'string'
  const message = store
    ? (afterCode ? STORE_DOWN.code : STORE_DOWN.page)
    : upstream ? (afterCode ? UNAVAILABLE.code : UNAVAILABLE.factors) : status < 500 ? 'That request could not be handled. Go back and try again.' : messageFor('INTERNAL')
  const title = store ? STORE_DOWN.title : upstream ? 'Okta is unavailable' : undefined
  await reply.code(status).type('text/html; charset=utf-8').send(errorPage(message, { signedIn: isSignedIn(request), ...(title === undefined ? {} : { title }) }))
}
