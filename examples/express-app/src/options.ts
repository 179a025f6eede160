// The options of buildApp (src/app.ts) and what it returns, kept apart from the routes; with "Remember this device"
// built from them.
import type { Express, Request } from 'express'
import type { Store } from 'express-session'
import {
  DEFAULT_REMEMBER_DAYS, RememberedDevices,
  type AttemptStore, type MfaOktaClient, type OktaMfaStrategy, type OktaMfaStrategyOptions, type RevocationStore,
} from 'passport-okta-mfa'
import type { BoundedMemoryStore } from './session-store.js'
import type { TrustProxySetting } from './trust-proxy.js'
import type { AppUser, UserSeed } from './users.js'

/** How the app reaches Okta: an existing client, an org URL and API token, or an org URL and the client's `auth` (OAuth 2.0). */
export type OktaConnection =
  | { client: MfaOktaClient }
  | { orgUrl: string, token: string, allowInsecureHttp?: boolean, timeoutMs?: number }
  | { orgUrl: string, auth: NonNullable<OktaMfaStrategyOptions['auth']>, allowInsecureHttp?: boolean, timeoutMs?: number }

/** Options of {@link buildApp}. */
export interface BuildAppOptions {
  /** Okta (or the emulator). */
  okta: OktaConnection
  /** The app's users; `email` is their Okta login. */
  users: readonly UserSeed[]
  /** Signs the session cookie (and the "Remember this device" cookie); at least 32 characters. */
  sessionSecret: string
  /** Older secrets, newest first, whose session cookies are still accepted (rotation). @default none */
  oldSessionSecrets?: readonly string[]
  /** Ask for a new code when the last one is older than this (step-up). @default no limit */
  mfaMaxAgeSeconds?: number
  /** Time source in ms, for the strategy, the guard and the in-process session store (tests inject one). @default Date.now */
  clock?: () => number
  /** Create missing Okta users on first MFA (without credentials). @default false */
  provision?: boolean
  /**
   * Always mark the session and device cookies `Secure`. @default false: `Secure` when the request is https as Express
   * sees it (`req.secure`, which reads X-Forwarded-Proto only from a `trustProxy` proxy), so http://localhost works
   */
  secureCookie?: boolean
  /**
   * Express's `trust proxy` (TRUST_PROXY): the proxy whose X-Forwarded-For (the client's IP, which Okta's verify gets)
   * and X-Forwarded-Proto count, as a hop count (1: the proxy that connects) or its addresses/CIDR ranges.
   * @default false (forwarded headers ignored: the IP is the connecting peer's)
   */
  trustProxy?: TrustProxySetting
  /** Demo only: a line of HTML on the MFA page saying how to get a code. */
  demoHint?: string
  /** Password attempts per account per 15 minutes before sign-in is paused for it. @default 10 */
  maxLoginAttempts?: number
  /**
   * Where passcode attempts are counted: share one store (Redis) between instances so that a user gets the same
   * number of attempts in total, not per instance. @default a MemoryAttemptStore (this process only)
   */
  attemptStore?: AttemptStore
  /** Where logouts are remembered, so that a copy of a logged-out session is refused on every instance. @default a MemoryRevocationStore */
  revocations?: RevocationStore
  /**
   * The express-session store (connect-redis to share sessions between instances). @default a BoundedMemoryStore
   * (this process only) holding at most `maxSessions`
   */
  sessionStore?: Store
  /**
   * Without `sessionStore`: sessions kept in this process at most; one more signs out the least recently used.
   * @default DEFAULT_MAX_SESSIONS (10,000)
   */
  maxSessions?: number
  /**
   * Lifetime of "Remember this device" in days; 0 turns the checkbox off. Never offered with `mfaMaxAgeSeconds`: a
   * step-up asks for a code every time. @default DEFAULT_REMEMBER_DAYS (30)
   */
  rememberDeviceDays?: number
}

/** The app and what to close with it. */
export interface BuiltApp {
  app: Express
  strategy: OktaMfaStrategy<AppUser, Request>
  /** The in-process session store, when no `sessionStore` was given (its `size` is how many sessions it holds). */
  memorySessions: BoundedMemoryStore | undefined
  /** Closes the Okta client the strategy created (not a given one). */
  close: () => Promise<void>
}

/** "Remember this device", unless turned off or the app asks for a code at every step-up. */
export function rememberedDevicesOf (options: BuildAppOptions, store: RevocationStore, activeFactorIds: (user: unknown) => Promise<string[]>): RememberedDevices | undefined {
  const days = options.rememberDeviceDays ?? DEFAULT_REMEMBER_DAYS
  if (typeof days !== 'number' || !Number.isFinite(days) || days < 0 || days > 400) throw new TypeError('"rememberDeviceDays" option must be a number of days from 0 to 400')
  if (days === 0 || options.mfaMaxAgeSeconds !== undefined) return undefined
  // Signed with the session secret (at least 32 characters), bound to the user's active factors.
  return new RememberedDevices({ secret: [options.sessionSecret, ...options.oldSessionSecrets ?? []], maxAgeDays: days, store, activeFactorIds, ...(options.clock === undefined ? {} : { clock: options.clock }) })
}

