// The contracts of the stores that hold shared MFA state: attempt counters and session revocation. The memory
// stores serve one process; the Redis stores share the same state between every instance of an app and its gateway.
import { MFA_OUTCOMES } from '../outcomes.js'

/** A counter in a fixed window. */
export interface AttemptCount {
  /** Attempts counted in the current window. */
  count: number
  /** When the window ends and the counter resets, in ms since the epoch. */
  resetAt: number
  /**
   * From `increment`, with a store that has `settle`: the attempts of the window Okta had answered as wrong when this
   * one was counted (`settle` calls, never lowered).
   */
  settled?: number | undefined
}

/**
 * Where attempt counters live. `increment` must be atomic: it is what stops a burst of parallel guesses.
 * A store that cannot reach its backend rejects with {@link StoreUnavailableError}; callers then refuse the attempt.
 */
export interface AttemptStore {
  /** Adds one to `key`; starts a window of `windowMs` when there is none (or it ended) at `now`. */
  increment: (key: string, windowMs: number, now: number) => Promise<AttemptCount>
  /** Forgets `key`. */
  reset: (key: string) => Promise<void>
  /** The live counter of `key` at `now`, `undefined` when none or expired. */
  get: (key: string, now: number) => Promise<AttemptCount | undefined>
  /**
   * Optional: takes back one attempt of `key` (never below zero, window unchanged), for an attempt Okta refused
   * without judging the code (an unknown or inactive factor). Without it such attempts stay counted.
   */
  decrement?: ((key: string, now: number) => Promise<void>) | undefined
  /**
   * Optional, with `subtract`: Okta answered a counted attempt of `key` as a wrong code (window unchanged; nothing is
   * created for a key that is gone). Its `increment`s from then on report one more `settled`.
   */
  settle?: ((key: string, now: number) => Promise<void>) | undefined
  /**
   * Optional: a right code, counted when `settledBefore` (its `increment`'s `settled`) wrong codes had been answered,
   * takes back its own attempt and those answered wrong codes that no other right code has taken back (never below
   * zero, window unchanged; a counter at zero may be forgotten). Every other attempt stays counted: one still in
   * flight when the right code was sent may reach Okta after it, and Okta counts it towards its own lockout. Without
   * it a right code `reset`s the key, forgetting those too.
   */
  subtract?: ((key: string, settledBefore: number, now: number) => Promise<void>) | undefined
}

/**
 * Where revoked sessions are remembered, so that a cookie copied before logout is refused on every instance.
 * A store that cannot reach its backend rejects with {@link StoreUnavailableError}.
 */
export interface RevocationStore {
  /** Revokes one session id for `ttlMs` (at least the session's remaining lifetime). */
  revokeSession: (sessionId: string, ttlMs: number) => Promise<void>
  /** Revokes every session of `userKey` issued at or before `before` (ms since the epoch), remembered for `ttlMs`. */
  revokeUser: (userKey: string, before: number, ttlMs: number) => Promise<void>
  /** Whether the session `sessionId` of `userKey`, issued at `issuedAt`, was revoked by either call above. One round trip. */
  isRevoked: (sessionId: string, userKey: string | undefined, issuedAt: number) => Promise<boolean>
}

/** The stable code of {@link StoreUnavailableError}. */
export const STORE_UNAVAILABLE = 'STORE_UNAVAILABLE' as const

/**
 * A store could not reach its backend (Redis down, a command timed out). Retryable: callers fail closed and refuse
 * the attempt rather than let it through uncounted. The message never carries keys or values.
 */
export class StoreUnavailableError extends Error {
  /** Always `STORE_UNAVAILABLE`. */
  readonly code = STORE_UNAVAILABLE
  /** Always `'StoreUnavailableError'`. */
  override readonly name = 'StoreUnavailableError'
  /**
   * Why, in words safe to log: `not connected`, `timed out`, `unexpected reply`, `full` (the memory store), or the
   * error code of a command Redis refused (`NOPERM`, `OOM`, `READONLY`, `WRONGPASS`, ...: the reply's first word, never
   * the rest of it). Undefined when the store did not say (a store of an app's own).
   */
  readonly reason: string | undefined

  constructor (message = 'The MFA state store is unavailable', options?: {
    /** The error that led to this one (the standard `cause`). */
    cause?: unknown
    /** Why, in words safe to log: becomes {@link StoreUnavailableError.reason}. */
    reason?: string
  }) {
    super(message, options)
    this.reason = options?.reason
  }

  /** The status of `STORE_UNAVAILABLE` in the outcome table (503), so an app's own route (a logout) answers it too. */
  get status (): number { return MFA_OUTCOMES.STORE_UNAVAILABLE.status }
  /** Same as `status`, for Fastify's error handler. */
  get statusCode (): number { return this.status }
  /** As the outcome table says: the same request may succeed once the store is back. */
  get retryable (): boolean { return MFA_OUTCOMES.STORE_UNAVAILABLE.retryable }
}

/** True for a {@link StoreUnavailableError}, also one from another copy of this package. */
export function isStoreUnavailableError (err: unknown): err is StoreUnavailableError {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === STORE_UNAVAILABLE
}

/**
 * Any failure of a store as the callers see it: a StoreUnavailableError as it is, anything else (a store of an app's
 * own rejecting with its own error) wrapped in one, its message never shown. Internal: not exported from the package.
 */
export function asStoreUnavailable (err: unknown): StoreUnavailableError {
  return isStoreUnavailableError(err) ? err : new StoreUnavailableError(undefined, { cause: err })
}
