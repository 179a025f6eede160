// How an app authorizes to Okta, read from the environment: an SSWS API token (OKTA_API_TOKEN) or an OAuth 2.0
// service app (OKTA_CLIENT_ID, OKTA_PRIVATE_KEY or OKTA_PRIVATE_KEY_FILE, OKTA_KEY_ID, OKTA_SCOPES, OKTA_DPOP).
// Shared by the gateway server, the demo and the Express example. Errors name variables, never quote a key.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs'
import { isLoopbackHost, type OktaOAuthOptions } from '@okta-mfa/client'
import { OktaAuthEnvError, problem, type OktaAuthEnvProblem } from './okta-auth-env-error.js'
import { readKey } from './okta-auth-key.js'

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

/** Every problem of `list` (one at least) in one error, with the first one's code. */
function problemsError ([first, ...more]: OktaAuthEnvProblem[]): OktaAuthEnvError {
  return first === undefined ? missingOktaAuthError() : new OktaAuthEnvError(first.code, first.message, more)
}

/**
 * What {@link readOktaAuthEnv} found: the client's `auth` option, and which kind it is.
 * @example const setting: OktaAuthSetting = { kind: 'ssws', auth: process.env.OKTA_API_TOKEN! }
 */
export type OktaAuthSetting =
  | {
    /** Which kind of authorization: an SSWS API token (OKTA_API_TOKEN), or OAuth 2.0 (a service app). */
    kind: 'ssws'
    /** The client's `auth` option: the SSWS token, or the OAuth 2.0 settings. */
    auth: string
  }
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
 * Options of {@link readOktaAuthEnv}.
 * @example readOktaAuthEnv(env, { readFile: (path) => secrets.get(path) })
 */
export interface ReadOktaAuthEnvOptions {
  /** Reads OKTA_PRIVATE_KEY_FILE. @default a read of a regular file of at most 64 KiB (a directory, a device, a FIFO or a larger file is OKTA_AUTH_KEY_UNREADABLE) */
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
  if (token === undefined && oauthVars.length === 0) return undefined
  // Every variable is checked, and every problem named at once: fixing one must not only reveal the next.
  const problems: OktaAuthEnvProblem[] = []
  if (token !== undefined && oauthVars.length > 0) {
    problems.push(problem('OKTA_AUTH_CONFLICT', `OKTA_API_TOKEN and OAuth settings (${oauthVars.join(', ')}) are both set: give one way to authorize to Okta`))
  }
  const ssws = token === undefined ? undefined : sswsToken(token, problems)
  // With a token as well, the OAuth values are still checked, but what they lack is not asked for: the fix may be to
  // unset them.
  const auth = oauthVars.length === 0 ? undefined : readOAuth(env, oauthVars, options.readFile ?? readKeyFile, problems, token === undefined)
  if (problems.length > 0) throw problemsError(problems)
  return auth === undefined ? { kind: 'ssws', auth: ssws! } : { kind: 'oauth', auth }
}

/** Most bytes read from OKTA_PRIVATE_KEY_FILE: a key, PEM or JWK, is a few KB. */
const MAX_KEY_FILE_BYTES = 64 * 1024

/**
 * Reads OKTA_PRIVATE_KEY_FILE, bounded: only a regular file of at most {@link MAX_KEY_FILE_BYTES}. `/dev/zero` would
 * otherwise fill the memory and a FIFO no one writes to hang the start (opened without blocking, then refused). The
 * error's `code` is the reason the problem shows.
 */
function readKeyFile (path: string): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK)
  try {
    const stat = fstatSync(fd)
    // eslint-disable-next-line no-restricted-syntax -- caught by readKey: only its code becomes the problem's reason
    if (stat.isDirectory()) throw Object.assign(new Error('a directory'), { code: 'EISDIR' })
    // eslint-disable-next-line no-restricted-syntax -- caught by readKey: only its code becomes the problem's reason
    if (!stat.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'not a regular file' })
    const buffer = Buffer.alloc(MAX_KEY_FILE_BYTES + 1)
    let length = 0
    for (let n = -1; n !== 0 && length < buffer.length;) {
      n = readSync(fd, buffer, length, buffer.length - length, length)
      length += n
    }
    // eslint-disable-next-line no-restricted-syntax -- caught by readKey: only its code becomes the problem's reason
    if (length > MAX_KEY_FILE_BYTES) throw Object.assign(new Error('too large'), { code: 'over 64 KiB, not a key' })
    return buffer.toString('utf8', 0, length)
  } finally {
    closeSync(fd)
  }
}

/** The OAuth settings, each problem pushed to `problems`; `complete`: whether a missing client id or key is one. */
function readOAuth (
  env: Record<string, string | undefined>, oauthVars: string[], readFile: (path: string) => string, problems: OktaAuthEnvProblem[], complete: boolean,
): OktaOAuthOptions | undefined {
  const clientId = set(env, 'OKTA_CLIENT_ID')?.trim()
  if (clientId === undefined) {
    if (complete) problems.push(problem('OKTA_AUTH_INCOMPLETE', `${oauthVars.join(', ')} ${oauthVars.length === 1 ? 'is' : 'are'} set but OKTA_CLIENT_ID is not: ${MISSING}`))
  } else if (!/^[\x21-\x7e]{1,200}$/.test(clientId)) {
    problems.push(problem('OKTA_AUTH_INVALID', 'OKTA_CLIENT_ID must be the app\'s client id (printable, no spaces)'))
  }
  let privateKey: string | Record<string, unknown> = ''
  try {
    privateKey = readKey(set(env, 'OKTA_PRIVATE_KEY'), set(env, 'OKTA_PRIVATE_KEY_FILE'), readFile)
  } catch (err) {
    if (!(err instanceof OktaAuthEnvError)) throw err
    // No key with no client id either: the message above already asks for both.
    if (!(err.code === 'OKTA_AUTH_INCOMPLETE' && (clientId === undefined || !complete))) problems.push(...err.problems)
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
  if (clientId === undefined) return undefined
  const auth: OktaOAuthOptions = { clientId, privateKey, scopes, dpop }
  if (keyId !== undefined) auth.keyId = keyId
  return auth
}

/** The API token alone, as the client takes it: printable, no spaces (the value is never quoted); else a problem. */
function sswsToken (value: string, problems: OktaAuthEnvProblem[]): string {
  const token = value.trim()
  if (/^ssws\s/i.test(token)) {
    problems.push(problem('OKTA_AUTH_INVALID', 'OKTA_API_TOKEN must be the API token alone, without the "SSWS " scheme in front of it'))
  } else if (!/^[\x21-\x7e]+$/.test(token)) {
    problems.push(problem('OKTA_AUTH_INVALID', 'OKTA_API_TOKEN must be the API token alone: printable characters, no spaces or line breaks inside it'))
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
