// /readyz answers from a short-lived cache: the probe is unauthenticated, so without one every hit would spend the
// org's API rate limit (a few hundred hits used up the user-list bucket). Concurrent hits share one in-flight check.

/** How long one upstream check answers /readyz, in ms (success and failure alike). */
export const READY_CACHE_MS = 5000

/** How long one Redis check answers /readyz, in ms (a PING, cheap, but the probe is unauthenticated). */
export const STORE_READY_CACHE_MS = 1000

/** The outcome of one upstream check. */
export interface ReadyResult {
  ready: boolean
  /** The error code of a failed check (never a message: it could carry Okta's text). */
  code?: unknown
}

/**
 * Runs `check` at most once per `ttlMs`, sharing the in-flight promise between concurrent callers.
 *
 * @example
 * ```ts
 * const ready = cachedReadiness(async () => { await client.listUsers({ limit: 1 }).next() }, Date.now)
 * ```
 */
export function cachedReadiness (check: () => Promise<void>, clock: () => number, ttlMs = READY_CACHE_MS): () => Promise<ReadyResult> {
  let last: { at: number, result: ReadyResult } | undefined
  let inflight: Promise<ReadyResult> | undefined
  return async function readiness () {
    if (last !== undefined && clock() - last.at < ttlMs) return last.result
    inflight ??= check().then(
      (): ReadyResult => ({ ready: true }),
      (err: unknown): ReadyResult => ({ ready: false, code: (err as { code?: unknown } | null)?.code }),
    ).then((result) => {
      last = { at: clock(), result }
      inflight = undefined
      return result
    })
    return await inflight
  }
}
