// Public types of @okta-mfa/emulator and the records it keeps. Records are plain JSON-able
// objects so the `--data` file is just their serialisation.
import type { JWK } from 'jose'

/** A message the emulator "sent" (an sms, a voice call or an email), kept in the outbox. */
export interface OutboxMessage {
  /** Sequence id, unique within one emulator (`msg1`, `msg2`, …). */
  id: string
  /** How the code was sent. */
  channel: 'sms' | 'call' | 'email'
  /** Phone number or email address. */
  to: string
  /** Id of the user the code was sent to. */
  userId: string
  /** Id of the factor the code is for. */
  factorId: string
  /** The one-time code. */
  code: string
  /** ISO timestamp (emulator clock). */
  sentAt: string
}

/** Filter for {@link Emulator.messages}; every given field must match. */
export interface MessageFilter {
  /** Only messages to this user. */
  userId?: string | undefined
  /** Only messages for this factor. */
  factorId?: string | undefined
  /** Only messages sent this way. */
  channel?: 'sms' | 'call' | 'email' | undefined
}

/** The per-endpoint buckets rate limits count in. */
export type RateLimitBucket = 'users' | 'user' | 'factors' | 'verify' | 'token'

/** Rate-limit settings: fixed windows per bucket, org-wide (as Okta counts them). */
export interface RateLimitOptions {
  /** Window length in ms. @default 60000 */
  windowMs?: number | undefined
  /**
   * Requests per window by bucket: `users` = `GET|POST /api/v1/users`, `user` = one user and its lifecycle,
   * `factors` = catalog, questions, list, get, enroll, activate, delete, `verify` = verify, resend, transactions,
   * `token` = the OAuth token endpoint (`POST /oauth2/v1/token`).
   * @default { users: 600, user: 2000, factors: 1000, verify: 1000, token: 1000 }
   */
  limits?: Partial<Record<RateLimitBucket, number | undefined>> | undefined
}

/** A user to preload (`seed` option or `--seed FILE`, a JSON array of these). */
export interface SeedUser {
  /** Fixed id: 1 to 500 URL-safe characters (Okta's own are 20, `00u…`); random (Okta's shape) when absent. */
  id?: string
  /** The login: an email address, unique in the seed and the emulator (case- and accent-insensitive). */
  login: string
  /** The primary email address, an email address too. @default login */
  email?: string
  /** Given name. */
  firstName?: string
  /** Family name. */
  lastName?: string
  /** The user's lifecycle status. @default 'ACTIVE' */
  status?: 'STAGED' | 'PROVISIONED' | 'ACTIVE'
  /** Pre-enrolled factors, ACTIVE unless `status` says otherwise. */
  factors?: SeedFactor[]
}

/** A pre-enrolled factor of a {@link SeedUser}. */
export type SeedFactor = {
  /** Fixed factor id: 1 to 500 URL-safe characters (not `.` or `..`); random when absent. */
  id?: string
  /** The factor's status. @default 'ACTIVE' */
  status?: 'ACTIVE' | 'PENDING_ACTIVATION'
} & (
  | {
    /** The factor type. */
    factorType: 'token:software:totp'
    /** Google Authenticator or Okta Verify. @default 'GOOGLE' */
    provider?: 'GOOGLE' | 'OKTA'
    /** The TOTP shared secret, base32 (A-Z, 2-7): a secret. @default a random one */
    sharedSecret?: string
  }
  | {
    /** The factor type. */
    factorType: 'sms' | 'call'
    /** Who provides it: `OKTA` (the default, and the only one for this type). */
    provider?: 'OKTA'
    /** The phone number codes are sent to or called. */
    phoneNumber: string
  }
  | {
    /** The factor type. */
    factorType: 'email'
    /** Who provides it: `OKTA` (the default, and the only one for this type). */
    provider?: 'OKTA'
    /** The address codes are sent to. @default the user's email */
    email?: string
  }
  | {
    /** The factor type. */
    factorType: 'question'
    /** Who provides it: `OKTA` (the default, and the only one for this type). */
    provider?: 'OKTA'
    /** The question's key, one of Okta's security questions (e.g. `disliked_food`). */
    question: string
    /** The answer (a secret; at least 4 characters). */
    answer: string
  }
  | {
    /** The factor type. */
    factorType: 'push'
    /** Who provides it: `OKTA` (the default, and the only one for this type). */
    provider?: 'OKTA'
  }
)

/** Options of {@link startEmulator}. */
export interface EmulatorOptions {
  /** TCP port; 0 picks a free one. @default 7070 */
  port?: number | undefined
  /** Address to listen on; keep it loopback (anyone with the token can read every code in the outbox). @default '127.0.0.1' */
  host?: string | undefined
  /** The SSWS API token clients must send. @default a random token */
  token?: string | undefined
  /** Milliseconds since the epoch, used for everything time-based. @default Date.now */
  clock?: (() => number) | undefined
  /**
   * JSON file the state is kept in across restarts (atomic write after every acknowledged write). One the emulator
   * cannot use (unreadable, not a state file, a missing or read-only directory, held by another emulator) is a
   * `DataFileError` at start.
   */
  dataFile?: string | undefined
  /**
   * Users to preload: an array, `{ users, serviceApps }`, or the path of a JSON file holding either.
   * Users whose login exists are skipped.
   */
  seed?: string | SeedUser[] | {
    /** The users to preload. */
    users?: SeedUser[]
    /** The service apps to preload, besides {@link EmulatorOptions.serviceApps}. */
    serviceApps?: ServiceApp[]
  } | undefined
  /** TOTP steps accepted either side of the current one. @default 1 */
  totpWindow?: number | undefined
  /** Consecutive failed verifications that lock a user (403 E0000069); 0 = never. @default 5 */
  lockoutThreshold?: number | undefined
  /** A TOTP code (time step) accepted once is refused afterwards with E0000082. `false` only for benchmarks. @default true */
  rejectReplayedCodes?: boolean | undefined
  /** Per-endpoint rate limits; `false` turns them off (the headers are still sent). @default on */
  rateLimits?: false | RateLimitOptions | undefined
  /** Fastify's request logger. @default false */
  logger?: boolean | undefined
  /** Do not echo outbox messages on the console. @default false */
  quiet?: boolean | undefined
  /** Issuer in the otpauth:// URI of QR codes. @default 'Okta Emulator' */
  issuer?: string | undefined
  /** Largest accepted request body in bytes; larger gets 413 with an Okta envelope. @default 1048576 */
  bodyLimit?: number | undefined
  /** Most users the emulator holds; creating one more is refused (400 E0000001), nothing is evicted. @default 100000 */
  maxUsers?: number | undefined
  /** Most outbox messages kept; the oldest are dropped first (a code stays valid on its factor). @default 10000 */
  maxMessages?: number | undefined
  /**
   * Most access tokens the authorization server keeps, and most client assertion and DPoP proof ids it remembers
   * (each); past it the oldest go first. The rate limits keep them well below it. @default 100000
   */
  maxOAuthRecords?: number | undefined
  /** OAuth 2.0 service apps that may get scoped access tokens at `/oauth2/v1/token` (see README). @default none */
  serviceApps?: ServiceApp[] | undefined
  /** DPoP-bound API calls must carry a server nonce (401 `use_dpop_nonce` otherwise). @default false */
  dpopApiNonce?: boolean | undefined
}

/** An OAuth 2.0 service app (Okta's "API Services" integration with private_key_jwt). */
export interface ServiceApp {
  /** The app's client id (`iss` and `sub` of its client assertions). */
  clientId: string
  /** Its public key: a JWK or a JWKS (`{ keys: [...] }`); RSA or EC, public members only. */
  jwks: JWK | {
    /** The app's public keys. */
    keys: JWK[]
  }
  /** The okta.* scopes granted to the app, e.g. `['okta.users.read', 'okta.users.manage']`. */
  scopes: string[]
  /** The app requires DPoP proofs and gets DPoP-bound tokens (Okta's default for new service apps). @default true */
  dpop?: boolean | undefined
}

/** The emulator's authorization server, as tests see it. */
export interface EmulatorOAuth {
  /** Requests `/oauth2/v1/token` received so far, whatever their outcome. */
  tokenRequests(): number
  /** API requests that presented an SSWS token (`Authorization: SSWS ...`) so far, accepted or not. */
  sswsRequests(): number
  /** Adds (or replaces) a service app. */
  registerServiceApp(app: ServiceApp): void
  /** Makes the issued tokens (of one client, or all) expired; returns how many. */
  expireTokens(clientId?: string): number
  /** Revokes the issued tokens (of one client, or all); returns how many. */
  revokeTokens(clientId?: string): number
  /** Makes every DPoP nonce handed out so far stale. */
  rotateDpopNonces(): void
}

/** A running emulator. */
export interface Emulator {
  /** Base URL, e.g. `http://127.0.0.1:7070` (use as the Okta `orgUrl`). */
  url: string
  /** The SSWS API token. */
  token: string
  /** Stops the server. */
  close(): Promise<void>
  /** Messages in the outbox (oldest first), optionally filtered. A `filter` that is not a {@link MessageFilter}: TypeError. */
  messages(filter?: MessageFilter): OutboxMessage[]
  /** The newest message matching `filter` (checked as in {@link messages}). */
  lastMessage(filter?: MessageFilter): OutboxMessage | undefined
  /** Empties the outbox. */
  clearMessages(): void
  /**
   * The TOTP code of an enrolled TOTP factor at `atMs` (default: the emulator clock). Throws an `OktaError` 404 if no
   * such factor, a TypeError if `atMs` is not a finite, non-negative number.
   */
  totpCode(factorId: string, atMs?: number): string
  /** The base32 shared secret of a TOTP factor. Throws an `OktaError` 404 if no such factor, as {@link totpCode}. */
  factorSecret(factorId: string): string
  /** Completes a push enrollment, as if the Okta Verify app had scanned the QR code. */
  activatePush(factorId: string): void
  /**
   * Approves a waiting push transaction (its poll then answers SUCCESS). For a user who cannot verify now
   * (LOCKED_OUT, SUSPENDED, DEPROVISIONED) the approval counts for nothing: the transaction is REJECTED.
   */
  approvePush(transactionId: string): void
  /** Rejects a waiting push transaction (its poll then answers REJECTED). */
  rejectPush(transactionId: string): void
  /** The OAuth 2.0 authorization server: token counts, ending tokens, nonces. */
  oauth: EmulatorOAuth
}

/** User statuses Okta uses. */
export type UserStatus = 'STAGED' | 'PROVISIONED' | 'ACTIVE' | 'RECOVERY' | 'LOCKED_OUT' | 'PASSWORD_EXPIRED' | 'SUSPENDED' | 'DEPROVISIONED'

/** Factor types the emulator supports. */
export type FactorType = 'token:software:totp' | 'sms' | 'call' | 'email' | 'question' | 'push'

/** A one-time code sent by sms, call or email. */
export interface SentCode { code: string, expiresAt: number, used: boolean }

/** A push verification. */
export interface PushTransaction {
  id: string
  result: 'WAITING' | 'SUCCESS' | 'REJECTED' | 'TIMEOUT'
  expiresAt: number
  /** A number matching challenge (`useNumberMatchingChallenge`): the number the user must pick. */
  correctAnswer?: number
}

/** A stored factor. */
export interface FactorRecord {
  id: string
  userId: string
  factorType: FactorType
  provider: 'OKTA' | 'GOOGLE'
  status: 'PENDING_ACTIVATION' | 'ACTIVE'
  created: number
  lastUpdated: number
  profile: Record<string, unknown>
  /** TOTP: base32 secret. */
  secret?: string
  /** TOTP/push: token in the QR link. */
  qrToken?: string
  /** TOTP: highest time step accepted so far (replay protection). */
  lastStep?: number
  /** Timestamps of failed activations (5 per 5 minutes, then 429). */
  activationFailures: number[]
  /** sms/call/email: the latest code sent. */
  sent?: SentCode
  /** sms/call/email: when the latest code was sent (resend throttle). */
  lastSentAt?: number
  /**
   * When this sms or call factor last sent a code to each number it had, by `sms:<digits>` or `call:<digits>` (ms since
   * the epoch): an `updatePhone` back to one of them waits out its 30 s. Entries whose wait is over are dropped at the
   * next send.
   */
  phoneSends?: Record<string, number>
  /** question: salted scrypt hash (`salt:hash`, base64url) of the answer, trimmed and lower-cased. */
  answerHash?: string
  /** question: the plain answer, as only data files from older emulators hold it; hashed into `answerHash` on load. */
  answer?: string
  /** push: verifications. */
  transactions?: PushTransaction[]
  /** push: when the enrollment (QR) expires. */
  activationExpiresAt?: number
}

/** A stored user. */
export interface UserRecord {
  id: string
  status: UserStatus
  created: number
  activated: number | null
  statusChanged: number | null
  lastLogin: number | null
  lastUpdated: number
  passwordChanged: number | null
  profile: Record<string, unknown>
  hasPassword: boolean
  /** The credentials provider when it is not OKTA: FEDERATION or SOCIAL (no password), IMPORT (an imported hash or a password hook). */
  provider?: { type: 'FEDERATION' | 'SOCIAL' | 'IMPORT', name: string }
  /** A password imported as a hash (`credentials.password.hash`), checked in place of `passwordHash`. */
  importedHash?: ImportedPasswordHash
  /** The password is left to a password import inline hook (`credentials.password.hook`), which the emulator never calls. */
  passwordHook?: boolean
  /** Salted scrypt hash of the password (`salt:hash`, base64url); absent when none was set or in older data files. */
  passwordHash?: string
  recoveryQuestion?: string
  /** Salted scrypt hash of the recovery answer (trimmed, lower-cased). */
  recoveryAnswerHash?: string
  /** Consecutive failed factor verifications (lockout). */
  failedVerifications: number
  /** While LOCKED_OUT: the status the lockout interrupted, which `unlock` restores. */
  statusBeforeLockout?: UserStatus
  /**
   * The numbers of unenrolled ACTIVE sms and call factors, kept as recovery phones (Okta's unenroll without
   * `removeRecoveryEnrollment=true`): an enrollment of that type without a `phoneNumber` takes its number.
   */
  recoveryPhones?: { sms?: string, call?: string }
}

/** A password hash imported on create (Okta's `PasswordCredentialHash`), as given. */
export interface ImportedPasswordHash {
  algorithm: 'BCRYPT' | 'MD5' | 'PBKDF2' | 'SHA-1' | 'SHA-256' | 'SHA-512'
  /** Base64 digest (Radix-64 for BCRYPT). */
  value: string
  /** Base64 salt (22 Radix-64 characters for BCRYPT). */
  salt?: string
  saltOrder?: 'PREFIX' | 'POSTFIX'
  workFactor?: number
  digestAlgorithm?: 'SHA256_HMAC' | 'SHA512_HMAC'
  iterationCount?: number
  keySize?: number
}
