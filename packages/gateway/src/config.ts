// The standalone server's configuration from the environment, checked all at once at start so one run of the
// server names every missing or malformed variable, and never echoes a secret's value.

import { oktaOrgUrlProblem, redisUrlProblem } from '@okta-mfa/core'
import { isValidIssuer } from './options.js'
import { parseTrustProxy, type TrustProxySetting } from './trust-proxy.js'
import { serverOktaAuth, type ServerOktaAuth } from './server-okta-auth.js'
import { SESSION_EXPIRY_SECONDS } from './session-cookie.js'

/** Configuration of {@link buildGatewayServer}. */
export interface GatewayServerConfig extends ServerOktaAuth {
  /** OKTA_ORG_URL. */
  orgUrl: string
  /** SESSION_KEY: the 32-byte @fastify/secure-session key shared with the app that signs users in (the newest one). */
  sessionKey: Buffer
  /**
   * SESSION_KEY as a comma-separated list, newest first (key rotation): cookies are encrypted with the first and
   * decrypted with any. @default [sessionKey]
   */
  sessionKeys?: Buffer[]
  /**
   * REDIS_URL: attempt counters and session revocations live in this Redis, shared by every instance (and by the app
   * that signs users in, given the same URL). Unset: in this process only. @default undefined
   */
  redisUrl?: string | undefined
  /** PORT. @default 4000 */
  port: number
  /** HOST. @default '127.0.0.1' */
  host: string
  /** OKTA_ALLOW_INSECURE_HTTP: accept an http: org URL (the emulator only). @default false */
  allowInsecureHttp: boolean
  /** OKTA_TIMEOUT_MS. @default 5000 */
  timeoutMs: number
  /** OKTA_PROVISION: create missing Okta users by login. @default false */
  provision: boolean
  /** GATEWAY_DEVELOPMENT: GraphiQL and introspection. @default false */
  development: boolean
  /** SESSION_COOKIE_NAME. @default 'session' */
  cookieName: string
  /**
   * SESSION_COOKIE_SECURE: the Secure cookie attribute; `auto` sets it on https requests (behind a TLS-terminating
   * proxy, only with TRUST_PROXY). @default true
   */
  cookieSecure: boolean | 'auto'
  /**
   * SESSION_EXPIRY_SECONDS: a session's lifetime since its last write (secure-session's `expiry`): the signing-in app's,
   * so that a cookie it no longer accepts is not accepted (and renewed) here. @default 86401 (24 hours and one second)
   */
  sessionExpirySeconds?: number | undefined
  /** TRUST_PROXY: honour X-Forwarded-* from this proxy (true, a hop count, or addresses/CIDRs). @default false */
  trustProxy: TrustProxySetting
  /** LOG_LEVEL. @default 'info' */
  logLevel: string
  /** GATEWAY_TOTP_ISSUER: the name authenticator apps show above the account. @default the org's host name */
  totpIssuer: string | undefined
  /** MFA_MAX_ATTEMPTS: passcode attempts per user per window; keep it below the org's Okta lockout. @default 4 */
  maxAttempts: number
  /** MFA_ATTEMPT_WINDOW_SECONDS, as milliseconds. @default 900000 (15 minutes) */
  attemptWindowMs: number
  /** STEP_UP_MAX_AGE_SECONDS: how recent an MFA step must be for a sensitive change. @default 300 */
  stepUpMaxAgeSeconds: number
  /** REMEMBER_DEVICE_DAYS: lifetime of "Remember this device" cookies; 0 turns them off. @default 30 */
  rememberDeviceDays: number
}

/** The environment is incomplete or malformed: `code` is `OKTA_MFA_GATEWAY_CONFIG`, `problems` names each variable. */
export class ServerConfigError extends Error {
  /** Always `'ServerConfigError'`. */
  override name = 'ServerConfigError'
  /** Always `OKTA_MFA_GATEWAY_CONFIG`. */
  readonly code = 'OKTA_MFA_GATEWAY_CONFIG'
  constructor (
    /** One line per variable at fault, each naming it (never its value). */
    readonly problems: readonly string[],
  ) {
    super(`okta-mfa-gateway configuration: ${problems.join('; ')}`)
  }
}

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])

/**
 * Decodes a 32-byte key given as 64 hex digits or as base64 (`openssl rand -base64 32`).
 * Returns undefined when it is neither.
 */
export function decodeSessionKey (value: string): Buffer | undefined {
  const v = value.trim()
  if (/^[0-9a-fA-F]{64}$/.test(v)) return Buffer.from(v, 'hex')
  if (/^[A-Za-z0-9+/_-]{42,44}={0,2}$/.test(v)) {
    const key = Buffer.from(v.replace(/-/g, '+').replace(/_/g, '/'), 'base64')
    if (key.length === 32) return key
  }
  return undefined
}

/** At most this many SESSION_KEY entries: the newest and the ones still being rotated out. */
export const MAX_SESSION_KEYS = 8

/**
 * Decodes SESSION_KEY: one key, or several separated by commas, newest first (rotation: the first encrypts, any
 * decrypts). Returns undefined when any entry is not a 32-byte key, or there are more than {@link MAX_SESSION_KEYS}.
 *
 * @example
 * ```ts
 * decodeSessionKeys(`${newKeyHex},${oldKeyHex}`) // [newKey, oldKey]
 * ```
 */
export function decodeSessionKeys (value: string): Buffer[] | undefined {
  const parts = value.split(',').map((part) => part.trim()).filter((part) => part !== '')
  if (parts.length === 0 || parts.length > MAX_SESSION_KEYS) return undefined
  const keys: Buffer[] = []
  for (const part of parts) {
    const key = decodeSessionKey(part)
    if (key === undefined) return undefined
    keys.push(key)
  }
  return keys
}

/** Checks a REDIS_URL: @okta-mfa/core's rule, so the gateway takes what the app beside it takes. */
export { redisUrlProblem }

function redisUrlOf (env: NodeJS.ProcessEnv, problems: string[]): string | undefined {
  const value = env.REDIS_URL ?? ''
  if (value === '') return undefined
  const problem = redisUrlProblem(value)
  if (problem !== undefined) problems.push(problem)
  return problem === undefined ? value : undefined
}

function flag (env: NodeJS.ProcessEnv, name: string, dflt: boolean, problems: string[], orElse = ''): boolean {
  const v = env[name]
  if (v === undefined || v === '') return dflt
  if (/^(1|true|yes)$/i.test(v)) return true
  if (/^(0|false|no)$/i.test(v)) return false
  problems.push(`${name} must be true${orElse === '' ? ' or false' : `, false or ${orElse}`}`)
  return dflt
}

function int (env: NodeJS.ProcessEnv, name: string, dflt: number, min: number, max: number, problems: string[]): number {
  const v = env[name]
  if (v === undefined || v === '') return dflt
  const n = Number(v)
  if (!/^[0-9]+$/.test(v) || n < min || n > max) {
    problems.push(`${name} must be an integer from ${min} to ${max}`)
    return dflt
  }
  return n
}

/** GATEWAY_TOTP_ISSUER: 1 to 64 printable characters, no ":" (it separates the issuer from the account in apps). */
function issuerOf (env: NodeJS.ProcessEnv, problems: string[]): string | undefined {
  const v = env.GATEWAY_TOTP_ISSUER
  if (v === undefined || v.trim() === '') return undefined
  if (!isValidIssuer(v)) {
    problems.push('GATEWAY_TOTP_ISSUER must be 1 to 64 printable characters without ":"')
    return undefined
  }
  return v.trim()
}

function trustProxyOf (env: NodeJS.ProcessEnv, problems: string[]): TrustProxySetting {
  const setting = parseTrustProxy(env.TRUST_PROXY)
  if (setting === undefined) problems.push('TRUST_PROXY must be true, false, a hop count, or proxy addresses/CIDR ranges separated by commas')
  return setting ?? false
}

/**
 * Reads and checks the server's environment: OKTA_ORG_URL, SESSION_KEY (several keys, newest first, separated by
 * commas), and OKTA_API_TOKEN or OKTA_CLIENT_ID + OKTA_PRIVATE_KEY/OKTA_PRIVATE_KEY_FILE (+ OKTA_KEY_ID, OKTA_SCOPES,
 * OKTA_DPOP) (required); REDIS_URL, PORT, HOST, OKTA_ALLOW_INSECURE_HTTP, OKTA_TIMEOUT_MS, OKTA_PROVISION,
 * GATEWAY_DEVELOPMENT, SESSION_COOKIE_NAME, SESSION_COOKIE_SECURE, SESSION_EXPIRY_SECONDS, TRUST_PROXY, LOG_LEVEL, GATEWAY_TOTP_ISSUER,
 * MFA_MAX_ATTEMPTS, MFA_ATTEMPT_WINDOW_SECONDS, STEP_UP_MAX_AGE_SECONDS, REMEMBER_DEVICE_DAYS (optional).
 *
 * @throws ServerConfigError naming every missing or malformed variable (never its value).
 * @example
 * ```ts
 * const config = loadServerConfig(process.env)
 * ```
 */
export function loadServerConfig (env: NodeJS.ProcessEnv = process.env): GatewayServerConfig {
  const problems: string[] = []
  const allowInsecureHttp = flag(env, 'OKTA_ALLOW_INSECURE_HTTP', false, problems)
  const orgUrl = env.OKTA_ORG_URL ?? ''
  if (orgUrl === '') {
    problems.push('OKTA_ORG_URL is missing (your Okta org, e.g. https://dev-123456.okta.com)')
  } else {
    const problem = oktaOrgUrlProblem(orgUrl)
    if (problem !== undefined) problems.push(problem)
    // On loopback only (oktaOrgUrlProblem), and with the flag as well.
    else if (new URL(orgUrl).protocol === 'http:' && !allowInsecureHttp) problems.push('OKTA_ORG_URL is http: set OKTA_ALLOW_INSECURE_HTTP=true only for a local emulator')
  }
  const oktaAuth = serverOktaAuth(env, problems)
  const rawKey = env.SESSION_KEY ?? ''
  const sessionKeys = rawKey === '' ? undefined : decodeSessionKeys(rawKey)
  if (rawKey === '') problems.push('SESSION_KEY is missing (32 bytes as 64 hex digits or base64; the key of the app that signs users in)')
  else if (sessionKeys === undefined) problems.push('SESSION_KEY must be 32 bytes as 64 hex digits or base64 (several, newest first, separated by commas)')
  const redisUrl = redisUrlOf(env, problems)
  // Empty is unset, as for every other optional variable (`LOG_LEVEL=` in an env file).
  const logLevel = env.LOG_LEVEL === undefined || env.LOG_LEVEL === '' ? 'info' : env.LOG_LEVEL
  if (!LEVELS.has(logLevel)) problems.push(`LOG_LEVEL must be one of ${[...LEVELS].join(', ')}`)
  const cookieName = env.SESSION_COOKIE_NAME === undefined || env.SESSION_COOKIE_NAME === '' ? 'session' : env.SESSION_COOKIE_NAME
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cookieName)) problems.push('SESSION_COOKIE_NAME must be letters, digits, _ or -')
  const config: GatewayServerConfig = {
    orgUrl,
    ...oktaAuth,
    sessionKey: sessionKeys?.[0] ?? Buffer.alloc(0),
    sessionKeys: sessionKeys ?? [],
    redisUrl,
    port: int(env, 'PORT', 4000, 0, 65535, problems),
    host: env.HOST === undefined || env.HOST === '' ? '127.0.0.1' : env.HOST,
    allowInsecureHttp,
    timeoutMs: int(env, 'OKTA_TIMEOUT_MS', 5000, 1, 120_000, problems),
    provision: flag(env, 'OKTA_PROVISION', false, problems),
    development: flag(env, 'GATEWAY_DEVELOPMENT', false, problems),
    cookieName,
    cookieSecure: /^auto$/i.test(env.SESSION_COOKIE_SECURE ?? '') ? 'auto' : flag(env, 'SESSION_COOKIE_SECURE', true, problems, 'auto'),
    // At most 400 days, the longest a browser keeps a cookie.
    sessionExpirySeconds: int(env, 'SESSION_EXPIRY_SECONDS', SESSION_EXPIRY_SECONDS, 1, 34_560_000, problems),
    trustProxy: trustProxyOf(env, problems),
    logLevel,
    totpIssuer: issuerOf(env, problems),
    maxAttempts: int(env, 'MFA_MAX_ATTEMPTS', 4, 1, 100, problems),
    attemptWindowMs: int(env, 'MFA_ATTEMPT_WINDOW_SECONDS', 900, 1, 86_400, problems) * 1000,
    stepUpMaxAgeSeconds: int(env, 'STEP_UP_MAX_AGE_SECONDS', 300, 1, 86_400, problems),
    rememberDeviceDays: int(env, 'REMEMBER_DEVICE_DAYS', 30, 0, 400, problems),
  }
  if (problems.length > 0) throw new ServerConfigError(problems)
  return config
}
