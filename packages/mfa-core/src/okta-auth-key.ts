// The OAuth service app's private key, from OKTA_PRIVATE_KEY (PEM or JWK JSON, a one-line PEM with "\n" too) or
// OKTA_PRIVATE_KEY_FILE: parsed once and checked for a type Okta accepts. Errors never quote a key, nor a key pasted
// where a path belongs.
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto'
import { OktaAuthEnvError } from './okta-auth-env-error.js'

/**
 * PEM put in one env line often carries literal "\n": turn those into line breaks. Each line is trimmed, as the
 * client does (an indented PEM: OpenSSL skips leading newlines but not spaces).
 */
function unescapePem (text: string): string {
  const t = text.trim()
  if (t.startsWith('{') || !t.includes('-----BEGIN ')) return t
  return (t.includes('\n') ? t : t.replace(/\\n/g, '\n')).split(/\r?\n/).map((line) => line.trim()).join('\n')
}

function checkKey (text: string, source: string): string | Record<string, unknown> {
  const bad = (why: string): OktaAuthEnvError =>
    new OktaAuthEnvError('OKTA_AUTH_KEY_INVALID', `${source} does not hold a usable private key (${why}); give a PEM (PKCS#8, PKCS#1 RSA or SEC1 EC) or a private JWK as JSON`)
  let key: ReturnType<typeof createPrivateKey>
  let value: string | Record<string, unknown> = text
  try {
    if (text.startsWith('{')) {
      const jwk = JSON.parse(text) as unknown
      if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw bad('not a JWK object')
      value = jwk as Record<string, unknown>
      key = createPrivateKey({ key: jwk as never, format: 'jwk' })
    } else if (/^[ \t]*-----BEGIN /m.test(text)) {
      // Text before the first BEGIN line is allowed (RFC 7468 §5.2), as the client and OpenSSL take it: the
      // "Bag Attributes" that `openssl pkcs12 -nocerts` writes before a key taken out of a .p12 file.
      key = createPrivateKey(text)
    } else {
      throw bad('neither PEM nor JSON')
    }
  } catch (err) {
    // Node's own parse messages never quote the key; they are replaced anyway. createPrivateKey refuses a public key
    // (the JWK or PEM uploaded to Okta, the likeliest key to paste here) as it refuses garbage: told apart here.
    if (err instanceof OktaAuthEnvError) throw err
    throw isPublicKey(value) ? bad('a public key: give the private one') : bad('it does not parse')
  }
  const details = key.asymmetricKeyDetails
  let algs: readonly string[]
  if (key.asymmetricKeyType === 'rsa') {
    if ((details?.modulusLength ?? 0) < 2048) throw bad('an RSA key needs at least 2048 bits')
    algs = ['RS256', 'RS384', 'RS512']
  } else {
    const alg = key.asymmetricKeyType === 'ec' ? CURVE_ALGS[details?.namedCurve ?? ''] : undefined
    if (alg === undefined) throw bad('only RSA and EC P-256/P-384/P-521 keys sign what Okta accepts')
    algs = [alg]
  }
  if (typeof value === 'object') checkJwkUse(value, algs, bad)
  if (!signsForItsPublicKey(key)) throw bad('its private and public parts do not match')
  return value
}

/**
 * Whether `value` (a PEM or a parsed JWK) is a public key, or a certificate holding one. Not a private key Node could
 * not read (an RSA JWK without its CRT members): createPublicKey would take its public half.
 */
function isPublicKey (value: string | Record<string, unknown>): boolean {
  if (typeof value === 'string' ? /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(value) : value['d'] !== undefined) return false
  try {
    createPublicKey(typeof value === 'string' ? value : { key: value as never, format: 'jwk' })
    return true
  } catch {
    return false
  }
}

/**
 * Whether what `key` signs verifies with its own public part. Node takes a JWK whose members come from two keys (an
 * EC `d` beside another key's `x`/`y`, an RSA `n` from another key) without a word; Okta would refuse each assertion
 * it signs as `invalid_client`, far from the cause.
 */
function signsForItsPublicKey (key: KeyObject): boolean {
  const probe = Buffer.from('okta-mfa key check')
  try {
    return verify('sha256', probe, createPublicKey(key), sign('sha256', probe, key))
  } catch {
    return false
  }
}

/** The assertion algorithm of each EC curve Okta takes. */
const CURVE_ALGS: Record<string, string> = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' }

/** A JWK that says it is not for signing this way (`use`, `key_ops`, `alg`): the client would refuse it at start. */
function checkJwkUse (jwk: Record<string, unknown>, algs: readonly string[], bad: (why: string) => OktaAuthEnvError): void {
  if (jwk['use'] !== undefined && jwk['use'] !== 'sig') throw bad('its JWK "use" is not "sig"')
  const ops = jwk['key_ops']
  if (ops !== undefined && (!Array.isArray(ops) || !ops.includes('sign'))) throw bad('its JWK "key_ops" do not include "sign"')
  if (jwk['alg'] !== undefined && !algs.includes(jwk['alg'] as string)) throw bad(`its JWK "alg" must be ${algs.join(', ')} for this key`)
}

/**
 * The key of OKTA_PRIVATE_KEY (`inline`) or OKTA_PRIVATE_KEY_FILE (`file`, read with `readFile`), each undefined when
 * unset or blank: a PEM string or a JWK object. Throws the OktaAuthEnvError of what is wrong with it.
 */
export function readKey (inline: string | undefined, file: string | undefined, readFile: (path: string) => string): string | Record<string, unknown> {
  if (inline !== undefined && file !== undefined) {
    throw new OktaAuthEnvError('OKTA_AUTH_CONFLICT', 'OKTA_PRIVATE_KEY and OKTA_PRIVATE_KEY_FILE are both set: give the key one way')
  }
  if (file !== undefined) {
    let text: string
    try {
      text = readFile(file)
    } catch (err) {
      const why = typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : 'read failed'
      throw new OktaAuthEnvError('OKTA_AUTH_KEY_UNREADABLE', `OKTA_PRIVATE_KEY_FILE ${shownPath(file, EXISTING.has(why))} cannot be read (${why})`)
    }
    return checkKey(text.trim(), `OKTA_PRIVATE_KEY_FILE ${shownPath(file, true)}`)
  }
  if (inline === undefined) {
    throw new OktaAuthEnvError('OKTA_AUTH_INCOMPLETE', 'OKTA_CLIENT_ID needs the app\'s private key: set OKTA_PRIVATE_KEY (PEM or JWK JSON) or OKTA_PRIVATE_KEY_FILE')
  }
  return checkKey(unescapePem(inline), 'OKTA_PRIVATE_KEY')
}

/** Read errors that say something is there (a folder, a file not ours to read): the value is a path. */
const EXISTING: ReadonlySet<string> = new Set(['EISDIR', 'EACCES', 'EPERM', 'not a regular file', 'over 64 KiB, not a key'])

/**
 * The key file's path as an error may show it, or a placeholder when the value does not look like a path: a key
 * pasted into OKTA_PRIVATE_KEY_FILE instead of OKTA_PRIVATE_KEY (a PEM, a JWK, anything with a line break or a brace)
 * must not be printed. `exists`: the file system found something there (it was read, or refused as a folder), so
 * the value is a path, whatever it looks like.
 */
function shownPath (value: string, exists: boolean): string {
  const looksLikePath = exists || (value.length <= 1024 && !/[\r\n{}"]|-----|\\n/.test(value) &&
    // A path has a separator or a file extension, or is a short file name (`okta-private-key`: no key or Okta
    // credential is under 40 characters): a JWK's `d` (base64url) or a hex scalar is none of these.
    (/[/\\]/.test(value) || /\.[A-Za-z0-9]{1,10}$/.test(value) || /^[A-Za-z0-9._-]{1,32}$/.test(value)) &&
    !/^[A-Za-z0-9+/=_-]{100,}$/.test(value) && !isDer(value.replace(/\s+/g, '')) && !value.split(/\s+/).some(isScalar))
  return looksLikePath ? JSON.stringify(value) : '(its value is not shown: it looks like a key, not a path; put the key itself in OKTA_PRIVATE_KEY)'
}

/** A private scalar in base64 or base64url, as a JWK's `d` of P-256 (32 bytes), P-384 (48) or P-521 (66) encodes. */
function isScalar (token: string): boolean {
  return /^(?:[A-Za-z0-9_-]{43}|[A-Za-z0-9+/]{43}=|[A-Za-z0-9+/_-]{64}|[A-Za-z0-9+/_-]{88})$/.test(token)
}

/**
 * Whether `text` is base64 of a DER structure (a PEM body without its header lines, its line breaks maybe turned to
 * spaces): a SEQUENCE whose encoded length is the whole of it. A path never decodes to one.
 */
function isDer (text: string): boolean {
  if (text.length < 64 || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return false
  const der = Buffer.from(text, 'base64')
  if (der[0] !== 0x30 || der.length < 2) return false
  const first = der[1]!
  if (first < 0x80) return 2 + first === der.length
  const lengthBytes = first & 0x7f
  if (lengthBytes < 1 || lengthBytes > 3 || der.length < 2 + lengthBytes) return false
  let length = 0
  for (let k = 0; k < lengthBytes; k++) length = length * 256 + der[2 + k]!
  return 2 + lengthBytes + length === der.length
}

