// One-time codes sent by sms, voice call and email: the resend throttle Okta applies per
// channel (sms and call 30 s, email 5 s), delivery to the outbox, and expiry after
// tokenLifetimeSeconds (default 300).
import type { Ctx } from './context.js'
import { tooSoon, validationError } from './errors.js'
import { newOtp } from './ids.js'
import { phoneDigits } from './factors-model.js'
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

/** The most phone numbers a factor's resend waits remember at once (the oldest is dropped past it). */
const MAX_REMEMBERED_NUMBERS = 32

/**
 * The key of a phone's resend wait: its channel and the number's digits, so that `+1-555-415-1337` and
 * `+15554151337` are one phone (as the duplicate-enrollment check reads them); undefined for email.
 */
function phoneKey (factor: FactorRecord): string | undefined {
  if (factor.factorType !== 'sms' && factor.factorType !== 'call') return undefined
  return `${factor.factorType}:${phoneDigits(factor)}`
}

/** When `factor` last sent a code to where `to` sends (its own number, or the new one of an `updatePhone`). */
function lastSentAt (factor: FactorRecord, to: FactorRecord): number | undefined {
  const key = phoneKey(to)
  // Its own number (and email): the factor's last code, as data files from before `phoneSends` keep it.
  if (key === phoneKey(factor)) return factor.lastSentAt
  const sends = factor.phoneSends
  const at = key !== undefined && typeof sends === 'object' && sends !== null && Object.hasOwn(sends, key) ? sends[key] : undefined
  return typeof at === 'number' ? at : undefined
}

/**
 * Refuses a code for `factor` at `now` while the last one it sent to where `to` sends is more recent than the
 * channel's wait (429). For sms and call that is the phone number, by its digits (Okta: "one SMS/CALL challenge per
 * phone number every 30 seconds"): writing the number another way, or switching back with `updatePhone` to a number
 * the factor had, sends no more often. `to` is the factor as an `updatePhone` would leave it; by default, itself.
 */
export function resendWait (factor: FactorRecord, now: number, to: FactorRecord = factor): void {
  const channel = factor.factorType as Channel
  const last = lastSentAt(factor, to)
  if (last !== undefined && now - last < RESEND_AFTER_MS[channel]) {
    const err = tooSoon[channel]()
    err.resetAt = last + RESEND_AFTER_MS[channel]
    throw err
  }
}

/** Notes a code `factor` sent at `now`; its phone's entry replaces the waits already over. */
function noteSent (factor: FactorRecord, now: number): void {
  factor.lastSentAt = now
  const key = phoneKey(factor)
  if (key === undefined) return
  const kept = Object.entries(factor.phoneSends ?? {})
    .filter(([k, at]) => k !== key && typeof at === 'number' && now - at < RESEND_AFTER_MS.sms)
    .slice(-(MAX_REMEMBERED_NUMBERS - 1))
  factor.phoneSends = Object.fromEntries([...kept, [key, now]])
}

/**
 * Lifts the resend waits of `factor`: it is active (its enrollment code did its job, or `activate=true` voided it), and
 * the first challenge that follows goes at once, as Okta's guide has it.
 */
export function forgetSent (factor: FactorRecord): void {
  delete factor.lastSentAt
  delete factor.phoneSends
}

/**
 * Sends a fresh code for `factor` unless one went out too recently (429 by channel), replacing
 * any earlier code. `throttle: false` is for the code Okta sends on enrollment (an `updatePhone` re-enrollment's wait is
 * checked by its route before it changes anything).
 */
export function sendCode (ctx: Ctx, user: UserRecord, factor: FactorRecord, lifetimeS: number, throttle = true): void {
  const channel = factor.factorType as Channel
  const now = ctx.clock()
  if (throttle) resendWait(factor, now)
  const code = newOtp()
  factor.sent = { code, expiresAt: now + lifetimeS * 1000, used: false }
  noteSent(factor, now)
  const to = String(channel === 'email' ? factor.profile['email'] : factor.profile['phoneNumber'])
  ctx.outbox.send({ channel, to, userId: user.id, factorId: factor.id, code, sentAt: new Date(now).toISOString() })
}
