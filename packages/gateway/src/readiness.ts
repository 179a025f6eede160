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
  /** The HTTP status of a failed check's error, when Okta answered. */
  status?: unknown
  /** Okta's own `errorCode` (E0000…) of a failed check, when its answer had Okta's error body. */
  errorCode?: unknown
  /** A failed store check's `reason` (@okta-mfa/core's StoreUnavailableError: `timed out`, `NOPERM`, ...). */
  reason?: unknown
}

/**
 * Codes of Okta's OAuth answers refusing the gateway's OAuth app, its scopes or its DPoP proofs (the token endpoint's
 * error bodies: an app that requires DPoP asked without it is `invalid_dpop_proof`, a grant the app may not use
 * `unauthorized_client`), as @okta-mfa/core counts them.
 */
const REFUSED_OAUTH_CODES = new Set(['OKTA_INVALID_CLIENT', 'OKTA_INVALID_SCOPE', 'OKTA_INSUFFICIENT_SCOPE', 'OKTA_DPOP_REJECTED', 'OKTA_OAUTH_ERROR'])

/**
 * What a failed Okta check says in the log: Okta refused the credentials (an OAuth refusal above, or a 401/403 with
 * Okta's own error body, E0000011 for a wrong API token included), rate-limited the check, or was not reached
 * (timeout, connection, or an answer that is not Okta's, such as a proxy's or a firewall's 401/403 page).
 *
 * @example
 * ```ts
 * oktaFailureMessage({ ready: false, code: 'OKTA_AUTHENTICATION', status: 401, errorCode: 'E0000011' }) // "okta refused the gateway's credentials"
 * ```
 */
export function oktaFailureMessage (result: ReadyResult): string {
  const oktaBody = typeof result.errorCode === 'string' && /^E\d{7}$/.test(result.errorCode)
  if (REFUSED_OAUTH_CODES.has(result.code as string) || (oktaBody && (result.status === 401 || result.status === 403))) {
    return 'okta refused the gateway\'s credentials'
  }
  if (result.code === 'OKTA_RATE_LIMITED') return 'okta rate-limited the readiness check'
  return 'okta not reachable'
}

/**
 * Runs `check` at most once per `ttlMs`, sharing the in-flight promise between concurrent callers. The request id a
 * caller passes goes to the check it starts (concurrent callers share that one check, and its id).
 *
 * @example
 * ```ts
 * const ready = cachedReadiness(async (requestId) => { await client.listUsers({ limit: 1 }, { requestId }).next() }, Date.now)
 * ```
 */
export function cachedReadiness (check: (requestId?: string) => Promise<void>, clock: () => number, ttlMs = READY_CACHE_MS): (requestId?: string) => Promise<ReadyResult> {
  let last: { at: number, result: ReadyResult } | undefined
  let inflight: Promise<ReadyResult> | undefined
  return async function readiness (requestId?: string) {
    if (last !== undefined) {
      // An age below zero is a clock stepped back: the last answer is not held until the clock catches up.
      const age = clock() - last.at
      if (age >= 0 && age < ttlMs) return last.result
    }
    inflight ??= check(requestId).then(
      (): ReadyResult => ({ ready: true }),
      (err: unknown): ReadyResult => {
        const e = err as { code?: unknown, status?: unknown, errorCode?: unknown, reason?: unknown } | null
        return { ready: false, code: e?.code, status: e?.status, errorCode: e?.errorCode, reason: e?.reason }
      },
    ).then((result) => {
      last = { at: clock(), result }
      inflight = undefined
      return result
    })
    return await inflight
  }
}
