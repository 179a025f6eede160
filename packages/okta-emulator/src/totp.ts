// TOTP (RFC 6238) as Okta uses it: SHA-1, 30-second step, 6 digits, base32 secret. Written for
// the emulator alone (it shares no code with the client). `findStep` returns the time step the
// code matched, 'replayed', or null: callers compare with `=== null`, never truthiness.
import { randomBytes } from 'node:crypto'
import { hmacCounter, hmacKey, type HmacKey } from './sha1.js'
import { InvalidOptionError } from './invalid-option.js'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

/** Seconds per TOTP step. */
export const TIME_STEP = 30
/** Digits per code. */
export const DIGITS = 6

/** Encodes bytes as RFC 4648 base32 without padding. */
export function base32Encode (bytes: Uint8Array): string {
  let out = ''
  let bits = 0
  let value = 0
  for (const b of bytes) {
    value = (value << 8) | b
    bits += 8
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31]
  return out
}

/** Decodes RFC 4648 base32 (case-insensitive, padding optional); throws TypeError on other characters. */
export function base32Decode (input: string): Buffer {
  const clean = input.replace(/=+$/, '').toUpperCase()
  const out: number[] = []
  let bits = 0
  let value = 0
  for (const ch of clean) {
    const idx = ALPHABET.indexOf(ch)
    if (idx === -1) throw new InvalidOptionError('invalid base32 secret')
    value = ((value << 5) | idx) & 0xffff
    bits += 5
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff)
      bits -= 8
    }
  }
  return Buffer.from(out)
}

/** A new 16-character base32 secret (80 bits), the length Okta hands out. */
export function newSecret (): string {
  return base32Encode(randomBytes(10))
}

/** HOTP (RFC 4226) value of `counter` under a prepared key. */
export function hotp (key: HmacKey, counter: number): string {
  const mac = hmacCounter(key, counter)
  const byte = (i: number): number => (mac[i >> 2]! >>> (24 - 8 * (i & 3))) & 0xff
  const offset = byte(19) & 0x0f
  const bin = (((byte(offset) & 0x7f) << 24) | (byte(offset + 1) << 16) | (byte(offset + 2) << 8) | byte(offset + 3)) % 10 ** DIGITS
  return bin.toString().padStart(DIGITS, '0')
}

/** The time step (counter) of a moment in ms. */
export function stepAt (atMs: number): number {
  return Math.floor(atMs / 1000 / TIME_STEP)
}

/** The TOTP code of `key` at `atMs`. */
export function generate (key: HmacKey, atMs: number): string {
  return hotp(key, stepAt(atMs))
}

/** Constant-time comparison of two codes (only whether the lengths match can be learnt). */
export function sameCode (a: string, b: string): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}

const keys = new Map<string, HmacKey>()
/** The HMAC key of a base32 secret, decoded and prepared once (cached). */
export function keyOf (secret: string): HmacKey {
  let key = keys.get(secret)
  if (key === undefined) {
    if (keys.size >= 10_000) keys.clear()
    key = hmacKey(base32Decode(secret))
    keys.set(secret, key)
  }
  return key
}

/**
 * The nearest step within `window` steps of `atMs` (order 0, -1, +1, -2, +2, …) whose code is
 * `code` and which is later than `after`; `'replayed'` when the code matches only steps at or
 * before `after` (already used); null when it matches none.
 */
export function findStep (key: HmacKey, code: string, atMs: number, window: number, after = -1): number | 'replayed' | null {
  if (code.length !== DIGITS) return null
  const now = stepAt(atMs)
  let replayed = false
  for (let d = 0; d <= window; d++) {
    for (const step of d === 0 ? [now] : [now - d, now + d]) {
      if (step < 0 || !sameCode(hotp(key, step), code)) continue
      if (step > after) return step
      replayed = true
    }
  }
  return replayed ? 'replayed' : null
}

/** Throws TypeError unless `atMs` is a time: a finite, non-negative number of ms since the epoch. */
export function checkTime (atMs: unknown, where: string): void {
  if (typeof atMs !== 'number' || !Number.isFinite(atMs) || atMs < 0) {
    throw new InvalidOptionError(`${where}: "atMs" must be a finite, non-negative number of ms since the epoch`)
  }
}

/**
 * The TOTP code an authenticator app shows for a base32 secret (spaces and dashes allowed), for tests and demos
 * that need a code without a phone.
 *
 * @throws {TypeError} when the secret is not a non-empty base32 string, or `atMs` is not a time (ms since the epoch).
 * @example
 * totpCodeOf('JBSW Y3DP EHPK 3PXP') // the 6-digit code of this 30-second step
 * totpCodeOf('JBSWY3DPEHPK3PXP', 59_000) // '996554' (the step of 30 to 59 s after the epoch)
 */
export function totpCodeOf (secret: string, atMs: number = Date.now()): string {
  checkTime(atMs, 'totpCodeOf')
  // The secret itself is never quoted: it is a credential.
  const key = typeof secret === 'string' ? base32Decode(secret.replace(/[\s-]/g, '')) : undefined
  if (key === undefined || key.length === 0) throw new InvalidOptionError('totpCodeOf: "secret" must be a non-empty base32 string')
  return generate(hmacKey(key), atMs)
}
