// Reads the app's settings from the environment once, at start, and refuses bad ones with a message
// that names the variable: a typo in SESSION_KEY must not silently become a random key.
import { randomBytes } from 'node:crypto'
import type { OktaOAuthOptions } from '@okta-mfa/client'
import { oktaOrgUrlProblem } from '@okta-mfa/core'
import { parseTrustProxy, redisUrlProblem, type TrustProxySetting } from '@okta-mfa/gateway'
import { emulatorAuthOf, oktaAuthFromEnv, type EmulatorAuth } from './okta-auth.js'

/** A setting in the environment that cannot be used; `code` is stable, the message names the variable. */
export class ConfigError extends Error {
  readonly code = 'APP_CONFIG_INVALID'
  override readonly name = 'ConfigError'
}

/** What `main.ts` needs to start the app. */
export interface AppConfig {
  /** TCP port; `0` picks a free one. @default 3000 */
  port: number
  /** Interface to listen on. @default '127.0.0.1' */
  host: string
  /** 32-byte key for @fastify/secure-session (the newest of `sessionKeys`). */
  sessionKey: Buffer
  /** `SESSION_KEY` as a comma-separated list, newest first: the first encrypts, any decrypts (key rotation). */
  sessionKeys: Buffer[]
  /**
   * `REDIS_URL`: attempt counters and session revocations live there, shared with every instance of the app and
   * with standalone gateways given the same URL. Unset: in this process only.
   */
  redisUrl: string | undefined
  /** True when `SESSION_KEY` was absent and a key was generated for this process. */
  sessionKeyGenerated: boolean
  /** A real Okta org (with an SSWS token or OAuth 2.0 settings), or `undefined` to start the emulator in-process. */
  okta: { orgUrl: string, token: string, allowInsecureHttp: boolean } | { orgUrl: string, auth: OktaOAuthOptions, allowInsecureHttp: boolean } | undefined
  /** DEMO_OKTA_AUTH (or `--oauth`): how the app talks to the in-process emulator. @default 'ssws' */
  emulatorAuth?: EmulatorAuth
  /**
   * `TRUST_PROXY`: the TLS-terminating proxy whose X-Forwarded-Proto/For count (true, a hop count, or its addresses
   * or CIDR ranges). Off by default: forwarded headers are then ignored, and the cookie is Secure on https only.
   */
  trustProxy: TrustProxySetting
  /** `REMEMBER_DEVICE_DAYS`: lifetime of "Remember this device" (0 turns it off). @default 30 */
  rememberDeviceDays: number
  /** `LOG_LEVEL`: one of {@link LOG_LEVELS}. @default 'warn' */
  logLevel: LogLevel
  /** `DEMO_PASSWORD`: the demo accounts' password, chosen by whoever runs the app (never printed); unset when empty. */
  demoPassword: string | undefined
}

/** pino's levels, and `silent` (no log at all). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
/** A value of `LOG_LEVEL`. */
export type LogLevel = typeof LOG_LEVELS[number]

/** At most this many keys in SESSION_KEY (the newest and the ones being rotated out). */
export const MAX_SESSION_KEYS = 8

/**
 * Decodes a 32-byte key given as 64 hex characters or as base64 (44 characters with padding).
 * Returns `undefined` when the text is neither.
 */
export function decodeSessionKey (text: string): Buffer | undefined {
  const value = text.trim()
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex')
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(value)) {
    const key = Buffer.from(value, value.includes('-') || value.includes('_') ? 'base64url' : 'base64')
    if (key.length === 32) return key
  }
  return undefined
}

/**
 * Builds the configuration from environment variables:
 * `PORT` (default 3000), `HOST` (default 127.0.0.1), `SESSION_KEY` (32 bytes as hex or base64; several separated by
 * commas, newest first, to rotate; generated when absent), `REDIS_URL` (shared attempt counters and revocations),
 * `OKTA_ORG_URL` with `OKTA_API_TOKEN` or the OAuth 2.0 settings `OKTA_CLIENT_ID`, `OKTA_PRIVATE_KEY`/`OKTA_PRIVATE_KEY_FILE`,
 * `OKTA_KEY_ID`, `OKTA_SCOPES`, `OKTA_DPOP` (all or none; none starts the emulator), `DEMO_OKTA_AUTH` (`ssws` or
 * `oauth`: how the app talks to that emulator), `TRUST_PROXY` (default off), `REMEMBER_DEVICE_DAYS` (default 30),
 * `LOG_LEVEL` (default warn), `DEMO_PASSWORD` (empty: unset).
 * @throws {ConfigError} naming the variable that is wrong.
 * @example
 * const config = readConfig(process.env)
 */
export function readConfig (env: Record<string, string | undefined>): AppConfig {
  const portText = env.PORT ?? ''
  let port = 3000
  if (portText !== '') {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
      throw new ConfigError(`PORT must be a number from 0 to 65535, got ${JSON.stringify(portText)}`)
    }
    port = Number(portText)
  }
  const host = env.HOST === undefined || env.HOST === '' ? '127.0.0.1' : env.HOST

  let sessionKeys: Buffer[]
  let sessionKeyGenerated = false
  if (env.SESSION_KEY === undefined || env.SESSION_KEY === '') {
    sessionKeys = [randomBytes(32)]
    sessionKeyGenerated = true
  } else {
    // Several keys, newest first, for rotation: the first encrypts new cookies, the others still decrypt old ones.
    const parts = env.SESSION_KEY.split(',').map((part) => part.trim()).filter((part) => part !== '')
    const decoded = parts.map(decodeSessionKey)
    // The value itself is a secret: the message describes it without repeating it.
    if (parts.length === 0 || parts.length > MAX_SESSION_KEYS || decoded.some((key) => key === undefined)) {
      throw new ConfigError(`SESSION_KEY must be 32 bytes written as 64 hex characters or as base64 (make one with: openssl rand -hex 32); to rotate, up to ${MAX_SESSION_KEYS} keys separated by commas, newest first`)
    }
    sessionKeys = decoded as Buffer[]
  }
  const sessionKey = sessionKeys[0]!
  const redisUrl = env.REDIS_URL === undefined || env.REDIS_URL === '' ? undefined : env.REDIS_URL
  if (redisUrl !== undefined) {
    const problem = redisUrlProblem(redisUrl)
    if (problem !== undefined) throw new ConfigError(problem)
  }

  const orgUrl = env.OKTA_ORG_URL ?? ''
  const setting = oktaAuthFromEnv(env, (message) => new ConfigError(message))
  const emulatorAuth = emulatorAuthOf(env.DEMO_OKTA_AUTH)
  if (emulatorAuth === undefined) throw new ConfigError('DEMO_OKTA_AUTH must be ssws or oauth')
  let okta: AppConfig['okta']
  if (orgUrl !== '' || setting !== undefined) {
    const authVars = setting?.kind === 'oauth' ? 'OKTA_CLIENT_ID' : 'OKTA_API_TOKEN'
    if (orgUrl === '') throw new ConfigError(`OKTA_AUTH_INCOMPLETE: ${authVars} is set but OKTA_ORG_URL is not: set both to use an Okta org, or neither to use the emulator`)
    if (setting === undefined) {
      throw new ConfigError('OKTA_ORG_URL is set but OKTA_API_TOKEN is not, nor OKTA_CLIENT_ID with OKTA_PRIVATE_KEY or OKTA_PRIVATE_KEY_FILE (OKTA_AUTH_MISSING): set one to use an Okta org, or unset OKTA_ORG_URL to use the emulator')
    }
    // Only `oauth` is refused: `ssws`, the default, changes nothing here and may be set explicitly.
    if (emulatorAuth === 'oauth') {
      throw new ConfigError('DEMO_OKTA_AUTH (--oauth) is for the in-process emulator: with OKTA_ORG_URL, set OKTA_API_TOKEN or the OKTA_CLIENT_ID settings instead')
    }
    // Never quoted back: the value may hold credentials. Plain http only on loopback (an emulator: `pnpm emulator`).
    const problem = oktaOrgUrlProblem(orgUrl)
    if (problem !== undefined) throw new ConfigError(problem)
    const url = new URL(orgUrl)
    okta = setting.kind === 'ssws'
      ? { orgUrl, token: setting.auth, allowInsecureHttp: url.protocol === 'http:' }
      : { orgUrl, auth: setting.auth, allowInsecureHttp: url.protocol === 'http:' }
  }
  const trustProxy = parseTrustProxy(env.TRUST_PROXY)
  if (trustProxy === undefined) throw new ConfigError('TRUST_PROXY must be true, false, a hop count, or proxy addresses/CIDR ranges separated by commas')
  const rawDays = env.REMEMBER_DEVICE_DAYS ?? ''
  const rememberDeviceDays = rawDays === '' ? 30 : Number(rawDays)
  if (!/^[0-9]{1,3}$/.test(rawDays === '' ? '30' : rawDays) || rememberDeviceDays > 400) throw new ConfigError('REMEMBER_DEVICE_DAYS must be a whole number of days from 0 to 400')
  const logLevelText = env.LOG_LEVEL ?? ''
  const logLevel = logLevelText === '' ? 'warn' : LOG_LEVELS.find((level) => level === logLevelText)
  if (logLevel === undefined) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevelText)}`)
  // Like every other variable, an empty DEMO_PASSWORD is unset (not an empty password).
  const demoPassword = env.DEMO_PASSWORD === undefined || env.DEMO_PASSWORD === '' ? undefined : env.DEMO_PASSWORD
  return { port, host, sessionKey, logLevel, demoPassword, sessionKeyGenerated, sessionKeys, okta, trustProxy, redisUrl, rememberDeviceDays, ...(emulatorAuth === 'oauth' ? { emulatorAuth } : {}) }
}
