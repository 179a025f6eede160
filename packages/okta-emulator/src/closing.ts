// Closing with requests in flight. Fastify's close() ends idle sockets at once but waits for a socket whose request is
// in flight, and that request is answered `Connection: keep-alive`: a pooled client (undici, a browser, an SDK) keeps
// the socket, and the process waits out the 72 s keep-alive timeout (past a supervisor's grace period).
import type { FastifyInstance } from 'fastify'

/** Once the server is closing, every answer says `Connection: close`, so a socket busy at the signal ends with it. */
export function closeConnectionsWhenClosing (app: FastifyInstance): void {
  let closing = false
  app.addHook('preClose', async () => { closing = true })
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close')
    done(null, payload)
  })
}
