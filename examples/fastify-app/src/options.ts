// buildApp's options, and the checks that turn a wrong one into a TypeError naming it before anything starts.
import type { OktaClientOptions } from '@okta-mfa/client'
import type { EmulatorOptions } from '@okta-mfa/emulator'
import type { FastifyServerOptions } from 'fastify'
import type { EmulatorAuth } from './okta-auth.js'
import type { UserSeed } from './users.js'

/** Options of {@link buildApp}. */
export interface BuildAppOptions {
  /** A real Okta org (https). Without it the app starts the emulator in-process. */
  orgUrl?: string
  /** The org's SSWS API token; with `orgUrl`, this or `auth`. */
  token?: string
  /** How to authorize to the org, with `orgUrl` (instead of `token`): the client's `auth` option (SSWS token or OAuth 2.0 settings). */
  auth?: OktaClientOptions['auth']
  /**
   * Without `orgUrl`: how the app talks to the in-process emulator. `'oauth'` registers a service app there at start
   * (a fresh key pair, DPoP required) and every Okta call of the app goes over OAuth 2.0 with DPoP. @default 'ssws'
   */
  emulatorAuth?: EmulatorAuth
  /** Accept an `http:` orgUrl (an emulator on loopback started apart). @default false */
  allowInsecureHttp?: boolean
  /** Options for the in-process emulator (port 0 and the demo seed unless given). */
  emulator?: Omit<EmulatorOptions, 'clock'>
  /** 32-byte key of the session cookie (@fastify/secure-session): new cookies are encrypted with it. */
  sessionKey: Buffer
  /** Older 32-byte keys that still decrypt cookies (key rotation), newest first. @default [] */
  oldSessionKeys?: readonly Buffer[]
  /**
   * Redis for the attempt counters and the session revocations, shared by every instance and by standalone gateways
   * given the same URL (`redis://…`). The app opens the client and closes it with itself. @default in this process
   */
  redisUrl?: string
  /** Time source in ms for the emulator, the strategy, the guards and the gateway (tests move it). @default Date.now */
  clock?: () => number
  /** Fastify's logger option. @default false */
  logger?: FastifyServerOptions['logger']
  /** The app's accounts. @default DEMO_USERS */
  users?: readonly UserSeed[]
  /**
   * Show the demo accounts' passwords on the sign-in page and in `demo` (main.ts prints them). Off when the app is
   * reachable from other machines: its passwords are then DEMO_PASSWORD or random, and never shown. @default true
   */
  showDemoPasswords?: boolean
  /**
   * With `showDemoPasswords: false`, what the sign-in page and the banner say instead of the password: where it
   * comes from (DEMO_PASSWORD) or that it is random. @default HIDDEN_DEMO_PASSWORD
   */
  hiddenPasswordNote?: string
  /** `Secure` attribute of the session cookie; `'auto'` sets it on https requests. @default 'auto' */
  cookieSecure?: boolean | 'auto'
  /** Lifetime of "Remember this device", in days (0 turns the checkbox off). @default 30 */
  rememberDeviceDays?: number
  /**
   * Honour X-Forwarded-Proto/For from a TLS-terminating proxy (`true`: the one that connects, a hop count, or the proxy's addresses/CIDRs),
   * so that `'auto'` cookies are Secure behind it. Off by default: forwarded headers are ignored.
   * @default false
   */
  trustProxy?: boolean | number | string
}

/** Throws a TypeError naming the first option of {@link BuildAppOptions} that is wrong. */
export function checkOptions (options: BuildAppOptions): void {
  if (typeof options !== 'object' || options === null) throw new TypeError('buildApp needs an options object')
  if (!Buffer.isBuffer(options.sessionKey) || options.sessionKey.length !== 32) throw new TypeError('"sessionKey" option must be a Buffer of 32 bytes')
  const old = options.oldSessionKeys
  if (old !== undefined && (!Array.isArray(old) || !old.every((key) => Buffer.isBuffer(key) && key.length === 32))) {
    throw new TypeError('"oldSessionKeys" option must be an array of 32-byte Buffers')
  }
  if (options.redisUrl !== undefined && (typeof options.redisUrl !== 'string' || !/^rediss?:\/\//.test(options.redisUrl))) {
    throw new TypeError('"redisUrl" option must be a redis:// or rediss:// URL')
  }
  if (options.token !== undefined && options.auth !== undefined) throw new TypeError('"token" and "auth" options are exclusive: give one way to authorize')
  if ((options.orgUrl === undefined) !== (options.token === undefined && options.auth === undefined)) {
    throw new TypeError('"orgUrl" and "token" (or "auth") options go together: give both or neither')
  }
  if (options.emulatorAuth !== undefined && (options.orgUrl !== undefined || !['ssws', 'oauth'].includes(options.emulatorAuth))) {
    throw new TypeError('"emulatorAuth" option must be \'ssws\' or \'oauth\', and only without "orgUrl" (the in-process emulator)')
  }
  if (options.clock !== undefined && typeof options.clock !== 'function') throw new TypeError('"clock" option must be a function')
  const days = options.rememberDeviceDays
  if (days !== undefined && (typeof days !== 'number' || !Number.isFinite(days) || days < 0 || days > 400)) throw new TypeError('"rememberDeviceDays" option must be a number of days from 0 to 400')
  const trust = options.trustProxy
  if (trust !== undefined && typeof trust !== 'boolean' && typeof trust !== 'string' && !(typeof trust === 'number' && Number.isInteger(trust) && trust >= 0)) {
    throw new TypeError('"trustProxy" option must be a boolean, a hop count or proxy addresses')
  }
}
