// What the demo answers on a raw socket, where a request never became one Fastify routes: a request Node's parser
// refuses or its timeout cuts. A sentence, as the demo's other refusals before routing, with its code in X-Error-Code
// as every refusal of the demo (Fastify's own answer was uncoded JSON).
import { STATUS_CODES } from 'node:http'

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

/**
 * Fastify's `clientErrorHandler` of the demo: 408 for a request that took longer than its time to arrive, 431 for a
 * header block over Node's limit, 400 for anything else Node's parser refuses; then the connection is closed. Nothing
 * of the request is logged: the bytes Node kept of it may hold a session cookie or a password.
 */
export function answerClientError (err: Error & { code?: string }, socket: RawSocket): void {
  // A reset connection has nothing left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const code = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'REQUEST_TIMEOUT' : err.code === 'HPE_HEADER_OVERFLOW' ? 'HEADERS_TOO_LARGE' : 'BAD_REQUEST'
  const [status, text] = RAW_REFUSALS[code]
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\ncontent-type: text/plain; charset=utf-8\r\nx-error-code: ${code}\r\n` +
      `content-length: ${Buffer.byteLength(text)}\r\ncache-control: no-store\r\nx-content-type-options: nosniff\r\nconnection: close\r\n\r\n${text}`)
  }
  socket.destroy()
}
