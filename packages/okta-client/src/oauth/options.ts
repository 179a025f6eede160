/**
 * OAuth 2.0 options of the client (an Okta API Services app with private_key_jwt) and their
 * validation. The private key is parsed once, here, into a KeyObject; a bad option throws a
 * TypeError naming it and never quoting the key.
 *
 * @module
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto'
import { firstUnknownKey } from '../known-keys.js'
import { InvalidOptionError } from '../invalid-option.js'

/**
 * OAuth 2.0 settings: the client credentials grant with a private_key_jwt client assertion,
 * optionally with DPoP-bound tokens.
 *
 * @example
 * ```ts
 * const client = createOktaClient({
 *   orgUrl: 'https://dev-123456.okta.com',
 *   auth: { clientId: '0oa1b2c3', privateKey: process.env.OKTA_PRIVATE_KEY!, keyId: 'key-1',
 *           scopes: ['okta.users.read', 'okta.users.manage'], dpop: true },
 * })
 * ```
 */
export interface OktaOAuthOptions {
  /** The service app's client id. */
  clientId: string
  /**
   * The app's private key: a PEM string (PKCS#8, PKCS#1 RSA or SEC1 EC), a private JWK object, or a
   * private JWK as a JSON string. RSA (2048 bits or more) signs RS256; EC P-256/384/521 signs ES256/384/512. A JWK's
   * own `alg` (RS256, RS384 or RS512 for RSA; its curve's ES algorithm for EC) is the one used; a JWK meant for
   * encryption (`use: "enc"`, or `key_ops` without `"sign"`) is refused.
   */
  privateKey: string | Record<string, unknown>
  /** The key's id (`kid` of the assertion header); defaults to the JWK's `kid`. Okta needs it when the app has several keys. */
  keyId?: string | undefined
  /** The okta.* scopes to request, e.g. `['okta.users.read', 'okta.users.manage']` (or one space- or comma-separated string). */
  scopes: string[] | string
  /**
   * Use DPoP (RFC 9449): one key pair per client, a proof on every request. Okta requires it by
   * default for new API Services apps. With `true` the client still follows the `token_type` Okta answers.
   * @default false
   */
  dpop?: boolean | undefined
}

/** The validated OAuth configuration (internal). */
export interface OAuthConfig {
  readonly clientId: string
  readonly key: KeyObject
  readonly alg: 'RS256' | 'RS384' | 'RS512' | 'ES256' | 'ES384' | 'ES512'
  readonly keyId: string | undefined
  readonly scope: string
  readonly dpop: boolean
}

const PRINTABLE = /^[\x21-\x7e]+$/
// RFC 6749 scope-token: %x21 / %x23-5B / %x5D-7E
// RFC 6749's scope-token, less the comma (a list written with commas is two scopes, not one).
const SCOPE_TOKEN = /^[\x21\x23-\x2b\x2d-\x5b\x5d-\x7e]+$/
const CURVE_ALGS: Record<string, OAuthConfig['alg']> = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' }
/** The algorithms Okta takes for a client assertion signed with an RSA key. */
const RSA_ALGS: ReadonlySet<unknown> = new Set(['RS256', 'RS384', 'RS512'])

/** What a private JWK says of its own use (RFC 7517 §4.2 to §4.4), when it says it. */
interface JwkUse { alg?: unknown, use?: unknown, keyOps?: unknown }

function parseKey (value: unknown): { key: KeyObject, kid: string | undefined, use: JwkUse } {
  const bad = (): TypeError => new InvalidOptionError('"auth.privateKey" option must be a private key: a PEM string, a private JWK object or its JSON (RSA or EC)')
  let jwk: Record<string, unknown> | undefined
  let pem: string | undefined
  if (typeof value === 'string') {
    // Trimmed, each line too: OpenSSL skips leading newlines but not spaces or tabs (a PEM in an indented template
    // literal, a config value).
    const text = value.trim()
    if (text.startsWith('{')) {
      try { jwk = JSON.parse(text) as Record<string, unknown> } catch { throw bad() }
    } else if (/^[ \t]*-----BEGIN /m.test(text)) {
      // Text before the first BEGIN line is allowed (RFC 7468 §5.2) and skipped by OpenSSL: the "Bag Attributes" that
      // `openssl pkcs12 -nocerts` writes before a key taken out of a .p12 file.
      pem = text.split(/\r?\n/).map((line) => line.trim()).join('\n')
    } else {
      throw bad()
    }
  } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    jwk = value as Record<string, unknown>
  } else {
    throw bad()
  }
  let key: KeyObject
  try {
    // createPrivateKey's own messages never quote the key, but they are replaced anyway.
    key = pem !== undefined ? createPrivateKey(pem) : createPrivateKey({ key: jwk as never, format: 'jwk' })
  } catch {
    throw bad()
  }
  const use: JwkUse = jwk === undefined ? {} : { alg: jwk['alg'], use: jwk['use'], keyOps: jwk['key_ops'] }
  return { key, kid: typeof jwk?.['kid'] === 'string' ? jwk['kid'] : undefined, use }
}

/**
 * The assertion's algorithm: RS256 for RSA and the curve's ES algorithm for EC, or the JWK's own `alg` when it names
 * one Okta takes for this key. A JWK whose `alg`, `use` or `key_ops` says it is not for signing so is refused: signing
 * with it anyway would only show as Okta's `invalid_client` at the first call.
 */
function algOf (key: KeyObject, use: JwkUse): OAuthConfig['alg'] {
  if (use.use !== undefined && use.use !== 'sig') throw new InvalidOptionError('"auth.privateKey" option: the JWK\'s "use" must be "sig" (a signing key) when it is given')
  if (use.keyOps !== undefined && (!Array.isArray(use.keyOps) || !use.keyOps.includes('sign'))) {
    throw new InvalidOptionError('"auth.privateKey" option: the JWK\'s "key_ops" must include "sign" when it is given')
  }
  if (key.asymmetricKeyType === 'rsa') {
    if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) throw new InvalidOptionError('"auth.privateKey" option: an RSA key must have at least 2048 bits')
    if (use.alg === undefined) return 'RS256'
    if (!RSA_ALGS.has(use.alg)) throw new InvalidOptionError('"auth.privateKey" option: the JWK\'s "alg" must be RS256, RS384 or RS512 for an RSA key')
    return use.alg as OAuthConfig['alg']
  }
  const alg = key.asymmetricKeyType === 'ec' ? CURVE_ALGS[key.asymmetricKeyDetails?.namedCurve ?? ''] : undefined
  if (alg === undefined) throw new InvalidOptionError('"auth.privateKey" option must be an RSA key or an EC key on P-256, P-384 or P-521')
  if (use.alg !== undefined && use.alg !== alg) throw new InvalidOptionError(`"auth.privateKey" option: the JWK's "alg" must be ${alg} for a key on its curve`)
  return alg
}

/**
 * Whether what `key` signs verifies with its own public part. Node takes a JWK whose members come from two keys (an
 * EC `d` beside another key's `x`/`y`, an RSA `n` from another key) without a word; Okta would refuse every assertion
 * signed with it as `invalid_client`.
 */
function signsForItsPublicKey (key: KeyObject): boolean {
  const probe = Buffer.from('okta-mfa key check')
  try {
    return verify('sha256', probe, createPublicKey(key), sign('sha256', probe, key))
  } catch {
    return false
  }
}

/** True when `auth` looks like OAuth settings (has a `clientId`). */
export function isOAuthOptions (auth: unknown): auth is OktaOAuthOptions {
  return typeof auth === 'object' && auth !== null && 'clientId' in auth
}

/** Every field of {@link OktaOAuthOptions}: the type keeps this list and the interface the same. */
const OAUTH_FIELDS: Record<keyof OktaOAuthOptions, true> = { clientId: true, privateKey: true, keyId: true, scopes: true, dpop: true }

/** Validates OAuth options; throws a TypeError naming the first bad one. */
export function resolveOAuth (o: OktaOAuthOptions): OAuthConfig {
  // A misspelt field (say "DPoP") would otherwise only show at run time, as Okta's refusal.
  const unknown = firstUnknownKey(o, OAUTH_FIELDS)
  if (unknown !== undefined) throw new InvalidOptionError(`"auth.${unknown.slice(0, 64)}" is not an option of OAuth settings (clientId, privateKey, keyId, scopes, dpop)`)
  if (typeof o.clientId !== 'string' || o.clientId.length > 200 || !PRINTABLE.test(o.clientId)) {
    throw new InvalidOptionError('"auth.clientId" option must be a non-empty string without spaces')
  }
  const { key, kid, use } = parseKey(o.privateKey)
  const alg = algOf(key, use)
  if (!signsForItsPublicKey(key)) throw new InvalidOptionError('"auth.privateKey" option: the key\'s private and public parts do not match (a JWK with members of two keys?)')
  if (o.keyId !== undefined && (typeof o.keyId !== 'string' || o.keyId.length > 200 || !PRINTABLE.test(o.keyId))) {
    throw new InvalidOptionError('"auth.keyId" option must be a non-empty string without spaces')
  }
  // Space- or comma-separated, as OKTA_SCOPES is read: no okta.* scope has a comma in its name.
  const scopes = typeof o.scopes === 'string' ? o.scopes.split(/[\s,]+/).filter((s) => s !== '') : o.scopes
  if (!Array.isArray(scopes) || scopes.length === 0 || scopes.some((s) => typeof s !== 'string' || !SCOPE_TOKEN.test(s))) {
    throw new InvalidOptionError('"auth.scopes" option must be a non-empty array of scope names such as "okta.users.read"')
  }
  if (o.dpop !== undefined && typeof o.dpop !== 'boolean') throw new InvalidOptionError('"auth.dpop" option must be a boolean')
  return Object.freeze({
    clientId: o.clientId,
    key,
    alg,
    keyId: o.keyId ?? kid,
    scope: [...new Set(scopes)].join(' '),
    dpop: o.dpop ?? false,
  })
}
