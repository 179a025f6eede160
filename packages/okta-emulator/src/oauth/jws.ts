// Compact JWS verification with node:crypto for the per-request path (a DPoP proof on every API
// call): jose 6 works through WebCrypto, whose per-call cost is several times node:crypto's. Public
// keys from `jwk` headers are imported once and cached with their RFC 7638 thumbprint.
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto'

/** A verified JWS: its header and payload, and the cached key it was verified with. */
export interface VerifiedJws {
  header: Record<string, unknown>
  payload: Record<string, unknown>
}

/** An imported public key and its SHA-256 JWK thumbprint. */
export interface CachedKey {
  key: KeyObject
  jkt: string
}

const ALGS: Record<string, { hash: string, kty: 'RSA' | 'EC', crv?: string }> = {
  RS256: { hash: 'sha256', kty: 'RSA' },
  RS384: { hash: 'sha384', kty: 'RSA' },
  RS512: { hash: 'sha512', kty: 'RSA' },
  ES256: { hash: 'sha256', kty: 'EC', crv: 'P-256' },
  ES384: { hash: 'sha384', kty: 'EC', crv: 'P-384' },
  ES512: { hash: 'sha512', kty: 'EC', crv: 'P-521' },
}
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']
const MAX_CACHED = 1000
const keys = new Map<string, CachedKey>()

/** Why a JWS was refused. */
export class JwsError extends Error {
  constructor (readonly reason: 'parse' | 'signature') {
    super(reason)
  }
}

function json (part: string | undefined): Record<string, unknown> {
  if (part === undefined || !/^[A-Za-z0-9_-]*$/.test(part)) throw new JwsError('parse')
  let v: unknown
  try { v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) } catch { throw new JwsError('parse') }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new JwsError('parse')
  return v as Record<string, unknown>
}

/** The public key of a `jwk` header (cached), refusing private keys and keys of another type than `alg`. */
export function publicKeyOf (jwk: unknown, alg: string): CachedKey {
  // Own keys only: an `alg` of `constructor` or `__proto__` (the JWT's text) must not find Object's members.
  const spec = Object.hasOwn(ALGS, alg) ? ALGS[alg] : undefined
  if (spec === undefined || typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw new JwsError('parse')
  const j = jwk as Record<string, unknown>
  if (PRIVATE_MEMBERS.some((m) => m in j) || j['kty'] !== spec.kty || (spec.crv !== undefined && j['crv'] !== spec.crv)) throw new JwsError('parse')
  const members = spec.kty === 'EC' ? { crv: j['crv'], kty: j['kty'], x: j['x'], y: j['y'] } : { e: j['e'], kty: j['kty'], n: j['n'] }
  if (Object.values(members).some((v) => typeof v !== 'string')) throw new JwsError('parse')
  const canonical = JSON.stringify(members) // RFC 7638: required members, sorted, no spaces
  let cached = keys.get(canonical)
  if (cached === undefined) {
    let key: KeyObject
    try { key = createPublicKey({ key: members as never, format: 'jwk' }) } catch { throw new JwsError('parse') }
    cached = { key, jkt: createHash('sha256').update(canonical).digest('base64url') }
    if (keys.size >= MAX_CACHED) keys.clear()
    keys.set(canonical, cached)
  }
  return cached
}

/** Verifies a compact JWS whose key is its own `jwk` header (a DPoP proof). Throws JwsError. */
export function verifyEmbedded (jws: string): VerifiedJws & CachedKey {
  const parts = jws.split('.')
  if (parts.length !== 3) throw new JwsError('parse')
  const header = json(parts[0])
  const payload = json(parts[1])
  const alg = header['alg']
  if (typeof alg !== 'string') throw new JwsError('parse')
  const cached = publicKeyOf(header['jwk'], alg)
  const spec = ALGS[alg]!
  const signature = Buffer.from(parts[2]!, 'base64url')
  const ok = verify(spec.hash, Buffer.from(`${parts[0]}.${parts[1]}`), spec.kty === 'EC' ? { key: cached.key, dsaEncoding: 'ieee-p1363' } : cached.key, signature)
  if (!ok) throw new JwsError('signature')
  return { header, payload, ...cached }
}
