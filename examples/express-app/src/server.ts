// The example's HTTP server: Node's limits on a client that sends its request slowly, and a coded answer to what
// Node's parser refuses. Node's own defaults held a stalled request 60 to 300 s, and answered its refusals with
// an empty body.
import { createServer, STATUS_CODES, type RequestListener, type Server } from 'node:http'

/** How long a request may take to arrive, headers and body (the demo's and the gateway's limit too). */
export const RECEIVE_TIMEOUT_MS = 30_000

/** The socket side of a raw answer. */
interface RawSocket {
  readonly destroyed: boolean
  readonly writable: boolean
  write: (data: string) => unknown
  destroy: () => unknown
}

/** What a request Node refused before Express saw it is told: its status, its code and a sentence. */
const RAW_REFUSALS = {
  REQUEST_TIMEOUT: [408, 'That request took too long to arrive.'],
  HEADERS_TOO_LARGE: [431, 'That request\'s headers are too large.'],
  BAD_REQUEST: [400, 'That request could not be read.'],
} as const satisfies Record<string, readonly [number, string]>

/** Node's `clientError`: a coded answer (a sentence, its code in `X-Error-Code`), then the connection is closed. */
function answerClientError (err: Error & { code?: string }, socket: RawSocket): void {
  // A reset connection has nothing left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const code = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'REQUEST_TIMEOUT' : err.code === 'HPE_HEADER_OVERFLOW' ? 'HEADERS_TOO_LARGE' : 'BAD_REQUEST'
  writeRefusal(socket, code)
}

/** Writes the refusal `code` on a raw socket and closes it. */
function writeRefusal (socket: RawSocket, code: keyof typeof RAW_REFUSALS): void {
  const [status, text] = RAW_REFUSALS[code]
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\ncontent-type: text/plain; charset=utf-8\r\nx-error-code: ${code}\r\n` +
      `content-length: ${Buffer.byteLength(text)}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n${text}`)
  }
  socket.destroy()
}

/**
 * The HTTP server for `app`: a request must arrive within {@link RECEIVE_TIMEOUT_MS} (checked every 2 s), and a
 * request Node refuses (timed out, headers over its limit, not HTTP, HTTP/1.1 without Host), a CONNECT and a target
 * that is no path (`*`) are answered 408, 431 or 400 with its code.
 *
 * @example
 * createExampleServer(buildApp(options).app).listen(3001, '127.0.0.1')
 */
export function createExampleServer (app: RequestListener): Server {
  // Node's own check answers a request without Host with an empty 400 before any listener: refused here, coded.
  const server = createServer({ requestTimeout: RECEIVE_TIMEOUT_MS, headersTimeout: RECEIVE_TIMEOUT_MS, connectionsCheckingInterval: 2_000, requireHostHeader: false }, (req, res) => {
    // A target that is not a path (`OPTIONS *`): express-session reads no session for it, and passport's session
    // middleware would throw (a 500). An absolute-form target (`http://host/path`) is a path to Express.
    const target = req.url ?? ''
    if ((req.headers.host === undefined && req.httpVersion === '1.1') || !(target.startsWith('/') || /^https?:\/\//i.test(target))) {
      const text = RAW_REFUSALS.BAD_REQUEST[1]
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', 'x-error-code': 'BAD_REQUEST', 'cache-control': 'no-store', connection: 'close' }).end(text)
      return
    }
    app(req, res)
  })
  server.on('clientError', answerClientError)
  // CONNECT never reaches Express: Node hands it to this listener and, without one, closes the connection unanswered.
  server.on('connect', (_req: unknown, socket: RawSocket & { on: (event: 'error', listener: () => void) => unknown }) => {
    // Node leaves such a socket without its own error listener: a client that resets it would crash the process.
    socket.on('error', () => {})
    writeRefusal(socket, 'BAD_REQUEST')
  })
  // An `Expect` other than `100-continue`: Node's own answer is a bare 417, uncoded, the body left on the socket. The
  // expectation is ignored instead, as RFC 9110 §10.1.1 allows, and the request served as any other.
  server.on('checkExpectation', (req, res) => { server.emit('request', req, res) })
  return server
}
