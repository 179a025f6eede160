// A body refused before it was all read (413 for a Content-Length over `bodyLimit`, a body that cannot be parsed) is
// answered by Fastify with `Connection: close` while the client is still sending it. Closing the socket with bytes
// unread makes the kernel reset the connection, and a client that is still writing (fetch, undici) then reports a
// broken pipe (EPIPE, ECONNRESET) instead of the coded 413 it was sent. Without that header Node reads the rest of
// the body and drops it, and the connection serves the next request: so for a body of a stated, bounded length.
import type { FastifyReply, FastifyRequest } from 'fastify'

/**
 * The longest stated body whose rest is read and dropped after a refusal; a longer one (or a chunked one, whose
 * length nobody knows) is still cut, as reading it would cost more than the answer is worth.
 */
export const DRAINED_BODY_BYTES = 8 * 1024 * 1024

/**
 * Called by an error handler before it answers a refused body: takes back Fastify's `Connection: close` when the rest
 * of the body is of a stated length of at most {@link DRAINED_BODY_BYTES}, so Node drains it. A hook that closes the
 * connection on purpose (a server closing) runs later, in onSend, and is not undone.
 */
export function drainRefusedBody (request: FastifyRequest, reply: FastifyReply): void {
  if (request.raw.complete || String(reply.getHeader('connection')).toLowerCase() !== 'close') return
  if (Number(request.headers['content-length']) <= DRAINED_BODY_BYTES) reply.removeHeader('connection')
}
