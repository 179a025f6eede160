// One HTTP exchange through undici's documented dispatch-handler API: the status, the headers and the whole body,
// collected without the Readable stream, async resource and listeners that undici's `request()` creates per call.
// The body cap is checked on the declared length and on every chunk; an abort (the client's timer, the caller's
// signal) settles the exchange at once and cancels the request wherever it is: queued, being sent, or being read.
import type { Dispatcher } from 'undici'
import { headerValue } from './rate-limit.js'

/** Headers as undici parses them (lower-case names; a repeated header is an array). */
export type ResponseHeaders = Record<string, string | string[] | undefined>

/** A whole response. */
export interface Exchanged {
  statusCode: number
  headers: ResponseHeaders
  body: Buffer
}

/** The dispatch handler of one call; `promise` settles once, with the response or the first error. */
export class Exchange implements Dispatcher.DispatchHandler {
  /** The response's status and headers once they arrived (for the request id of a later error). */
  headers: ResponseHeaders | undefined
  statusCode = 0
  readonly promise: Promise<Exchanged>
  #resolve!: (value: Exchanged) => void
  #reject!: (err: unknown) => void
  #settled = false
  #controller: Dispatcher.DispatchController | undefined
  #pendingAbort: { reason: unknown } | undefined
  #chunks: Buffer[] = []
  #size = 0

  /**
   * @param maxBytes largest body read; beyond it the call fails with `tooLarge()`.
   * @param tooLarge the error of a body over `maxBytes` (called with this exchange, its headers known).
   */
  constructor (readonly maxBytes: number, readonly tooLarge: (exchange: Exchange) => Error) {
    this.promise = new Promise<Exchanged>((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
    })
    // A call can fail before it awaits this promise (dispatch() throwing at once): the rejection it then gets is
    // handled here, never reported as unhandled. A caller that awaits the promise still sees it.
    this.promise.catch(() => {})
  }

  /** Fails the call with `reason` now, and cancels the request (at once, or as soon as undici starts it). */
  abort (reason: unknown): void {
    if (this.#settled) return
    this.#fail(reason)
    if (this.#controller === undefined) this.#pendingAbort = { reason }
    else this.#controller.abort(reason as Error)
  }

  onRequestStart (controller: Dispatcher.DispatchController): void {
    this.#controller = controller
    if (this.#pendingAbort !== undefined) controller.abort(this.#pendingAbort.reason as Error)
  }

  onResponseStart (_controller: Dispatcher.DispatchController, statusCode: number, headers: ResponseHeaders): void {
    if (statusCode < 200) return // 1xx: informational, the response is still to come
    this.statusCode = statusCode
    this.headers = headers
    const declared = Number(headerValue(headers, 'content-length'))
    if (Number.isFinite(declared) && declared > this.maxBytes) this.abort(this.tooLarge(this))
  }

  onResponseData (_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#settled) return
    this.#size += chunk.length
    if (this.#size > this.maxBytes) {
      this.abort(this.tooLarge(this))
      return
    }
    this.#chunks.push(chunk)
  }

  onResponseEnd (): void {
    if (this.#settled) return
    this.#settled = true
    this.#resolve({ statusCode: this.statusCode, headers: this.headers ?? {}, body: Buffer.concat(this.#chunks, this.#size) })
    this.#chunks = []
  }

  onResponseError (_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    this.#fail(err)
  }

  #fail (err: unknown): void {
    if (this.#settled) return
    this.#settled = true
    this.#chunks = []
    this.#reject(err)
  }
}
