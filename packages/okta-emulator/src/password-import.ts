// Imported passwords, as Okta takes them in `credentials.password.hash`: SHA-512, SHA-256, SHA-1 and MD5
// digests (the Base64 salt decoded and put before or after the password, as `saltOrder` says), PBKDF2
// (HMAC-SHA-256 or -512) and BCRYPT. All but BCRYPT are checked where the emulator checks a password;
// a BCRYPT hash is kept and shown (`password: {}`) but never matches: Node has no bcrypt, and the
// emulator takes no dependency for one.
import { createHash, pbkdf2Sync, timingSafeEqual } from 'node:crypto'
import { isObject } from './context.js'
import { validationError } from './errors.js'
import { MAX_SECRET } from './limits.js'
import type { ImportedPasswordHash } from './types.js'

const ALGORITHMS = ['BCRYPT', 'MD5', 'PBKDF2', 'SHA-1', 'SHA-256', 'SHA-512'] as const
const DIGESTS = { MD5: 'md5', 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-512': 'sha512' } as const
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/
const RADIX64 = /^[A-Za-z0-9./]+$/
/** Most PBKDF2 iterations accepted: a check runs synchronously, so it is bounded like every other input. */
export const MAX_PBKDF2_ITERATIONS = 200_000
/**
 * Most PBKDF2 work accepted: iterations times the blocks of the derived key (keySize over the digest's size, rounded
 * up), each block being a full run of the iterations. Without it a 1024-byte key at 200000 iterations blocked the
 * emulator for seconds on every check.
 */
export const MAX_PBKDF2_WORK = 2 * MAX_PBKDF2_ITERATIONS
const PBKDF2_DIGEST_BYTES = { SHA256_HMAC: 32, SHA512_HMAC: 64 } as const

function int (v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max
}

/** Parses `credentials.password.hash`; throws 400 E0000001 (`what`) for anything Okta's schema does not allow. */
export function parseHash (v: unknown, what: string): ImportedPasswordHash {
  const bad = (cause: string): never => { throw validationError(what, `password.hash.${cause}`) }
  if (!isObject(v)) throw validationError(what, 'password.hash: Does not match required type object')
  const { algorithm, value, salt, saltOrder } = v
  if (typeof algorithm !== 'string' || !(ALGORITHMS as readonly string[]).includes(algorithm)) return bad(`algorithm: must be one of ${ALGORITHMS.join(', ')}`)
  if (typeof value !== 'string' || value === '' || value.length > MAX_SECRET) return bad('value: The field cannot be left blank')
  if (salt !== undefined && (typeof salt !== 'string' || salt === '' || salt.length > MAX_SECRET)) return bad('salt: Does not match required type string')
  const out: ImportedPasswordHash = { algorithm: algorithm as ImportedPasswordHash['algorithm'], value }
  if (salt !== undefined) out.salt = salt
  if (algorithm === 'BCRYPT') {
    if (!int(v['workFactor'], 1, 20)) return bad('workFactor: must be an integer between 1 and 20')
    if (typeof salt !== 'string' || salt.length !== 22 || !RADIX64.test(salt)) return bad('salt: A BCRYPT salt is 22 Radix-64 characters')
    if (value.length !== 31 || !RADIX64.test(value)) return bad('value: A BCRYPT hash is 31 Radix-64 characters')
    out.workFactor = v['workFactor']
    return out
  }
  if (!BASE64.test(value)) return bad('value: must be Base64')
  if (typeof salt === 'string' && !BASE64.test(salt)) return bad('salt: must be Base64')
  if (algorithm === 'PBKDF2') {
    const { digestAlgorithm, iterationCount, keySize } = v
    if (typeof salt !== 'string') return bad('salt: The field cannot be left blank')
    if (digestAlgorithm !== 'SHA256_HMAC' && digestAlgorithm !== 'SHA512_HMAC') return bad('digestAlgorithm: must be SHA256_HMAC or SHA512_HMAC')
    if (!int(iterationCount, 4096, MAX_PBKDF2_ITERATIONS)) return bad(`iterationCount: must be an integer between 4096 and ${MAX_PBKDF2_ITERATIONS}`)
    if (!int(keySize, 1, 1024)) return bad('keySize: must be an integer between 1 and 1024')
    const blockBytes = PBKDF2_DIGEST_BYTES[digestAlgorithm]
    if (iterationCount * Math.ceil(keySize / blockBytes) > MAX_PBKDF2_WORK) {
      return bad(`keySize: with ${iterationCount} iterations of ${digestAlgorithm}, at most ${Math.floor(MAX_PBKDF2_WORK / iterationCount) * blockBytes} bytes`)
    }
    return { ...out, digestAlgorithm, iterationCount, keySize }
  }
  if (typeof salt === 'string') {
    if (saltOrder !== 'PREFIX' && saltOrder !== 'POSTFIX') return bad('saltOrder: must be PREFIX or POSTFIX for a salted hash')
    out.saltOrder = saltOrder
  }
  return out
}

/** Whether `password` is the one an imported hash was made from (constant-time compare; BCRYPT never matches). */
export function checkImported (password: string, h: ImportedPasswordHash): boolean {
  if (password.length > MAX_SECRET || h.algorithm === 'BCRYPT') return false
  const want = Buffer.from(h.value, 'base64')
  // A PBKDF2 hash of another length than its key matches no password: not worth the derivation.
  if (h.algorithm === 'PBKDF2' && want.length !== (h.keySize ?? 32)) return false
  const salt = Buffer.from(h.salt ?? '', 'base64')
  const pw = Buffer.from(password, 'utf8')
  const got = h.algorithm === 'PBKDF2'
    ? pbkdf2Sync(pw, salt, h.iterationCount ?? 4096, h.keySize ?? 32, h.digestAlgorithm === 'SHA512_HMAC' ? 'sha512' : 'sha256')
    : createHash(DIGESTS[h.algorithm]).update(h.saltOrder === 'POSTFIX' ? Buffer.concat([pw, salt]) : Buffer.concat([salt, pw])).digest()
  return want.length === got.length && timingSafeEqual(want, got)
}
