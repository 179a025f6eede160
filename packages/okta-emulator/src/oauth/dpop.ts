// DPoP proof validation (RFC 9449 §4.3) shared by the token endpoint and the API (node:crypto, see
// jws.ts: this runs on every DPoP-bound request): typ dpop+jwt,
// an asymmetric alg, a public `jwk` header the signature verifies with, htm and htu matching the
// request, a fresh iat, a jti never seen before, and (where the caller asks) a valid nonce and ath.
import { invalidProof } from './errors.js'
import { JwsError, verifyEmbedded } from './jws.js'
import { PROOF_IAT_WINDOW_S, type OAuthState } from './state.js'

/** Algorithms Okta accepts for DPoP proofs and client assertions. */
export const ASYMMETRIC_ALGS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512']

/** A proof that passed every check but the nonce (which the caller judges). */
export interface VerifiedProof {
  payload: Record<string, unknown>
  /** SHA-256 JWK thumbprint of the proof's key. */
  jkt: string
}

/** Percent-decodes a path the way Okta compares `htu`; an undecodable one stays as is. */
function decodePath (path: string): string {
  try {
    return decodeURIComponent(path)
  } catch {
    return path
  }
}

/**
 * An `htu` with RFC 3986's syntax- and scheme-based normalization, as RFC 9449 §4.3 asks before comparing: scheme
 * and host lower-cased, the scheme's default port dropped (`HTTP://Host:80/a` is `http://host/a`). The path is
 * left as it is (see {@link expectedHtu}).
 */
function canonicalHtu (htu: string): string {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/]*)(.*)$/i.exec(htu)
  if (m === null) return htu
  const scheme = (m[1] as string).toLowerCase()
  const defaultPort = scheme === 'http' ? ':80' : scheme === 'https' ? ':443' : undefined
  let authority = (m[2] as string).toLowerCase()
  if (defaultPort !== undefined && authority.endsWith(defaultPort)) authority = authority.slice(0, -defaultPort.length)
  return `${scheme}://${authority}${m[3] as string}`
}

/**
 * The `htu` a proof for this request must carry: origin + path, no query or fragment, duplicate
 * slashes collapsed and percent-escapes decoded (how Okta normalises the request URI before it compares).
 * The proof's own `htu` is only percent-decoded, as Okta does: a client whose `orgUrl` ends in `/` requests
 * `//api/v1/...`, signs `https://host//api/v1/...` and is refused 'htu' (okta-sdk-nodejs#453, a real org).
 */
export function expectedHtu (origin: string, rawUrl: string): string {
  const path = (rawUrl.split(/[?#]/, 1)[0] ?? '').replace(/\/{2,}/g, '/')
  return origin + decodePath(path)
}

/**
 * Verifies a proof; throws OAuthError invalid_dpop_proof. `ath` is checked when given. With `spend`
 * false (a request about to be refused 429) a used `jti` is still refused but this one is not recorded,
 * so the client's retry of the identical request, proof included, is not taken for a replay.
 */
export async function verifyProof (
  state: OAuthState, proof: string | string[] | undefined, method: string, htu: string, ath?: string, spend = true,
): Promise<VerifiedProof> {
  if (proof === undefined || proof === '') throw invalidProof('The DPoP proof JWT header is missing.')
  if (Array.isArray(proof) || proof.length > 8192) throw invalidProof('DPoP proof JWT cannot be parsed.')
  const now = state.clock()
  let v
  try {
    v = verifyEmbedded(proof)
  } catch (err) {
    if (err instanceof JwsError && err.reason === 'signature') throw invalidProof('The DPoP proof JWT signature is invalid.')
    throw invalidProof('DPoP proof JWT cannot be parsed.')
  }
  const { header, payload } = v
  if (header['typ'] !== 'dpop+jwt') throw invalidProof("'typ' header of the DPoP proof JWT is invalid.")
  const iat = payload['iat']
  // A proof a 429 gave back is taken until the reset it named, and a minute after: its retry waited as told.
  const heldUntil = typeof payload['jti'] === 'string' ? state.heldProofs.until(payload['jti'], now) : undefined
  if (typeof iat !== 'number' || (heldUntil === undefined && Math.abs(iat * 1000 - now) > PROOF_IAT_WINDOW_S * 1000) ||
    (heldUntil !== undefined && iat * 1000 > now + PROOF_IAT_WINDOW_S * 1000)) {
    throw invalidProof("'iat' claim in the DPoP proof JWT is invalid.")
  }
  if (payload['htm'] !== method) throw invalidProof("'htm' claim in the DPoP proof JWT is invalid.")
  const claimed = payload['htu']
  if (typeof claimed !== 'string' || claimed.split(/[?#]/, 1)[0] !== claimed || canonicalHtu(decodePath(claimed)) !== canonicalHtu(htu)) {
    throw invalidProof("'htu' claim in the DPoP proof JWT is invalid.")
  }
  if (ath !== undefined && payload['ath'] !== ath) throw invalidProof("'ath' claim in the DPoP proof JWT is invalid.")
  // RFC 9449 §4.2: every proof carries a `jti`; a missing or unusable one is not a replay.
  const jti = payload['jti']
  if (typeof jti !== 'string' || jti === '' || jti.length > 256) {
    throw invalidProof("'jti' claim in the DPoP proof JWT is missing or invalid: it must be a non-empty string of at most 256 characters.")
  }
  // Remembered for as long as its `iat` is accepted (to `iat` + the window, inclusive), so it is never taken again.
  const until = Math.max(iat * 1000 + PROOF_IAT_WINDOW_S * 1000 + 1, heldUntil ?? 0)
  if (spend ? !state.proofIds.add(jti, until, now) : state.proofIds.has(jti, now)) {
    throw invalidProof("'jti' claim in the DPoP proof JWT is invalid: the proof was already used.")
  }
  return { payload, jkt: v.jkt }
}

/**
 * After an answer of 429 (a rate limit, or a route's "too soon") to a request with a DPoP proof that is not spent:
 * holds the proof until `resetMs` (the answer's rate-limit reset, or now) plus the `iat` window, so the identical
 * retry after that wait passes its `iat` check. Only a proof whose signature verifies is held.
 */
export function holdProof (state: OAuthState, proof: string | string[] | undefined, resetMs: number): void {
  if (typeof proof !== 'string' || proof.length > 8192) return
  let jti: unknown
  try {
    jti = verifyEmbedded(proof).payload['jti']
  } catch {
    return
  }
  const now = state.clock()
  if (typeof jti !== 'string' || jti === '' || jti.length > 256 || state.proofIds.has(jti, now)) return
  state.heldProofs.delete(jti)
  state.heldProofs.add(jti, Math.max(resetMs, now) + PROOF_IAT_WINDOW_S * 1000, now)
}
