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

/** The most phone numbers a user's resend waits remember at once (the oldest is dropped past it). */
const MAX_REMEMBERED_NUMBERS = 32

/**
 * The key of a phone's resend wait: its channel and the number's digits, so that `+1-555-415-1337` and
 * `+15554151337` are one phone (as the duplicate-enrollment check reads them); undefined for email.
 */
function phoneKey (factor: FactorRecord): string | undefined {
  if (factor.factorType !== 'sms' && factor.factorType !== 'call') return undefined
  return `${factor.factorType}:${phoneDigits(factor)}`
}

/** The user's record of the last code sent to each phone, read defensively (a data file edited by hand). */
function phoneSends (user: UserRecord): Record<string, number> {
  const sends = user.phoneSends
  return typeof sends === 'object' && sends !== null && !Array.isArray(sends) ? sends : {}
}

/** When the last code went out to where `factor` sends: its phone number (any factor of the user), or the factor. */
function lastSentAt (user: UserRecord, factor: FactorRecord): number | undefined {
  const key = phoneKey(factor)
  if (key === undefined) return factor.lastSentAt
  const at = Object.hasOwn(phoneSends(user), key) ? phoneSends(user)[key] : undefined
  return typeof at === 'number' ? at : undefined
}

/**
 * Refuses a code for `factor` at `now` while the last one sent is more recent than its channel's wait (429): for sms
 * and call, the last sent to its phone number by any factor of the user (Okta: "one SMS/CALL challenge per phone number
 * every 30 seconds"), so that writing the number another way, switching numbers back and forth, or deleting the factor
 * and enrolling it again sends no more often; for email, the factor's own last code.
 */
export function resendWait (user: UserRecord, factor: FactorRecord, now: number): void {
  const channel = factor.factorType as Channel
  const last = lastSentAt(user, factor)
  if (last !== undefined && now - last < RESEND_AFTER_MS[channel]) {
    const err = tooSoon[channel]()
    err.resetAt = last + RESEND_AFTER_MS[channel]
    throw err
  }
}

/** Notes a code sent for `factor` at `now` (its phone's entry replaces waits already over). */
function noteSent (user: UserRecord, factor: FactorRecord, now: number): void {
  factor.lastSentAt = now
  const key = phoneKey(factor)
  if (key === undefined) return
  const kept = Object.entries(phoneSends(user))
    .filter(([k, at]) => k !== key && typeof at === 'number' && now - at < RESEND_AFTER_MS.sms)
    .slice(-(MAX_REMEMBERED_NUMBERS - 1))
  user.phoneSends = Object.fromEntries([...kept, [key, now]])
}

/**
 * Lifts the resend wait of `factor` (and of its phone number): its code has done its job (a factor just activated, or
 * activated without one), and the first challenge that follows goes at once, as Okta's guide has it.
 */
export function forgetSent (user: UserRecord, factor: FactorRecord): void {
  delete factor.lastSentAt
  const key = phoneKey(factor)
  if (key !== undefined && Object.hasOwn(phoneSends(user), key)) {
    const rest = { ...phoneSends(user) }
    delete rest[key]
    user.phoneSends = rest
  }
}

/**
 * Sends a fresh code for `factor` unless one went out too recently (429 by channel), replacing
 * any earlier code. `throttle: false` is for the code Okta sends on enrollment, whose wait the route checked before it
 * changed anything.
 */
export function sendCode (ctx: Ctx, user: UserRecord, factor: FactorRecord, lifetimeS: number, throttle = true): void {
  const channel = factor.factorType as Channel
  const now = ctx.clock()
  if (throttle) resendWait(user, factor, now)
  const code = newOtp()
  factor.sent = { code, expiresAt: now + lifetimeS * 1000, used: false }
  noteSent(user, factor, now)
  const to = String(channel === 'email' ? factor.profile['email'] : factor.profile['phoneNumber'])
  ctx.outbox.send({ channel, to, userId: user.id, factorId: factor.id, code, sentAt: new Date(now).toISOString() })
}
