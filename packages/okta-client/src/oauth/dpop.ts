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

// Escapes that stay encoded in an htu: `/`, `?`, `#` and `%` decoded would change what the path is (a second
// segment, a query, a fragment, or a new escape for whoever decodes it next).
const KEPT = /%(?:2f|3f|23|25)/i
const ESCAPES = /(?:%[0-9a-f]{2})+/gi

/** Decodes one run of escapes, keeping those in KEPT encoded (each an ASCII byte: never inside a UTF-8 sequence). */
function decodeRun (run: string): string {
  if (!KEPT.test(run)) return decodeURIComponent(run)
  let out = ''
  for (let i = 0, start = 0; i <= run.length; i += 3) {
    if (i === run.length || KEPT.test(run.slice(i, i + 3))) {
      out += decodeURIComponent(run.slice(start, i)) + run.slice(i, i + 3)
      start = i + 3
    }
  }
  return out
}

/**
 * The `htu` of a request (its origin, and its path as sent): scheme, host and path, no query, the path percent-decoded
 * (Okta normalises the request URI before comparing: a login's `%40` would not match) except for
 * `%2F`, `%3F`, `%23` and `%25`, so the htu stays one path, and decoding it once gives the request path.
 * A path that is not valid percent-encoded UTF-8 stays as it is.
 */
export function htuOf (target: { origin: string, path: string }): string {
  const q = target.path.indexOf('?')
  const path = q === -1 ? target.path : target.path.slice(0, q)
  if (!path.includes('%')) return target.origin + path
  try {
    decodeURIComponent(path) // the whole path decodes: so does every run of escapes split at an ASCII escape
  } catch {
    return target.origin + path
  }
  return target.origin + path.replace(ESCAPES, decodeRun)
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
