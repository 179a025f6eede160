// What the demo answers on a raw socket, where a request never became one Fastify routes: a request Node's parser
// refuses or its timeout cuts. A sentence, as the demo's other refusals before routing, with its code in X-Error-Code
// as every refusal of the demo (Fastify's own answer was uncoded JSON).
import { STATUS_CODES } from 'node:http'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { securityHeaders } from './assets.js'

/** The socket side of a raw answer. */
interface RawSocket {
  readonly destroyed: boolean
  readonly writable: boolean
  write: (data: string) => unknown
  destroy: () => unknown
}

/** Each raw refusal: its status and its sentence. */
const RAW_REFUSALS = {
  REQUEST_TIMEOUT: [408, 'That request took too long to arrive.'],
  HEADERS_TOO_LARGE: [431, 'That request\'s headers are too large.'],
  BAD_REQUEST: [400, 'That request could not be read.'],
} as const satisfies Record<string, readonly [number, string]>

/** Fastify's own words for each refusal in its trace line (`client timeout`, ...), kept for whoever reads them. */
const TRACE_LABELS = { REQUEST_TIMEOUT: 'timeout', HEADERS_TOO_LARGE: 'header_overflow', BAD_REQUEST: 'error' } as const

/**
 * Fastify's `clientErrorHandler` of the demo: 408 for a request that took longer than its time to arrive, 431 for a
 * header block over Node's limit, 400 for anything else Node's parser refuses; then the connection is closed. Logged
 * at trace as Fastify's own handler does, by Node's error code only: the bytes Node kept of the request may hold a
 * session cookie or a password.
 */
export function answerClientError (this: FastifyInstance, err: Error & { code?: string }, socket: RawSocket): void {
  // A reset connection has nothing left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const code = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'REQUEST_TIMEOUT' : err.code === 'HPE_HEADER_OVERFLOW' ? 'HEADERS_TOO_LARGE' : 'BAD_REQUEST'
  this.log.trace({ clientError: typeof err.code === 'string' ? err.code.slice(0, 64) : undefined }, `client ${TRACE_LABELS[code]}`)
  writeRefusal(socket, code)
}

/** Writes the refusal `code` on a raw socket and closes it. */
function writeRefusal (socket: RawSocket, code: keyof typeof RAW_REFUSALS): void {
  const [status, text] = RAW_REFUSALS[code]
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\ncontent-type: text/plain; charset=utf-8\r\nx-error-code: ${code}\r\n` +
      `content-length: ${Buffer.byteLength(text)}\r\ncache-control: no-store\r\nx-content-type-options: nosniff\r\nconnection: close\r\n\r\n${text}`)
  }
  socket.destroy()
}

/**
 * Fastify's `frameworkErrors` of the demo: a malformed URL (400 `BAD_REQUEST`) or an over-long path parameter (414
 * `URI_TOO_LONG`), refused before routing where no hook runs: a coded sentence with the headers every answer carries,
 * rather than Fastify's JSON repeating the URL.
 */
export function answerFrameworkError (error: { code?: string }, _request: unknown, reply: FastifyReply): void {
  const long = error.code === 'FST_ERR_MAX_PARAM_LENGTH'
  securityHeaders(reply.code(long ? 414 : 400).type('text/plain; charset=utf-8').header('x-error-code', long ? 'URI_TOO_LONG' : 'BAD_REQUEST'))
  void reply.send(long ? 'That address is too long.' : 'That address is not valid.')
}

/**
 * A CONNECT never becomes a request Fastify routes: Node hands it to a 'connect' listener and, without one, closes the
 * connection unanswered. The demo answers it as Node's parser's refusals: 400 `BAD_REQUEST`.
 */
export function refuseConnect (app: FastifyInstance): void {
  app.server.on('connect', (_req: unknown, socket: RawSocket & { on: (event: 'error', listener: () => void) => unknown }) => {
    // Node leaves such a socket without its own error listener: a client that resets it would crash the process.
    socket.on('error', () => {})
    writeRefusal(socket, 'BAD_REQUEST')
  })
}

/**
 * An `Expect` other than `100-continue`: Node answers it a bare 417 (no code, the body left on the socket) unless
 * told. The expectation is ignored instead, as RFC 9110 §10.1.1 allows, and the request served as any other.
 */
export function ignoreUnknownExpectations (app: FastifyInstance): void {
  app.server.on('checkExpectation', (req, res) => { app.server.emit('request', req, res) })
}

/**
 * The demo's first `onRequest` hook: once it is closing (SIGTERM), a request that still arrives is 503 with its code
 * (`SHUTTING_DOWN`) rather than Fastify's uncoded JSON (`return503OnClosing` is off for it); an HTTP/1.1 request
 * without Host is the coded 400 Node would have answered empty (`requireHostHeader` is off for it).
 */
export function refuseBeforeRouting (app: FastifyInstance, closing: () => boolean): void {
  app.addHook('onRequest', (request, reply, done) => {
    const refusal = closing()
      ? [503, 'SHUTTING_DOWN', 'The server is restarting. Try again in a minute.'] as const
      : request.raw.headers.host === undefined && request.raw.httpVersion === '1.1' ? [400, 'BAD_REQUEST', RAW_REFUSALS.BAD_REQUEST[1]] as const : undefined
    if (refusal === undefined) { done(); return }
    // Closed after the answer, as every other refusal of a request that could not be read or served.
    securityHeaders(reply.code(refusal[0]).type('text/plain; charset=utf-8').header('x-error-code', refusal[1]).header('connection', 'close'))
    void reply.send(refusal[2])
  })
}
