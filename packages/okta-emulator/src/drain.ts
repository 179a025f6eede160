// A body refused before it was all read (413 for a Content-Length over the limit, a body that cannot be parsed) is
// answered by Fastify with `Connection: close` while the client is still sending it. Closing the socket with bytes
// unread makes the kernel reset the connection, and a client that is still writing (fetch, undici, most SDKs) then
// reports a broken pipe (EPIPE, ECONNRESET) instead of the 413 it was sent. Without that header Node reads the rest of
// the body and drops it, and the connection serves the next request: so for a body of a stated, bounded length.
import type { FastifyInstance } from 'fastify'

/**
 * The longest stated body whose rest is read and dropped after a refusal; a longer one (or a chunked one, whose length
 * nobody knows) is still cut, as reading it would cost more than the answer is worth.
 */
export const DRAINED_BODY_BYTES = 8 * 1024 * 1024

/**
 * Registers the drain on `app`. Register it before any hook that closes connections on purpose (a server closing):
 * it only takes back Fastify's own `Connection: close`, which onSend hooks run after it may add again.
 */
export function drainRefusedBodies (app: FastifyInstance): void {
  app.addHook('onSend', (request, reply, payload, done) => {
    const stated = Number(request.headers['content-length'])
    if (!request.raw.complete && stated <= DRAINED_BODY_BYTES && String(reply.getHeader('connection')).toLowerCase() === 'close') {
      reply.removeHeader('connection')
    }
    done(null, payload)
  })
}
