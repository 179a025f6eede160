// The Express example's settings, read from the environment and checked before anything starts. A bad one is a
// ConfigError whose message names the variable but never quotes its value (it may be a secret or a password). An
// empty value counts as unset, for every variable.
import { redisUrlProblem } from '@okta-mfa/core'
import { parseTrustProxy, type TrustProxySetting } from './trust-proxy.js'

/** A setting that cannot be used: `main` prints "Configuration error: <message>" and exits 1. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** Where the example listens unless HOST says otherwise: this machine only. */
export const DEFAULT_HOST = '127.0.0.1'
/** HTTP port unless PORT says otherwise. */
export const DEFAULT_PORT = 3001
/** SESSION_SECRET signs the session and "Remember this device" cookies: at least this many characters. */
export const MIN_SESSION_SECRET_LENGTH = 32
/** SESSION_SECRET holds at most this many secrets (the newest and the ones it rotates out). */
export const MAX_SESSION_SECRETS = 8

/** The example's settings. */
export interface Settings {
  port: number
  host: string
  /**
   * The default local mode: bound to 127.0.0.1 (HOST unset, or set to that). Only then does the demo account keep its well-known
   * password, and only that built-in password is ever printed.
   */
  localMode: boolean
  /** SESSION_SECRET's first (newest) secret; undefined: a random one per start. */
  sessionSecret: string | undefined
  /** SESSION_SECRET's older secrets, newest first: cookies they signed are still accepted (rotation). */
  oldSessionSecrets: string[]
  /** MFA_MAX_AGE_SECONDS (step-up); undefined: no limit. */
  mfaMaxAgeSeconds: number | undefined
  /** REMEMBER_DEVICE_DAYS; undefined: buildApp's default. */
  rememberDeviceDays: number | undefined
  /** DEMO_PASSWORD, chosen by whoever runs the example: never printed. */
  demoPassword: string | undefined
  /** REDIS_URL, checked with redisUrlProblem. */
  redisUrl: string | undefined
  /** EMULATOR_PORT; 0: any free port. */
  emulatorPort: number
  /** TRUST_PROXY as Express's `trust proxy`; false (the default): forwarded headers are ignored. */
  trustProxy: TrustProxySetting
}

type Env = Record<string, string | undefined>

/** The variable's value; undefined when unset or empty. */
function setting (env: Env, name: string): string | undefined {
  const value = env[name]
  return value === undefined || value === '' ? undefined : value
}

/** A whole number from `min` to `max`, or undefined when unset; `rule` says what is expected (no value quoted). */
function wholeNumber (env: Env, name: string, min: number, max: number, rule: string): number | undefined {
  const raw = setting(env, name)
  if (raw === undefined) return undefined
  const text = raw.trim()
  const value = /^[0-9]{1,10}$/.test(text) ? Number(text) : Number.NaN
  if (!(value >= min && value <= max)) throw new ConfigError(`${name} must be ${rule} (its value is not shown)`)
  return value
}

/**
 * Reads and checks the example's environment.
 *
 * @throws ConfigError naming the first unusable variable.
 * @example const settings = readSettings(process.env)
 */
export function readSettings (env: Env): Settings {
  const port = wholeNumber(env, 'PORT', 0, 65535, 'a port number from 0 to 65535') ?? DEFAULT_PORT
  const host = setting(env, 'HOST') ?? DEFAULT_HOST
  // Several secrets, comma-separated, newest first, rotate it: the first signs, every one is accepted.
  const secrets = setting(env, 'SESSION_SECRET')?.split(',').map((part) => part.trim()).filter((part) => part !== '')
  if (secrets !== undefined && (secrets.length === 0 || secrets.length > MAX_SESSION_SECRETS || secrets.some((part) => part.length < MIN_SESSION_SECRET_LENGTH))) {
    throw new ConfigError(`SESSION_SECRET must be 1 to ${MAX_SESSION_SECRETS} comma-separated secrets of at least ${MIN_SESSION_SECRET_LENGTH} characters each, newest first, e.g. from: openssl rand -hex 32 (its value is not shown)`)
  }
  const [sessionSecret, ...oldSessionSecrets] = secrets ?? []
  const mfaMaxAgeSeconds = wholeNumber(env, 'MFA_MAX_AGE_SECONDS', 1, 10 ** 9, 'a whole number of seconds from 1 to 1000000000')
  const rememberDeviceDays = wholeNumber(env, 'REMEMBER_DEVICE_DAYS', 0, 400, 'a whole number of days from 0 to 400')
  const redisUrl = setting(env, 'REDIS_URL')
  const redisProblem = redisUrl === undefined ? undefined : redisUrlProblem(redisUrl)
  if (redisProblem !== undefined) throw new ConfigError(redisProblem)
  const emulatorPort = wholeNumber(env, 'EMULATOR_PORT', 0, 65535, 'a port number from 0 to 65535') ?? 0
  const trustProxy = parseTrustProxy(env.TRUST_PROXY)
  if (trustProxy === undefined) throw new ConfigError('TRUST_PROXY must be true, false, a hop count, or proxy addresses/CIDR ranges separated by commas (its value is not shown)')
  return {
    port,
    host,
    localMode: host === DEFAULT_HOST,
    sessionSecret,
    oldSessionSecrets,
    mfaMaxAgeSeconds,
    rememberDeviceDays,
    demoPassword: setting(env, 'DEMO_PASSWORD'),
    redisUrl,
    emulatorPort,
    trustProxy,
  }
}
