// How an app authorizes to Okta, read from the environment: an SSWS API token (OKTA_API_TOKEN) or an OAuth 2.0
// service app (OKTA_CLIENT_ID, OKTA_PRIVATE_KEY or OKTA_PRIVATE_KEY_FILE, OKTA_KEY_ID, OKTA_SCOPES, OKTA_DPOP).
// Shared by the gateway server, the demo and the Express example. Errors name variables, never quote a key.
import { readFileSync } from 'node:fs'
import { createPrivateKey } from 'node:crypto'
import { isLoopbackHost, type OktaOAuthOptions } from '@okta-mfa/client'

/**
 * The scopes requested when OKTA_SCOPES is unset: what the MFA flows need (reads; enroll, activate, verify).
 * @default ['okta.users.read', 'okta.users.manage']
 * @example DEFAULT_OKTA_SCOPES.join(' ') // 'okta.users.read okta.users.manage'
 */
export const DEFAULT_OKTA_SCOPES: readonly string[] = Object.freeze(['okta.users.read', 'okta.users.manage'])

/**
 * Default of OKTA_DPOP: Okta requires DPoP for new API Services apps, and the client follows Okta's `token_type` anyway.
 * @default true
 * @example const dpop = env.OKTA_DPOP === undefined ? DEFAULT_OKTA_DPOP : env.OKTA_DPOP === 'true'
 */
export const DEFAULT_OKTA_DPOP = true

/**
 * The variables of an OAuth 2.0 service app; any of them set means "OAuth".
 * @example OKTA_OAUTH_ENV_VARS.filter((name) => process.env[name] !== undefined)
 */
export const OKTA_OAUTH_ENV_VARS: readonly string[] = Object.freeze([
  'OKTA_CLIENT_ID', 'OKTA_PRIVATE_KEY', 'OKTA_PRIVATE_KEY_FILE', 'OKTA_KEY_ID', 'OKTA_SCOPES', 'OKTA_DPOP',
])

/**
 * Stable codes of {@link OktaAuthEnvError}.
 * @example if (err.code === 'OKTA_AUTH_CONFLICT') console.error('unset OKTA_API_TOKEN or the OKTA_CLIENT_ID settings')
 */
export type OktaAuthEnvErrorCode =
  | 'OKTA_AUTH_CONFLICT' | 'OKTA_AUTH_MISSING' | 'OKTA_AUTH_INCOMPLETE' | 'OKTA_AUTH_KEY_UNREADABLE' | 'OKTA_AUTH_KEY_INVALID' | 'OKTA_AUTH_INVALID'

/**
 * One thing wrong with the Okta authorization settings: its code and what to fix, naming the variable.
 * @example const problem: OktaAuthEnvProblem = { code: 'OKTA_AUTH_INVALID', message: 'OKTA_DPOP must be true or false' }
 */
export interface OktaAuthEnvProblem {
  readonly code: OktaAuthEnvErrorCode
  readonly message: string
}

/**
 * The Okta authorization settings in the environment cannot be used. `problems` holds every one found, each with its
 * code; `code` is the first one's, and the message is each problem prefixed with its code, joined by "; ". The
 * messages name the variables (and a key file's path) and never hold a token or any part of a key.
 * @example
 * try { readOktaAuthEnv(process.env) } catch (err) { if (err instanceof OktaAuthEnvError) console.error(err.message) }
 */
export class OktaAuthEnvError extends Error {
  override readonly name = 'OktaAuthEnvError'
  readonly problems: readonly OktaAuthEnvProblem[]
  constructor (readonly code: OktaAuthEnvErrorCode, message: string, more: readonly OktaAuthEnvProblem[] = []) {
    super([`${code}: ${message}`, ...more.map((p) => `${p.code}: ${p.message}`)].join('; '))
    this.problems = Object.freeze([{ code, message }, ...more])
  }
}

/** Every problem of `list` (one at least) in one error, with the first one's code. */
function problemsError ([first, ...more]: OktaAuthEnvProblem[]): OktaAuthEnvError {
  return first === undefined ? missingOktaAuthError() : new OktaAuthEnvError(first.code, first.message, more)
}

const problem = (code: OktaAuthEnvErrorCode, message: string): OktaAuthEnvProblem => ({ code, message })

/**
 * What {@link readOktaAuthEnv} found: the client's `auth` option, and which kind it is.
 * @example const setting: OktaAuthSetting = { kind: 'ssws', auth: process.env.OKTA_API_TOKEN! }
 */
export type OktaAuthSetting =
  | { kind: 'ssws', auth: string }
  | { kind: 'oauth', auth: OktaOAuthOptions }

const MISSING = 'set OKTA_API_TOKEN (an SSWS API token), or OKTA_CLIENT_ID with OKTA_PRIVATE_KEY or OKTA_PRIVATE_KEY_FILE (an OAuth 2.0 service app)'

/**
 * The {@link OktaAuthEnvError} for "no Okta authorization at all" (code OKTA_AUTH_MISSING), for callers that need one.
 * @example const setting = readOktaAuthEnv(env); if (setting === undefined) throw missingOktaAuthError()
 */
export function missingOktaAuthError (): OktaAuthEnvError {
  return new OktaAuthEnvError('OKTA_AUTH_MISSING', `no Okta authorization: ${MISSING}`)
}

function set (env: Record<string, string | undefined>, name: string): string | undefined {
  const v = env[name]
  return v === undefined || v.trim() === '' ? undefined : v
}

/**
 * PEM put in one env line often carries literal "\n": turn those into line breaks. Each line is trimmed, as the
 * client does (an indented PEM: OpenSSL skips leading newlines but not spaces).
 */
function unescapePem (text: string): string {
  const t = text.trim()
  if (!t.startsWith('-----BEGIN ')) return t
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
    } else if (text.startsWith('-----BEGIN ')) {
      key = createPrivateKey(text)
    } else {
      throw bad('neither PEM nor JSON')
    }
  } catch (err) {
    // Node's own parse messages never quote the key; they are replaced anyway.
    throw err instanceof OktaAuthEnvError ? err : bad('it does not parse')
  }
  if (key.type !== 'private') throw bad('a public key')
  const details = key.asymmetricKeyDetails
  if (key.asymmetricKeyType === 'rsa') {
    if ((details?.modulusLength ?? 0) < 2048) throw bad('an RSA key needs at least 2048 bits')
  } else if (!(key.asymmetricKeyType === 'ec' && ['prime256v1', 'secp384r1', 'secp521r1'].includes(details?.namedCurve ?? ''))) {
    throw bad('only RSA and EC P-256/P-384/P-521 keys sign what Okta accepts')
  }
  return value
}

function readKey (env: Record<string, string | undefined>, readFile: (path: string) => string): string | Record<string, unknown> {
  const inline = set(env, 'OKTA_PRIVATE_KEY')
  const file = set(env, 'OKTA_PRIVATE_KEY_FILE')
  if (inline !== undefined && file !== undefined) {
    throw new OktaAuthEnvError('OKTA_AUTH_CONFLICT', 'OKTA_PRIVATE_KEY and OKTA_PRIVATE_KEY_FILE are both set: give the key one way')
  }
  if (file !== undefined) {
    let text: string
    try {
      text = readFile(file)
    } catch (err) {
      const why = typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : 'read failed'
      throw new OktaAuthEnvError('OKTA_AUTH_KEY_UNREADABLE', `OKTA_PRIVATE_KEY_FILE ${shownPath(file)} cannot be read (${why})`)
    }
    return checkKey(text.trim(), `OKTA_PRIVATE_KEY_FILE ${shownPath(file)}`)
  }
  if (inline === undefined) {
    throw new OktaAuthEnvError('OKTA_AUTH_INCOMPLETE', 'OKTA_CLIENT_ID needs the app\'s private key: set OKTA_PRIVATE_KEY (PEM or JWK JSON) or OKTA_PRIVATE_KEY_FILE')
  }
  return checkKey(unescapePem(inline), 'OKTA_PRIVATE_KEY')
}

/**
 * Options of {@link readOktaAuthEnv}.
 * @example readOktaAuthEnv(env, { readFile: (path) => secrets.get(path) })
 */
export interface ReadOktaAuthEnvOptions {
  /** Reads OKTA_PRIVATE_KEY_FILE. @default fs.readFileSync(path, 'utf8') */
  readFile?: ((path: string) => string) | undefined
}

/**
 * Reads the Okta authorization from the environment: `OKTA_API_TOKEN` (SSWS), or `OKTA_CLIENT_ID` +
 * (`OKTA_PRIVATE_KEY` | `OKTA_PRIVATE_KEY_FILE`) + optional `OKTA_KEY_ID` (defaults to the JWK's `kid`),
 * `OKTA_SCOPES` (space or comma separated; default {@link DEFAULT_OKTA_SCOPES}) and `OKTA_DPOP` (true/false;
 * default {@link DEFAULT_OKTA_DPOP}). Returns `undefined` when none of them is set (the caller decides whether
 * that is an error: see {@link missingOktaAuthError}).
 *
 * @throws OktaAuthEnvError when a token and OAuth settings are both set, the OAuth settings are incomplete or
 * malformed, or the key cannot be read or parsed.
 * @example
 * ```ts
 * const setting = readOktaAuthEnv(process.env) ?? (() => { throw missingOktaAuthError() })()
 * const client = createOktaClient({ orgUrl: process.env.OKTA_ORG_URL!, auth: setting.auth })
 * ```
 */
export function readOktaAuthEnv (env: Record<string, string | undefined>, options: ReadOktaAuthEnvOptions = {}): OktaAuthSetting | undefined {
  const token = set(env, 'OKTA_API_TOKEN')
  const oauthVars = OKTA_OAUTH_ENV_VARS.filter((name) => set(env, name) !== undefined)
  if (token !== undefined && oauthVars.length > 0) {
    throw new OktaAuthEnvError('OKTA_AUTH_CONFLICT', `OKTA_API_TOKEN and OAuth settings (${oauthVars.join(', ')}) are both set: give one way to authorize to Okta`)
  }
  if (token !== undefined) return { kind: 'ssws', auth: sswsToken(token) }
  if (oauthVars.length === 0) return undefined
  // Every variable is checked, and every problem named at once: fixing one must not only reveal the next.
  const problems: OktaAuthEnvProblem[] = []
  const clientId = set(env, 'OKTA_CLIENT_ID')?.trim()
  if (clientId === undefined) {
    problems.push(problem('OKTA_AUTH_INCOMPLETE', `${oauthVars.join(', ')} ${oauthVars.length === 1 ? 'is' : 'are'} set but OKTA_CLIENT_ID is not: ${MISSING}`))
  } else if (!/^[\x21-\x7e]{1,200}$/.test(clientId)) {
    problems.push(problem('OKTA_AUTH_INVALID', 'OKTA_CLIENT_ID must be the app\'s client id (printable, no spaces)'))
  }
  let privateKey: string | Record<string, unknown> = ''
  try {
    privateKey = readKey(env, options.readFile ?? ((path) => readFileSync(path, 'utf8')))
  } catch (err) {
    if (!(err instanceof OktaAuthEnvError)) throw err
    // No key with no client id either: the message above already asks for both.
    if (!(clientId === undefined && err.code === 'OKTA_AUTH_INCOMPLETE')) problems.push(...err.problems)
  }
  const keyId = set(env, 'OKTA_KEY_ID')?.trim()
  if (keyId !== undefined && !/^[\x21-\x7e]{1,200}$/.test(keyId)) problems.push(problem('OKTA_AUTH_INVALID', 'OKTA_KEY_ID must be the key\'s kid (printable, no spaces)'))
  const scopeText = set(env, 'OKTA_SCOPES')
  const scopes = scopeText === undefined ? [...DEFAULT_OKTA_SCOPES] : scopeText.split(/[\s,]+/).filter((s) => s !== '')
  if (scopes.length === 0 || scopes.some((s) => !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s))) {
    problems.push(problem('OKTA_AUTH_INVALID', 'OKTA_SCOPES must be scope names separated by spaces or commas, e.g. "okta.users.read okta.users.manage"'))
  }
  const dpopText = set(env, 'OKTA_DPOP')?.trim()
  let dpop = DEFAULT_OKTA_DPOP
  if (dpopText !== undefined) {
    if (/^(1|true|yes)$/i.test(dpopText)) dpop = true
    else if (/^(0|false|no)$/i.test(dpopText)) dpop = false
    else problems.push(problem('OKTA_AUTH_INVALID', 'OKTA_DPOP must be true or false'))
  }
  if (clientId === undefined || problems.length > 0) throw problemsError(problems)
  const auth: OktaOAuthOptions = { clientId, privateKey, scopes, dpop }
  if (keyId !== undefined) auth.keyId = keyId
  return { kind: 'oauth', auth }
}

/**
 * The key file's path as an error may show it, or a placeholder when the value does not look like a path: a key
 * pasted into OKTA_PRIVATE_KEY_FILE instead of OKTA_PRIVATE_KEY (a PEM, a JWK, anything with a line break or a brace)
 * must not be printed.
 */
function shownPath (value: string): string {
  const looksLikePath = value.length <= 1024 && !/[\r\n{}"]|-----|\\n/.test(value) &&
    // A path has a separator or a file extension: a JWK's `d` (base64url) or a hex scalar has neither.
    (/[/\\]/.test(value) || /\.[A-Za-z0-9]{1,10}$/.test(value)) &&
    !/^[A-Za-z0-9+/=_-]{100,}$/.test(value) && !isDer(value.replace(/\s+/g, '')) && !value.split(/\s+/).some(isScalar)
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

/** The API token alone, as the client takes it: printable, no spaces (the value is never quoted). */
function sswsToken (value: string): string {
  const token = value.trim()
  if (/^ssws\s/i.test(token)) {
    throw new OktaAuthEnvError('OKTA_AUTH_INVALID', 'OKTA_API_TOKEN must be the API token alone, without the "SSWS " scheme in front of it')
  }
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw new OktaAuthEnvError('OKTA_AUTH_INVALID', 'OKTA_API_TOKEN must be the API token alone: printable characters, no spaces or line breaks inside it')
  }
  return token
}

/**
 * Why `value` cannot be an Okta org URL, naming the setting (`name`) but never the value (it may hold credentials);
 * undefined when it is one the client takes: an absolute `https:` or `http:` URL with a host, the root of that host (no
 * path but slashes: `/oauth2/default` is an authorization server, not the org), without credentials, a query or a
 * fragment (not even a bare `?` or `#`), and plain `http:` only on a loopback host (`isLoopbackHost`: an emulator);
 * whether loopback `http:` needs a flag too is the caller's rule. One rule for the gateway server and the examples, the
 * same as `createOktaClient`'s, so a bad value is named at start.
 *
 * @example
 * const problem = oktaOrgUrlProblem(process.env.OKTA_ORG_URL ?? '')
 * if (problem !== undefined) throw new Error(problem)
 */
export function oktaOrgUrlProblem (value: unknown, name = 'OKTA_ORG_URL'): string | undefined {
  const shape = `${name} must be your org's URL, such as https://dev-123456.okta.com`
  if (typeof value !== 'string' || value === '') return shape
  let url: URL
  try { url = new URL(value) } catch { return shape }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.hostname === '') return shape
  if (url.username !== '' || url.password !== '') return `${name} must not contain a user name or password (its value is not shown)`
  // The raw text: an empty query or fragment leaves URL.search and URL.hash empty.
  if (value.includes('?') || value.includes('#')) return `${name} must not contain a query or a fragment (its value is not shown)`
  if (!/^\/*$/.test(url.pathname)) {
    return `${name} must be the org's root, such as https://dev-123456.okta.com, without a path: /oauth2/... is an authorization server, not the org (its value is not shown)`
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    return `${name} may be http: only for an emulator on loopback (127.0.0.0/8, localhost or [::1]): an Okta org is https (its value is not shown)`
  }
  return undefined
}
