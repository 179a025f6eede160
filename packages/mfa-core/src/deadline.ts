// One deadline per request: every Okta call made while serving one request shares it, so a slow Okta costs a
// request at most the deadline, not the client's timeout once per call.
import { performance } from 'node:perf_hooks'
import type { RequestOptions } from '@okta-mfa/client'
import { InvalidOptionError } from './invalid-option.js'

/** The default deadline of a request's Okta calls together, ms: the client's documented per-call timeout. */
export const DEFAULT_REQUEST_DEADLINE_MS = 5000

/**
 * The longest delay a Node timer takes (2^31 - 1 ms, about 24.8 days): a longer one fires after 1 ms, with a
 * TimeoutOverflowWarning. Every option that becomes a timer is checked against it.
 * @example if (ms > MAX_TIMER_MS) throw new TypeError('too long')
 */
export const MAX_TIMER_MS = 2_147_483_647

/**
 * What the client sends as `X-Request-Id`: 1 to 200 visible Latin-1 characters and spaces, none at either end (the
 * client refuses a control character, tab and C1 included, and a space undici would trim).
 */
const SENDABLE_REQUEST_ID = /^[\x21-\x7e\xa0-\xff](?:[\x20-\x7e\xa0-\xff]{0,198}[\x21-\x7e\xa0-\xff])?$/

/**
 * A deadline that starts when it is created. `options` gives the request options of each Okta call: the same
 * deadline (the client times each call to what is left) and the request id. A call cut by it fails with `OKTA_ABORTED`, which the
 * outcome mapping reads as UPSTREAM_TIMEOUT. A request id the client cannot send as `X-Request-Id` (empty, over 200
 * characters, control characters: an app may take it from a header of the request) is not sent rather than failing
 * each call.
 *
 * @example
 * const deadline = new RequestDeadline(5000, req.id)
 * await client.getUser(login, deadline.options)
 */
export class RequestDeadline {
  readonly #start = performance.now()
  readonly #ms: number
  readonly #requestId: string | undefined
  #signal: AbortSignal | undefined

  constructor (ms: number = DEFAULT_REQUEST_DEADLINE_MS, requestId?: string) {
    if (!Number.isInteger(ms) || ms < 1 || ms > MAX_TIMER_MS) throw new InvalidOptionError(`RequestDeadline: "ms" must be a positive integer of at most ${MAX_TIMER_MS}`)
    this.#ms = ms
    this.#requestId = typeof requestId === 'string' && SENDABLE_REQUEST_ID.test(requestId) ? requestId : undefined
  }

  /** The shared abort signal (created at the first call, timed from the deadline's creation). */
  get signal (): AbortSignal {
    this.#signal ??= AbortSignal.timeout(Math.max(1, Math.ceil(this.#ms - (performance.now() - this.#start))))
    return this.#signal
  }

  /** When the deadline passes, in `performance.now()` milliseconds. */
  get at (): number {
    return this.#start + this.#ms
  }

  /**
   * Request options for one Okta call of this request: the deadline (the client cuts the call when it passes, with
   * OKTA_ABORTED) and the request id. No AbortSignal is made for it: one per request costs more than the rest of
   * the call's own work; `signal` still gives one to whoever needs it.
   */
  get options (): RequestOptions {
    return this.#requestId === undefined ? { deadline: this.at } : { deadline: this.at, requestId: this.#requestId }
  }
}
