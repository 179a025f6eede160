// Okta-like ids: 20 characters, a 3-character prefix naming the kind of object, then random
// alphanumerics. Random (not sequential) so ids from one run cannot be guessed by a test.
import { randomBytes, randomInt } from 'node:crypto'

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
/** The 64 URL-safe characters. */
export const URL_SAFE = `${ALNUM}-_`

// Random bytes drawn from a pool refilled 4 KiB at a time: one error id per failed verify must stay cheap.
let pool = Buffer.alloc(0)
let poolPos = 0
function nextByte (): number {
  if (poolPos >= pool.length) {
    pool = randomBytes(4096)
    poolPos = 0
  }
  return pool[poolPos++]!
}

/** Prefixes Okta uses, by object kind. */
export const ID_PREFIX = {
  user: '00u',
  'token:software:totp': 'ost',
  sms: 'mbl',
  call: 'clf',
  email: 'emf',
  question: 'ufs',
  push: 'opf',
  userType: 'oty',
} as const

/** `n` characters of `alphabet` (62 or 64 characters), uniformly at random. */
export function randomChars (alphabet: string, n: number): string {
  // 248 = the largest multiple of 62 below 256: rejection sampling keeps the distribution even.
  const limit = alphabet.length === 62 ? 248 : 256
  let out = ''
  while (out.length < n) {
    const b = nextByte()
    if (b < limit) out += alphabet[b % alphabet.length]
  }
  return out
}

/** A 20-character id with Okta's prefix, e.g. `00u1a2b3c4d5e6f7g8h9`. */
export function newId (prefix: string): string {
  return prefix + randomChars(ALNUM, 20 - prefix.length)
}

/** A push transaction id in the `v2mst.` form Okta uses. */
export function newTransactionId (): string {
  return 'v2mst.' + randomChars(URL_SAFE, 22)
}

/** The opaque token in a QR-code link (42 URL-safe characters, like Okta's). */
export function newQrToken (): string {
  return randomChars(URL_SAFE, 42)
}

/** Random 6-digit code for sms, call and email challenges. */
export function newOtp (): string {
  return randomInt(0, 1_000_000).toString().padStart(6, '0')
}
