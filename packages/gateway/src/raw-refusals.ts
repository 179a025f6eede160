// What the standalone server answers before a request reaches a route: on a raw socket, where a request never became
// one Fastify routes (CONNECT, the requests Node's parser refuses or its timeouts cut); a URL the router cannot read;
// an HTTP/1.1 request without Host; any request once the server is closing. Each answer is the gateway's coded JSON,
// as from the routes.
import { randomUUID } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { GATEWAY_ERRORS, refusalBody, type GatewayErrorCode } from './errors.js'
import { REQUEST_ID_HEADER } from './logging.js'

/** The socket side of the raw answers. */
interface RawSocket {
  readonly destroyed: boolean
  readonly writable: boolean
  write: (data: string) => unknown
  end: (data: string) => unknown
  destroy: () => unknown
}

/**
 * A whole HTTP/1.1 answer carrying `code` and `requestId` (in the body and `X-Request-Id`, as every error of the gateway),
 * closing the connection.
 */
function rawAnswer (code: GatewayErrorCode, requestId: string, headers = ''): string {
  const { status } = GATEWAY_ERRORS[code]
  const body = JSON.stringify(refusalBody(code, requestId))
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${headers}x-request-id: ${requestId}\r\ncontent-type: application/json; charset=utf-8\r\n` +
    `content-length: ${Buffer.byteLength(body)}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n${body}`
}

/** A socket's error events. */
interface ErrorEmitter {
  on: (event: 'error', listener: (err: Error) => void) => unknown
}

/**
 * CONNECT never becomes a request Fastify routes: Node hands it to a 'connect' listener or, without one, drops the
 * socket with no answer. It gets the same coded 405 as every method but POST, with a request id made for it.
 */
export function refuseConnect (app: FastifyInstance): void {
  app.server.on('connect', (_req: unknown, socket: RawSocket & ErrorEmitter) => {
    // Node leaves a CONNECT's socket without its own error listener: a client that resets it would crash the process.
    socket.on('error', () => {})
    socket.end(rawAnswer('METHOD_NOT_ALLOWED', randomUUID(), 'allow: POST\r\n'))
  })
}

/**
 * An `Expect` other than `100-continue`: Node answers it a bare 417 (no code, no request id, the body left on the
 * socket) unless told. The expectation is ignored instead, as RFC 9110 §10.1.1 allows, and the request served as any.
 */
export function ignoreUnknownExpectations (app: FastifyInstance): void {
  app.server.on('checkExpectation', (req, res) => { app.server.emit('request', req, res) })
}

/**
 * Fastify's `clientErrorHandler` of the standalone server: a request that took longer than its time to arrive is
 * REQUEST_TIMEOUT (408), a header block over Node's limit HEADERS_TOO_LARGE (431), anything else Node's parser
 * refuses BAD_REQUEST (400), each in the gateway's coded JSON rather than Fastify's uncoded one. Logged at `debug`
 * with Node's error code only: the bytes Node kept of the request (`rawPacket`) may hold a session cookie or a password.
 */
export function answerClientError (this: FastifyInstance, err: Error & { code?: string }, socket: RawSocket): void {
  // A reset connection has nothing left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const code: GatewayErrorCode = err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
    ? 'REQUEST_TIMEOUT'
    : err.code === 'HPE_HEADER_OVERFLOW' ? 'HEADERS_TOO_LARGE' : 'BAD_REQUEST'
  const requestId = randomUUID()
  this.log.debug({ reqId: requestId, clientError: typeof err.code === 'string' ? err.code.slice(0, 64) : undefined }, 'client error')
  if (socket.writable) socket.write(rawAnswer(code, requestId))
  socket.destroy()
}

/** How long requests in flight may go on once the server is closing (SIGTERM), in ms; what is still open then is cut. */
const CLOSE_GRACE_MS = 10_000

/** Sends `code` as the routes do: its status, the coded body, the request id and no-store. */
function refuse (reply: FastifyReply, code: GatewayErrorCode, requestId: string): FastifyReply {
  return reply.code(GATEWAY_ERRORS[code].status).header(REQUEST_ID_HEADER, requestId).header('cache-control', 'no-store').send(refusalBody(code, requestId))
}

/** Fastify's `frameworkErrors` of the standalone server: a URL its router cannot read is BAD_REQUEST (never quoted). */
export function answerFrameworkError (_error: Error, request: FastifyRequest, reply: FastifyReply): void {
  void refuse(reply, 'BAD_REQUEST', request.id)
}

/**
 * Once the server is closing (SIGTERM), a request that still arrives is SHUTTING_DOWN (503), and every answer still
 * going out says `Connection: close`, so its keep-alive socket ends with it. Fastify closes the connections idle at
 * that moment; one busy then would otherwise stay open, idle, for the keep-alive timeout (72 s), holding the process
 * past a typical shutdown grace period. The same first hook refuses an HTTP/1.1 request without Host, as Node would
 * have (RFC 9112 §3.2), with the coded 400.
 */
export function closeConnectionsWhenClosing (app: FastifyInstance): void {
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
    // Node stops enforcing its request timeout once the server closes: a request whose body stalls, or a socket
    // answered before its body had all arrived, would hold close() for good (or 72 s). Cut whatever is left.
    setTimeout(() => { app.server.closeAllConnections() }, CLOSE_GRACE_MS).unref()
  })
  // Callback-style: on every request (the verify path too), an async hook would cost a promise for nothing.
  app.addHook('onRequest', (request, reply, done) => {
    if (closing) {
      void refuse(reply, 'SHUTTING_DOWN', request.id)
      return
    }
    if (request.raw.headers.host === undefined && request.raw.httpVersion === '1.1') {
      void refuse(reply, 'BAD_REQUEST', request.id)
      return
    }
    done()
  })
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close')
    done(null, payload)
  })
}
