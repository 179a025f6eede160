// A tiny cookie-jar HTTP client over undici for tests that drive a real server like a browser would.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { connect } from 'node:net'
import { request, type Dispatcher } from 'undici'

/** One response, body already read. */
export interface JarResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
  json: () => any
  location: string | undefined
}

/**
 * Keeps cookies between requests to one origin; never follows redirects on its own. A `dispatcher` (an undici Agent)
 * chooses how it connects, e.g. from another loopback address.
 */
export class CookieJar {
  readonly cookies = new Map<string, string>()
  constructor (readonly baseUrl: string, readonly dispatcher?: Dispatcher) {}

  private store (setCookie: string | string[] | undefined): void {
    if (setCookie === undefined) return
    for (const line of Array.isArray(setCookie) ? setCookie : [setCookie]) {
      const [pair] = line.split(';')
      const eq = pair!.indexOf('=')
      const name = pair!.slice(0, eq).trim()
      const value = pair!.slice(eq + 1).trim()
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
  }

  /** The Cookie header this jar would send. */
  header (): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  }

  /** Sends a request; `form` is sent urlencoded, `json` as JSON. */
  async fetch (path: string, opts: { method?: string, form?: Record<string, string>, json?: unknown, headers?: Record<string, string>, body?: string } = {}): Promise<JarResponse> {
    const headers: Record<string, string> = { ...opts.headers }
    const cookie = this.header()
    if (cookie !== '') headers.cookie = cookie
    let body: string | undefined = opts.body
    if (opts.form !== undefined) {
      body = new URLSearchParams(opts.form).toString()
      headers['content-type'] = 'application/x-www-form-urlencoded'
    } else if (opts.json !== undefined) {
      body = JSON.stringify(opts.json)
      headers['content-type'] = 'application/json'
    }
    const method = opts.method ?? (body === undefined ? 'GET' : 'POST')
    const res = await request(new URL(path, this.baseUrl), { method: method as 'GET', headers, body, ...(this.dispatcher === undefined ? {} : { dispatcher: this.dispatcher }) })
    const text = await res.body.text()
    this.store(res.headers['set-cookie'])
    const location = res.headers.location
    return {
      status: res.statusCode,
      headers: res.headers,
      text,
      json: () => JSON.parse(text),
      location: Array.isArray(location) ? location[0] : location,
    }
  }
}

/**
 * Writes `bytes` as they are on a new loopback connection to `target` (a port, or a URL whose port is used) and
 * resolves with all the server sent (UTF-8) once it closes the connection. Write errors are ignored: a server may close
 * before the whole request is written (a 431).
 */
export async function rawExchange (target: number | string, bytes: string): Promise<string> {
  const port = typeof target === 'number' ? target : Number(new URL(target).port)
  return await new Promise((resolve) => {
    const chunks: Buffer[] = []
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes))
    socket.on('data', (chunk: Buffer) => chunks.push(chunk)).on('error', () => {})
    socket.on('close', () => { resolve(Buffer.concat(chunks).toString('utf8')) })
  })
}

/**
 * Sends the head of a POST to `path` (with `headers`, e.g. a Content-Length far over any limit, or chunked encoding)
 * and `body`, the start of its body, then waits up to `waitMs`: the answer's head, and whether the server closed the
 * connection (it should, rather than read a body that long to its end).
 */
export async function oversizedPost (target: number | string, path: string, headers: string, body: string | Buffer, waitMs = 3000): Promise<{ head: string, closed: boolean }> {
  const port = typeof target === 'number' ? target : Number(new URL(target).port)
  return await new Promise((resolve) => {
    let text = ''
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}\r\n`)
      socket.write(body, () => {})
    })
    const timer = setTimeout(() => { socket.destroy(); resolve({ head: text.split('\r\n\r\n')[0] ?? '', closed: false }) }, waitMs)
    socket.on('data', (chunk: Buffer) => { text += chunk.toString('latin1') }).on('error', () => {})
    socket.on('close', () => { clearTimeout(timer); resolve({ head: text.split('\r\n\r\n')[0] ?? '', closed: true }) })
  })
}

/** What a Node HTTP app (Express) offers to be served: `listen` like `http.Server`'s. */
interface Listenable {
  listen: (port: number, host: string) => import('node:http').Server
}

/**
 * Serves `app` on a free loopback port until the test ends (open connections closed, then `onClose`), and returns its
 * base URL.
 */
export async function listenLoopback (t: { teardown: (fn: () => Promise<void>) => void }, app: Listenable, onClose?: () => Promise<void>): Promise<string> {
  const server = app.listen(0, '127.0.0.1')
  await new Promise<void>((resolve) => server.once('listening', resolve))
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
    await onClose?.()
  })
  return `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}`
}

/**
 * What the fault proxy does with a request: answer 503, hang (no answer), refuse with an Okta error, refuse with a
 * page of its own (`page`, as a firewall in front of Okta), `lose` (pass it to Okta, then answer a 502 page instead of
 * Okta's answer: the change is made, the answer lost), or pass (undefined).
 */
export type Fault = 'hang' | 'lose' | 503 | { status: number, errorCode: string } | { status: number, page: string, type?: string } | Hold | Delay | undefined

/** Forward the request, then hold Okta's answer: `judged()` is called once it came, and it is sent on when `until` settles. */
export interface Hold { judged: () => void, until: Promise<unknown> }
/** Hold the request itself: it is forwarded to Okta only once `forwardAfter` settles. */
export interface Delay { forwardAfter: Promise<unknown> }

/** A loopback proxy to `target` that answers some requests itself: `hook` says what to do with each (see Fault). */
export async function faultProxy (t: { teardown: (fn: () => Promise<void>) => void }, target: string): Promise<{ url: string, hook: (req: IncomingMessage) => Fault }> {
  const state = { url: '', hook: (_req: IncomingMessage): Fault => undefined }
  state.url = await listenLoopback(t, createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', async () => {
      let fault = state.hook(req)
      if (typeof fault === 'object' && 'forwardAfter' in fault) {
        await fault.forwardAfter
        fault = undefined
      }
      if (fault === 'hang') return
      const hold = typeof fault === 'object' && 'until' in fault ? fault : undefined
      if (typeof fault === 'object' && 'page' in fault) {
        res.writeHead(fault.status, { 'content-type': fault.type ?? 'text/html' }).end(fault.page)
        return
      }
      if (fault !== undefined && fault !== 'lose' && (typeof fault !== 'object' || !('until' in fault))) {
        const { status, errorCode } = fault === 503 ? { status: 503, errorCode: 'E0000009' } : fault
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ errorCode, errorSummary: 'Refused', errorLink: errorCode, errorId: 'oaeFAKE', errorCauses: [] }))
        return
      }
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'content-length', 'connection'].includes(k))) as Record<string, string>
      const body = ['GET', 'HEAD'].includes(req.method ?? 'GET') ? undefined : Buffer.concat(chunks)
      fetch(target + (req.url ?? '/'), { method: req.method, headers, body }).then(async (up) => {
        const answer = Buffer.from(await up.arrayBuffer())
        if (hold !== undefined) { hold.judged(); await hold.until }
        if (fault === 'lose') { res.writeHead(502, { 'content-type': 'text/html' }).end('<html>Bad Gateway</html>'); return }
        const out: Record<string, string> = {}
        up.headers.forEach((v, k) => { if (!['content-encoding', 'transfer-encoding', 'content-length', 'connection'].includes(k)) out[k] = v })
        res.writeHead(up.status, out)
        res.end(answer)
      }, () => req.socket.destroy())
    })
  }))
  return state
}
