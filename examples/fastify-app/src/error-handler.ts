// The app's error handler: an outage (Okta's, or the attempt store's with REDIS_URL) answers 503 with a page that
// names it in the words of the moment; Okta's rate limit (429) answers 429 with when to try again; an Okta refusal no
// page handles answers 502; anything else gets a generic page. Nothing about the cause reaches the page.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { isStoreUnavailableError } from '@okta-mfa/core'
import { isSignedIn } from './context.js'
import { busyText, isUnexpectedOktaRefusal, isUpstreamFailure, messageFor, OKTA_BUSY, OKTA_UNUSABLE, oktaRateLimitSeconds, STORE_DOWN, UNAVAILABLE } from './messages.js'
import { errorPage } from './views/errors.js'

const TOO_LARGE = 'That form was too large to send: one of its fields is far longer than it can be. Go back, shorten it and try again.'

/** The status, x-error-code, title and sentence of the page for `err`. */
function pageFor (err: FastifyError, afterCode: boolean): { status: number, code?: string, title?: string, message: string } {
  // Okta's rate limit: not an outage; Retry-After and the page say when (the header is set by the caller).
  const wait = oktaRateLimitSeconds(err)
  if (wait !== undefined) return { status: 429, code: 'RATE_LIMITED', title: OKTA_BUSY.title, message: busyText(afterCode ? 'code' : 'factors', wait) }
  if (isUpstreamFailure(err)) {
    // A store outage (every guarded page checks the revocation store) is told apart from Okta's, for monitors.
    if (isStoreUnavailableError(err)) return { status: 503, code: 'STORE_UNAVAILABLE', title: STORE_DOWN.title, message: afterCode ? STORE_DOWN.code : STORE_DOWN.page }
    return { status: 503, code: 'UPSTREAM_UNAVAILABLE', title: 'Okta is unavailable', message: afterCode ? UNAVAILABLE.code : UNAVAILABLE.factors }
  }
  if (isUnexpectedOktaRefusal(err)) return { status: 502, code: 'UPSTREAM_REFUSED', title: OKTA_UNUSABLE.title, message: OKTA_UNUSABLE.text }
  const status = (err as { statusCode?: number }).statusCode ?? 500
  // A body the parser refused: over the route's limit (16 KiB for the sign-in form, 64 KiB elsewhere), or unreadable.
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { status: 413, code: 'PAYLOAD_TOO_LARGE', title: 'Too much to send', message: TOO_LARGE }
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'That form was sent in a type this page does not take. Go back and try again.' }
  if (typeof err.code === 'string' && err.code.startsWith('FST_ERR_CTP_') && status < 500) return { status, code: 'BAD_REQUEST', message: 'That form could not be read. Go back and try again.' }
  return { status, message: status < 500 ? 'That request could not be handled. Go back and try again.' : messageFor('INTERNAL') }
}

/** The longest stated body whose rest is read and dropped after a refusal, rather than the connection cut. */
const DRAINED_BODY_BYTES = 8 * 1024 * 1024

/** Fastify's `setErrorHandler` of the app. */
export async function handleError (err: FastifyError, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  // In the words of the moment: after a code was entered, or not.
  const afterCode = typeof (request.body as Record<string, unknown> | undefined)?.passCode === 'string'
  const { status, code, title, message } = pageFor(err, afterCode)
  // A body refused unread (413): Fastify closes the connection with the rest of it unread, which resets it while the
  // browser is still sending, and the page is lost. The rest of a body of a stated length up to 8 MiB is drained.
  if (!request.raw.complete && Number(request.headers['content-length']) <= DRAINED_BODY_BYTES) reply.removeHeader('connection')
  if (code !== undefined) reply.header('x-error-code', code)
  if (status === 429) reply.header('retry-after', String(oktaRateLimitSeconds(err)))
  // Only the error's code (and, for a failure of ours, its message): never Okta's text, nor anything of the request.
  // A store's `reason` (NOPERM, READONLY, OOM, timed out: the first word of Redis's reply) says what to fix.
  if (status >= 500) request.log.error({ err: { code: (err as { code?: unknown }).code, status: (err as { status?: unknown }).status, reason: storeReason(err), message: code === undefined ? (err as Error).message : undefined } }, 'request failed')
  else if (status === 429) request.log.warn({ err: { code: (err as { code?: unknown }).code } }, 'Okta rate limit')
  await reply.code(status).type('text/html; charset=utf-8').send(errorPage(message, { signedIn: isSignedIn(request), ...(title === undefined ? {} : { title }) }))
}

/** Why a store refused (`StoreUnavailableError.reason`: words safe to log), for the log line of a refused request. */
export function storeReason (err: unknown): string | undefined {
  return isStoreUnavailableError(err) ? err.reason : undefined
}
