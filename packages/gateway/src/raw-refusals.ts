// What the standalone server answers on a raw socket, where a request never became one Fastify routes: CONNECT, and
// the requests Node's parser refuses or its timeouts cut. Each answer is the gateway's coded JSON, as from the routes.
import { randomUUID } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import type { FastifyInstance } from 'fastify'
import { GATEWAY_ERRORS, refusalBody, type GatewayErrorCode } from './errors.js'

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

/**
 * CONNECT never becomes a request Fastify routes: Node hands it to a 'connect' listener or, without one, drops the
 * socket with no answer. It gets the same coded 405 as every method but POST, with a request id made for it.
 */
export function refuseConnect (app: FastifyInstance): void {
  app.server.on('connect', (_req: unknown, socket: RawSocket) => { socket.end(rawAnswer('METHOD_NOT_ALLOWED', randomUUID(), 'allow: POST\r\n')) })
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
