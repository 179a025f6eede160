// The one place that talks HTTP: builds the request, enforces the timeout and the body cap, checks the
// status before parsing, maps every failure to a coded error, and waits out a 429 only where allowed.
import { performance } from 'node:perf_hooks'
import { Agent } from 'undici'
import type { Dispatcher } from 'undici'
import { isExactHeaderValue, isValidHeaderValue } from './auth.js'
import { AbortedError, ClientClosedError, fromTokenRequest, InvalidResponseError, RateLimitedError, TimeoutError, type OktaApiError } from './errors.js'
import { Exchange } from './exchange.js'
import { knownKeys } from './known-keys.js'
import { insufficientScope, RetryOnce } from './oauth/challenge.js'
import { OAuthSession, type AccessToken, type Grant } from './oauth/session.js'
import { MAX_TIMER_MS, type ClientConfig } from './options.js'
import { headerValue } from './rate-limit.js'
import { sentSecrets } from './redact.js'
import { errorId, interpret, rateLimitWait, translate } from './response.js'
import { aborted, anySignal, onAbort, timeoutSignal, untilAborted } from './signals.js'
import { VERSION } from './version.js'
import { InvalidOptionError } from './invalid-option.js'

/**
 * Per-call options, accepted as the last argument of every method.
 *
 * @example
 * ```ts
 * await client.getUser(id, { signal: AbortSignal.timeout(2000), requestId: req.id })
 * ```
 */
export interface RequestOptions {
  /** Aborts the request (and any rate-limit wait); the call rejects with code `OKTA_ABORTED`. */
  signal?: AbortSignal | undefined
  /** Sent as `X-Request-Id`, to correlate your logs with the call. */
  requestId?: string | undefined
  /**
   * When the call must be over, in `performance.now()` milliseconds: a deadline several calls share (one per incoming
   * request). Past it the call rejects with code `OKTA_ABORTED`, as with an aborted `signal`, but without the cost of
   * an AbortSignal per request. The client's `timeoutMs` still bounds each call.
   */
  deadline?: number | undefined
  /**
   * `false`: a 429 rejects at once with code `OKTA_RATE_LIMITED`, even for a GET the client would wait out and retry
   * (a health check, which must cost Okta one call). @default true
   */
  waitOnRateLimit?: boolean | undefined
}

/** Every key of {@link RequestOptions}: the type keeps this list and the interface the same. */
export const REQUEST_OPTION_NAMES: Readonly<Record<keyof RequestOptions, true>> = { signal: true, requestId: true, deadline: true, waitOnRateLimit: true }

/**
 * Checks a call's options before anything starts (no timer, no token fetch, nothing sent): only known keys, an
 * AbortSignal, a numeric deadline, a request id fit for a header. Throws a `TypeError` naming the option.
 */
export function checkRequestOptions (opts: RequestOptions | undefined): void {
  if (opts === undefined) return
  knownKeys(opts, REQUEST_OPTION_NAMES, 'the request options ("opts")')
  const { signal, deadline, requestId, waitOnRateLimit } = opts
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    // The likely slip is the AbortController itself: its `.signal` was meant.
    throw new InvalidOptionError('"signal" option must be an AbortSignal (an AbortController\'s .signal)')
  }
  if (deadline !== undefined && (typeof deadline !== 'number' || Number.isNaN(deadline))) throw new InvalidOptionError('"deadline" option must be a number')
  if (waitOnRateLimit !== undefined && typeof waitOnRateLimit !== 'boolean') throw new InvalidOptionError('"waitOnRateLimit" option must be a boolean')
  if (requestId !== undefined &&
    (typeof requestId !== 'string' || requestId.length > 200 || !isExactHeaderValue(requestId))) {
    throw new InvalidOptionError('"requestId" option must be a non-empty string of at most 200 characters without control characters or spaces at either end')
  }
}

/**
 * Largest response body the client reads, bytes; a larger one is an `OKTA_INVALID_RESPONSE`.
 * Okta's largest pages (200 users) are far below it.
 *
 * @default 1048576
 * @example
 * ```ts
 * console.log(`bodies over ${MAX_BODY_BYTES} bytes are refused`)
 * ```
 */
export const MAX_BODY_BYTES = 1024 * 1024
/** How many times a GET retries after a 429 (each wait also bounded by `rateLimitMaxWaitMs` in total). */
export const MAX_RATE_LIMIT_RETRIES = 3

type Query = Record<string, string | number | boolean | undefined>

/** Where one call goes: the origin, and the path with its query exactly as sent. */
export interface Target {
  origin: string
  path: string
}

/** One call to Okta, as the resource modules describe it. */
export interface CallSpec {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  /** Path below the org URL with every segment already encoded, e.g. `/api/v1/users/00u…`. */
  path: string
  query?: Query | undefined
  /** An absolute URL instead of `path` + `query` (pagination links); must be on the org's origin. */
  url?: URL
  /** Serialized as JSON. */
  body?: unknown
  /** Send an empty body that still carries `Content-Type: application/json` (sms/call/email challenges). */
  emptyJsonBody?: boolean
  /** Extra headers (already validated). */
  headers?: Record<string, string>
  opts?: RequestOptions | undefined
  /** An idempotent GET may wait for the rate-limit reset and retry. */
  mayWaitOnRateLimit: boolean
  /** Parse a JSON body on 2xx; false for operations whose answer carries nothing (204, `{}`). */
  expectBody: boolean
}

/** A successful response. */
export interface ApiResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: unknown
  requestId: string | undefined
  /** Where the call went: origin, path and query, as sent. */
  url: string
  /** The request's headers and call, for an error made of this answer later (see `responseErrorId`). */
  sent: Readonly<Record<string, string>>
  spec: CallSpec
}


/** The HTTP layer of a client. */
export class Transport {
  readonly #config: ClientConfig
  readonly #dispatcher: Dispatcher
  readonly #ownsDispatcher: boolean
  readonly #userAgent: string
  readonly #oauth: OAuthSession | undefined
  /** The org URL's origin. */
  readonly #origin: string
  /** The org URL's path without a trailing slash: an org path is appended to it. */
  readonly #basePath: string
  #closed = false
  /** Aborted by close(): ends a token fetch and a rate-limit wait at once. */
  readonly #closing = new AbortController()

  constructor (config: ClientConfig) {
    this.#config = config
    this.#ownsDispatcher = config.dispatcher === undefined
    this.#dispatcher = config.dispatcher ?? new Agent({
      keepAliveTimeout: 4_000,
      keepAliveMaxTimeout: 60_000,
      connect: { timeout: config.timeoutMs },
    })
    this.#userAgent = `okta-mfa-client/${VERSION}` + (config.userAgent === undefined ? '' : ` ${config.userAgent}`)
    this.#origin = config.baseUrl.origin
    this.#basePath = config.baseUrl.pathname.replace(/\/+$/, '')
    this.#oauth = config.oauth === undefined
      ? undefined
      : new OAuthSession(config.oauth, {
        url: this.url('/oauth2/v1/token').href, dispatcher: this.#dispatcher, timeoutMs: config.timeoutMs, userAgent: this.#userAgent,
        closing: this.#closing.signal,
      })
  }

  /** The org URL without a trailing slash. */
  get orgUrl (): string {
    return this.#config.baseUrl.href.replace(/\/+$/, '')
  }

  get closed (): boolean {
    return this.#closed
  }

  /** Closes the dispatcher when the client created it; an injected one stays open. */
  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#closing.abort()
    if (this.#ownsDispatcher) await this.#dispatcher.close()
  }

  /** The absolute URL of an org path with its query (undefined values dropped). */
  url (path: string, query?: Query): URL {
    const target = this.#target(path, query)
    return new URL(target.origin + target.path)
  }

  /**
   * Where a call to an org path goes: the org's origin, and the path (its segments already encoded, see `segment`)
   * with its query, undefined values dropped. No URL parser on the way: the path is sent exactly as built, with
   * nothing resolved or re-encoded.
   */
  #target (path: string, query: Query | undefined): Target {
    let full = this.#basePath + path
    if (query !== undefined) {
      const params = new URLSearchParams()
      for (const [k, v] of Object.entries(query)) {
        if (v !== undefined) params.set(k, String(v))
      }
      const search = params.toString()
      if (search !== '') full += `?${search}`
    }
    return { origin: this.#origin, path: full }
  }

  /** True when a link Okta returned points at the org itself (the token is never sent elsewhere). */
  sameOrigin (url: URL): boolean {
    return url.origin === this.#config.baseUrl.origin
  }

  /** Sends a call, waiting out 429s where the spec allows it. */
  async send (spec: CallSpec): Promise<ApiResponse> {
    checkRequestOptions(spec.opts)
    const target = spec.url === undefined ? this.#target(spec.path, spec.query) : { origin: spec.url.origin, path: spec.url.pathname + spec.url.search }
    let waited = 0
    const retried = { nonce: false, token: false }
    // The token a 401 refused, for the attempt right after it only (its retry shares the refresh that 401 started).
    let refused: AccessToken | undefined
    for (let attempt = 0; ; attempt++) {
      try {
        const after = refused
        refused = undefined
        return await this.#once(target, spec, after)
      } catch (err) {
        if (err instanceof RetryOnce) {
          // OAuth: one retry with Okta's new DPoP nonce, one with a fresh token; then the coded error.
          if (retried[err.kind]) throw err.error
          retried[err.kind] = true
          if (err.kind === 'token') refused = err.refused
          attempt--
          continue
        }
        if (!(err instanceof RateLimitedError) || !spec.mayWaitOnRateLimit || spec.opts?.waitOnRateLimit === false) throw err
        const waitMs = rateLimitWait(err)
        const budget = this.#config.rateLimitMaxWaitMs
        if (waitMs === undefined || budget === 0 || attempt >= MAX_RATE_LIMIT_RETRIES || waited + waitMs > budget) throw err
        // A wait that would end past the caller's deadline is not started. The deadline has not passed: the caller
        // gets the 429 as it came (OKTA_RATE_LIMITED, with retryAfterSeconds), not OKTA_ABORTED.
        if (spec.opts?.deadline !== undefined && performance.now() + waitMs >= spec.opts.deadline) throw err
        await this.#wait(waitMs, spec.opts?.signal)
        waited += waitMs
      }
    }
  }

  /**
   * Waits out a 429: ends early, OKTA_ABORTED on the caller's signal, OKTA_CLIENT_CLOSED on close(). Watched with
   * `onAbort` (one listener per signal, however many calls wait at once): a listener per waiting call on the client's
   * own close signal made Node warn of a leak (`MaxListenersExceededWarning`) from the eleventh call waiting out a 429.
   */
  async #wait (ms: number, signal: AbortSignal | undefined): Promise<void> {
    if (this.#closed) throw new ClientClosedError()
    if (aborted(signal)) throw new AbortedError({ cause: signal?.reason })
    let stopSignal: () => void = () => {}
    let stopClosing: () => void = () => {}
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      await new Promise<void>((resolve, reject) => {
        timer = setTimeout(resolve, ms)
        stopSignal = onAbort(signal, () => { reject(new AbortedError({ cause: signal?.reason })) })
        stopClosing = onAbort(this.#closing.signal, () => { reject(new ClientClosedError()) })
      })
    } finally {
      clearTimeout(timer)
      stopSignal()
      stopClosing()
    }
  }

  /** The auth header value: an API token's is a string at once (no await, no microtask per call). */
  #authorization (grant: Grant | undefined): string | Promise<string> {
    return grant === undefined ? this.#config.auth!.header() : grant.authorization
  }

  #headers (spec: CallSpec, grant: Grant | undefined, authorization: string): Record<string, string> {
    if (grant === undefined && (typeof authorization !== 'string' || authorization === '' || !isValidHeaderValue(authorization))) {
      // Never echo the value: it is a credential.
      throw new InvalidOptionError('"auth" option: header() must return a non-empty header value without control characters')
    }
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': this.#userAgent,
      ...spec.headers,
      authorization,
    }
    if (grant?.dpop !== undefined) headers['dpop'] = grant.dpop
    const requestId = spec.opts?.requestId // checked by checkRequestOptions
    if (requestId !== undefined) headers['x-request-id'] = requestId
    if (spec.body !== undefined || spec.emptyJsonBody === true) headers['content-type'] = 'application/json'
    return headers
  }

  /** The token (and proof) of one call; a client closed while the token was fetched is ClientClosedError. */
  async #grant (
    oauth: OAuthSession, method: string, target: Target, signal: AbortSignal | undefined, deadline: number | undefined, refused: AccessToken | undefined,
  ): Promise<Grant> {
    const cached = oauth.cachedGrant(method, target)
    if (cached !== undefined) return cached // the common case: no wait, so no timer and no race
    // A token to fetch: the caller may leave on its signal or deadline (a deadline beyond a timer's range is no
    // bound), and close() ends every wait.
    const ends = [this.#closing.signal]
    if (signal !== undefined) ends.push(signal)
    const left = deadline === undefined ? Infinity : Math.ceil(deadline - performance.now())
    // Its own timer, not AbortSignal.timeout(): Node 20 lets one inside AbortSignal.any() be collected unfired.
    const timeout = left <= MAX_TIMER_MS ? timeoutSignal(Math.max(1, left)) : undefined
    if (timeout !== undefined) ends.push(timeout.signal)
    // Combined before the fetch starts: nothing that can throw runs between starting it and awaiting it.
    const until = anySignal(ends)
    let grant: Grant
    try {
      grant = await untilAborted(oauth.grant(method, target, refused), until.signal)
    } catch (err) {
      // The API call was not sent (or its 401 was not followed by a send): the error says so, `tokenRequest`.
      throw fromTokenRequest(this.#closed ? new ClientClosedError() : err)
    } finally {
      timeout?.stop()
      until.stop()
    }
    if (this.#closed) throw fromTokenRequest(new ClientClosedError())
    return grant
  }

  /** One request; `refused`: the token a 401 of this call refused (its retry shares the refresh that 401 started). */
  async #once (target: Target, spec: CallSpec, refused?: AccessToken): Promise<ApiResponse> {
    if (this.#closed) throw new ClientClosedError()
    const signal = spec.opts?.signal
    if (signal?.aborted === true) throw new AbortedError({ cause: signal.reason })
    const deadline = spec.opts?.deadline // a number: checked by checkRequestOptions
    // eslint-disable-next-line no-restricted-syntax -- the cause of the coded AbortedError
    if (deadline !== undefined && deadline - performance.now() < 1) throw new AbortedError({ cause: new Error('the request deadline has passed') })
    const grant = this.#oauth === undefined ? undefined : await this.#grant(this.#oauth, spec.method, target, signal, deadline, refused)
    const auth = this.#authorization(grant)
    const headers = this.#headers(spec, grant, typeof auth === 'string' ? auth : await auth)
    if (aborted(signal)) throw new AbortedError({ cause: signal?.reason }) // aborted while the auth header was fetched
    const timeoutMs = this.#config.timeoutMs
    const left = deadline === undefined ? Infinity : Math.ceil(deadline - performance.now())
    const byDeadline = left < timeoutMs
    // eslint-disable-next-line no-restricted-syntax -- the cause of the coded AbortedError
    if (byDeadline && left < 1) throw new AbortedError({ cause: new Error('the request deadline has passed') })
    const exchange = new Exchange(MAX_BODY_BYTES, (ex) => new InvalidResponseError(
      `Okta's response body is larger than ${MAX_BODY_BYTES} bytes`, { status: ex.statusCode, requestId: requestIdOf(ex, headers, spec) }))
    let timedOut = false
    // One timer bounds the whole request (connect, headers and body together), not each phase: the client's timeout,
    // or the caller's deadline when that comes first.
    const timer = setTimeout(() => {
      if (byDeadline) {
        // eslint-disable-next-line no-restricted-syntax -- the cause of the coded AbortedError
        exchange.abort(new AbortedError({ cause: new Error('the request deadline has passed'), requestId: requestIdOf(exchange, headers, spec) }))
      } else {
        timedOut = true
        exchange.abort(new TimeoutError(timeoutMs, { requestId: requestIdOf(exchange, headers, spec) }))
      }
    }, byDeadline ? left : timeoutMs)
    let stopWatching: () => void = () => {}
    try {
      // Inside the try: whatever throws from here on, the finally clears the timer.
      stopWatching = onAbort(signal, () => { exchange.abort(signal?.reason) })
      // The dispatcher's own `dispatch` with a handler that keeps the body as bytes: undici's `request()` would add a
      // Readable stream, an async resource and their listeners to every call.
      this.#dispatcher.dispatch({
        origin: target.origin,
        path: target.path,
        method: spec.method,
        headers,
        body: spec.body !== undefined ? JSON.stringify(spec.body) : spec.emptyJsonBody === true ? '' : null,
        // No per-phase timers of undici's: the one timer above bounds the whole call. Each of undici's is a new
        // timer whenever a connection switches between waiting for a response and idling (their delays differ),
        // kept in undici's timer list until its next sweep, so it outlives the call and ends up in the old generation.
        headersTimeout: 0,
        bodyTimeout: 0,
      }, exchange)
      const response = await exchange.promise
      const url = target.origin + target.path
      if (grant === undefined) {
        // An auth of the app's own (a Bearer token it manages) may meet a scope challenge too.
        const onAuthError = response.statusCode === 403 ? (err: OktaApiError) => insufficientScope(err, allValues(response.headers['www-authenticate'])) ?? err : undefined
        return interpret(response.statusCode, response.headers, response.body, spec, url, headers, onAuthError)
      }
      const oauth = this.#oauth!
      oauth.observeNonce(headerValue(response.headers, 'dpop-nonce'))
      return interpret(response.statusCode, response.headers, response.body, spec, url, headers,
        (err) => oauth.apiError(err, allValues(response.headers['www-authenticate']), grant, sentSecrets(headers, spec.body)))
    } catch (err) {
      exchange.abort(err) // a synchronous throw of dispatch(), or a failed interpretation: nothing more is read
      throw translate(err, timedOut, timeoutMs, signal, requestIdOf(exchange, headers, spec))
    } finally {
      clearTimeout(timer)
      stopWatching()
    }
  }
}

/** Every value of a header that may repeat (WWW-Authenticate: one challenge per header line), joined as one. */
function allValues (value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value
}

/** Okta's request id of a response whose headers arrived. */
/** The request id of a response cut short (a timeout, a body too large), as an error keeps it (see `errorId`). */
function requestIdOf (exchange: Exchange, sent: Readonly<Record<string, string>>, spec: CallSpec): string | undefined {
  return exchange.headers === undefined ? undefined : errorId(headerValue(exchange.headers, 'x-okta-request-id'), sent, spec)
}
