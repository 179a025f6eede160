// A TOTP code generator (RFC 6238: SHA-1, 30-second step, 6 digits) for people trying the demo without a
// phone: `node examples/fastify-app/dist/totp.js <key>` prints what an authenticator app would show.
import { createHmac } from 'node:crypto'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

/**
 * The 6-digit code of a base32 key at `nowMs`.
 * @throws {TypeError} when the key is not base32.
 * @example
 * totpCode('JBSWY3DPEHPK3PXP')
 */
export function totpCode (keyBase32: string, nowMs: number = Date.now()): string {
  let bits = 0
  let value = 0
  const bytes: number[] = []
  for (const ch of keyBase32.replace(/[\s=-]/g, '').toUpperCase()) {
    const idx = ALPHABET.indexOf(ch)
    if (idx === -1) throw new TypeError('the key must be base32 (letters A-Z and digits 2-7)')
    value = ((value << 5) | idx) & 0xffff
    bits += 5
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff)
      bits -= 8
    }
  }
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(Math.floor(nowMs / 30_000)))
  const mac = createHmac('sha1', Buffer.from(bytes)).update(counter).digest()
  const offset = mac[mac.length - 1]! & 0x0f
  return ((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).toString().padStart(6, '0')
}

/** Seconds until the code changes. */
export function secondsLeft (nowMs: number = Date.now()): number {
  return 30 - Math.floor(nowMs / 1000) % 30
}
