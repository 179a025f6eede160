// Closing with requests in flight. Fastify's close() ends idle sockets at once but waits for a socket whose request is
// in flight, and that request is answered `Connection: keep-alive`: a pooled client (undici, a browser, an SDK) keeps
// the socket, and the process waits out the 72 s keep-alive timeout (past a supervisor's grace period). And once the
// server closes, Node no longer enforces its request timeout: a request whose body stalls would hold close() for good.
import type { FastifyInstance } from 'fastify'

/** How long requests in flight may go on once the server is closing, ms; whatever is still open then is cut. */
export const CLOSE_GRACE_MS = 10_000

/**
 * Once the server is closing, every answer says `Connection: close`, so a socket busy at the signal ends with it; a
 * connection still open {@link CLOSE_GRACE_MS} later (a stalled body, a socket answered early) is cut.
 */
export function closeConnectionsWhenClosing (app: FastifyInstance): void {
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
    setTimeout(() => { app.server.closeAllConnections() }, CLOSE_GRACE_MS).unref()
  })
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close')
    done(null, payload)
  })
}
