// HMAC-SHA1 for the TOTP hot path. A TOTP code is the HMAC of an 8-byte counter: with the key's
// inner and outer states precomputed once per secret, that is exactly two SHA-1 compressions,
// which plain JavaScript does several times faster than a round trip through node:crypto's
// createHmac (about 3 µs each). Checked against RFC 6238's vectors and node:crypto in the tests.
import { createHash } from 'node:crypto'

/** A key ready for HMAC-SHA1: the SHA-1 states after the ipad and opad blocks. */
export interface HmacKey { inner: Uint32Array, outer: Uint32Array }

const IV = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0]
const W = new Uint32Array(80)

/** One SHA-1 compression of the 16 words in W[0..15] into `state`. */
function compress (state: Uint32Array): void {
  for (let t = 16; t < 80; t++) {
    const x = W[t - 3]! ^ W[t - 8]! ^ W[t - 14]! ^ W[t - 16]!
    W[t] = (x << 1) | (x >>> 31)
  }
  let a = state[0]!
  let b = state[1]!
  let c = state[2]!
  let d = state[3]!
  let e = state[4]!
  for (let t = 0; t < 80; t++) {
    let f: number
    let k: number
    if (t < 20) { f = (b & c) | (~b & d); k = 0x5a827999 } else if (t < 40) { f = b ^ c ^ d; k = 0x6ed9eba1 } else if (t < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8f1bbcdc } else { f = b ^ c ^ d; k = 0xca62c1d6 }
    const temp = (((a << 5) | (a >>> 27)) + f + e + k + W[t]!) | 0
    e = d
    d = c
    c = (b << 30) | (b >>> 2)
    b = a
    a = temp
  }
  state[0] = (state[0]! + a) | 0
  state[1] = (state[1]! + b) | 0
  state[2] = (state[2]! + c) | 0
  state[3] = (state[3]! + d) | 0
  state[4] = (state[4]! + e) | 0
}

function padState (key: Uint8Array, pad: number): Uint32Array {
  const block = new Uint8Array(64).fill(pad)
  for (let i = 0; i < key.length; i++) block[i] = block[i]! ^ key[i]!
  for (let i = 0; i < 16; i++) W[i] = (block[4 * i]! << 24) | (block[4 * i + 1]! << 16) | (block[4 * i + 2]! << 8) | block[4 * i + 3]!
  const state = Uint32Array.from(IV)
  compress(state)
  return state
}

/** Precomputes the HMAC-SHA1 states of `key` (keys over 64 bytes are hashed first, per RFC 2104). */
export function hmacKey (key: Uint8Array): HmacKey {
  const k = key.length > 64 ? createHash('sha1').update(key).digest() : key
  return { inner: padState(k, 0x36), outer: padState(k, 0x5c) }
}

/** HMAC-SHA1 of the 8-byte big-endian `counter`, as 5 big-endian words (20 bytes). */
export function hmacCounter (key: HmacKey, counter: number): Uint32Array {
  // Inner: the counter, then SHA-1 padding for a 64 + 8 byte message (576 bits).
  W.fill(0, 0, 16)
  W[0] = Math.floor(counter / 0x1_0000_0000)
  W[1] = counter >>> 0
  W[2] = 0x80000000
  W[15] = 576
  const inner = key.inner.slice()
  compress(inner)
  // Outer: the 20-byte inner digest, padded for a 64 + 20 byte message (672 bits).
  W.fill(0, 0, 16)
  W.set(inner, 0)
  W[5] = 0x80000000
  W[15] = 672
  const outer = key.outer.slice()
  compress(outer)
  return outer
}
