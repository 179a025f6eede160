// DPoP proofs (RFC 9449 §4.2). One EC P-256 key pair per client, generated at construction; its
// public JWK and the proof header are encoded once, so a proof costs one payload encoding and one
// ES256 signature (node:crypto directly: this is on every request's path).
import { createHash, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto'

function b64url (value: string): string {
  return Buffer.from(value).toString('base64url')
}

/** base64url SHA-256 of an access token: the `ath` claim. */
export function accessTokenHash (token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}

/**
 * The `htu` of a request: scheme, host and path, no query or fragment, the path percent-decoded
 * (Okta normalises the request URI before comparing: a login's `%40` would not match).
 */
export function htuOf (url: URL): string {
  let path = url.pathname
  try { path = decodeURIComponent(path) } catch { /* keep it encoded */ }
  return url.origin + path
}

/** The client's DPoP key and proof signer. */
export class DpopSigner {
  readonly #key: KeyObject
  readonly #header: string

  constructor () {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const jwk = publicKey.export({ format: 'jwk' })
    this.#key = privateKey
    this.#header = b64url(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } }))
  }

  /** A proof for one request; `ath` binds it to an access token, `nonce` is the server's latest. */
  proof (htm: string, htu: string, ath: string | undefined, nonce: string | undefined): string {
    const claims: Record<string, string | number> = { htm, htu, iat: Math.floor(Date.now() / 1000), jti: randomUUID() }
    if (ath !== undefined) claims['ath'] = ath
    if (nonce !== undefined) claims['nonce'] = nonce
    const input = `${this.#header}.${b64url(JSON.stringify(claims))}`
    const signature = sign('sha256', Buffer.from(input), { key: this.#key, dsaEncoding: 'ieee-p1363' })
    return `${input}.${signature.toString('base64url')}`
  }
}
