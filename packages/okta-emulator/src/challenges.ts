// One-time codes sent by sms, voice call and email: the resend throttle Okta applies per
// channel (sms and call 30 s, email 5 s), delivery to the outbox, and expiry after
// tokenLifetimeSeconds (default 300).
import type { Ctx } from './context.js'
import { tooSoon, validationError } from './errors.js'
import { newOtp } from './ids.js'
import type { FactorRecord, UserRecord } from './types.js'

/** Minimum ms between two codes on one factor, by channel (Okta's E0000109 / E0000133 / E0000118). */
export const RESEND_AFTER_MS = { sms: 30_000, call: 30_000, email: 5_000 } as const

/** Default code lifetime in seconds. */
export const DEFAULT_TOKEN_LIFETIME_S = 300

/** Channels that deliver codes. */
export type Channel = keyof typeof RESEND_AFTER_MS

/** Whether the factor's codes travel through the outbox. */
export function isChannel (t: string): t is Channel {
  return t === 'sms' || t === 'call' || t === 'email'
}

/** Reads `tokenLifetimeSeconds` from a query (positive integer up to a day). */
export function tokenLifetime (raw: string | undefined): number {
  if (raw === undefined || raw === '') return DEFAULT_TOKEN_LIFETIME_S
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 86_400) {
    throw validationError('tokenLifetimeSeconds', 'tokenLifetimeSeconds: must be an integer between 1 and 86400.')
  }
  return Number(raw)
}

/** Refuses a code for `factor` at `now` while the last one sent is more recent than its channel's wait (429). */
export function resendWait (factor: FactorRecord, now: number): void {
  const channel = factor.factorType as Channel
  if (factor.lastSentAt !== undefined && now - factor.lastSentAt < RESEND_AFTER_MS[channel]) {
    const err = tooSoon[channel]()
    err.resetAt = factor.lastSentAt + RESEND_AFTER_MS[channel]
    throw err
  }
}

/**
 * Sends a fresh code for `factor` unless one went out too recently (429 by channel), replacing
 * any earlier code. `throttle: false` is for the code Okta sends on enrollment.
 */
export function sendCode (ctx: Ctx, user: UserRecord, factor: FactorRecord, lifetimeS: number, throttle = true): void {
  const channel = factor.factorType as Channel
  const now = ctx.clock()
  if (throttle) resendWait(factor, now)
  const code = newOtp()
  factor.sent = { code, expiresAt: now + lifetimeS * 1000, used: false }
  factor.lastSentAt = now
  const to = String(channel === 'email' ? factor.profile['email'] : factor.profile['phoneNumber'])
  ctx.outbox.send({ channel, to, userId: user.id, factorId: factor.id, code, sentAt: new Date(now).toISOString() })
}
