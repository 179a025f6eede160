// TOTP (RFC 6238) as Okta uses it: SHA-1, 30-second step, 6 digits, base32 secret. Written for
// the emulator alone (it shares no code with the client). `validate` returns the time step the
// code matched, or null: callers compare with `=== null` because step numbers are never falsy
// in practice but a delta of 0 would be.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

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
    if (idx === -1) throw new TypeError('invalid base32 secret')
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

/** HOTP (RFC 4226) value of `counter` under `key`. */
export function hotp (key: Uint8Array, counter: number): string {
  const msg = Buffer.alloc(8)
  msg.writeUInt32BE(Math.floor(counter / 0x1_0000_0000), 0)
  msg.writeUInt32BE(counter >>> 0, 4)
  const mac = createHmac('sha1', key).update(msg).digest()
  const offset = mac[mac.length - 1]! & 0x0f
  const bin = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** DIGITS
  return bin.toString().padStart(DIGITS, '0')
}

/** The time step (counter) of a moment in ms. */
export function stepAt (atMs: number): number {
  return Math.floor(atMs / 1000 / TIME_STEP)
}

/** The TOTP code of `key` at `atMs`. */
export function generate (key: Uint8Array, atMs: number): string {
  return hotp(key, stepAt(atMs))
}

/** Constant-time comparison of two codes (length leaks only whether the length matches). */
export function sameCode (a: string, b: string): boolean {
  const ba = Buffer.from(a)
  const bb = Buffer.from(b)
  return ba.length === bb.length && timingSafeEqual(ba, bb)
}

/**
 * Every step within `window` steps of `atMs` whose code equals `code`, nearest first
 * (0, -1, +1, -2, +2, …). Usually zero or one entry.
 */
export function matchingSteps (key: Uint8Array, code: string, atMs: number, window: number): number[] {
  const out: number[] = []
  if (code.length !== DIGITS) return out
  const now = stepAt(atMs)
  for (let d = 0; d <= window; d++) {
    for (const step of d === 0 ? [now] : [now - d, now + d]) {
      if (step >= 0 && sameCode(hotp(key, step), code)) out.push(step)
    }
  }
  return out
}
