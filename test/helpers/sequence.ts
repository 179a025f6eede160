// What the seeded sequence tests (test/multi-instance) share: replayable random choices, and the model of one user's
// passcodes that every front door must follow (maxAttempts per window wherever the codes land, a code good once, a
// right code resetting the count and completing that session's MFA step, a revoked session refused first).

/** Random choices from `seed` (mulberry32): the same seed, the same sequence. */
export function seeded (seed: number): { random: () => number, pick: <T>(items: readonly T[]) => T } {
  let state = seed
  const random = (): number => {
    state = (state + 0x6D2B79F5) | 0
    let x = Math.imul(state ^ (state >>> 15), 1 | state)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
  return { random, pick: (items) => items[Math.floor(random() * items.length)]! }
}

/** One user in the model: the last TOTP step Okta accepted, and the attempts counted in the current window. */
export interface ModelUser { used: number, attempts: number }
/** One browser session in the model. */
export interface ModelSession { completed: boolean, revoked: boolean }
/** A code sent: not valid now, valid and unused (of `step`), or the last one accepted again. */
export type CodeKind = 'wrong' | 'right' | 'replay'

/**
 * The code to send for `kind` at Okta's step `now` (a replay whose code has left Okta's window is a wrong code), and
 * the step it is of. The caller makes sure a right code has an unused step: `user.used < now + 1`.
 */
export function codeToSend (user: ModelUser, kind: CodeKind, now: number): { kind: CodeKind, step: number } {
  if (kind === 'replay' && user.used < now) return { kind: 'wrong', step: user.used }
  return { kind, step: kind === 'right' ? Math.max(now, user.used + 1) : user.used }
}

/**
 * The outcome code a front door must answer (undefined: accepted), with the model updated as the code is counted:
 * a revoked session is UNAUTHENTICATED and counts nothing; past `maxAttempts` it is LOCKED_OUT before Okta hears of
 * it; else it counts, and a right code resets the count and completes the session's MFA step.
 */
export function expectedOutcome (user: ModelUser, session: ModelSession, kind: CodeKind, step: number, maxAttempts = 4): string | undefined {
  if (session.revoked) return 'UNAUTHENTICATED'
  if (user.attempts >= maxAttempts) return 'LOCKED_OUT'
  user.attempts++
  if (kind === 'wrong') return 'INVALID_PASSCODE'
  if (kind === 'replay') return 'PASSCODE_REPLAYED'
  user.attempts = 0
  user.used = step
  session.completed = true
  return undefined
}

/** A 6-digit code that is none of the codes of the steps around `now` (`codeAt` gives a step's code). */
export function wrongCodeNear (codeAt: (step: number) => string, now: number): string {
  const valid = new Set([now - 2, now - 1, now, now + 1, now + 2].map(codeAt))
  for (let n = 300_000; ; n++) if (!valid.has(String(n))) return String(n)
}
