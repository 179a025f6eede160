// Size bounds applied before anything reaches a store, and the caps of the in-memory stores.
// Every per-key counter the emulator keeps (failed verifications, activation failures, the last
// accepted TOTP step, the resend throttle) lives on a user or factor record, and records are never
// evicted: a full store refuses new users instead, so a flood cannot reset anyone's counter.

/** Longest login (Okta's documented maximum for `login`). */
export const MAX_LOGIN = 100
/** Longest profile string value. */
export const MAX_PROFILE_VALUE = 1024
/** Longest password, recovery answer or security-question answer accepted. */
export const MAX_SECRET = 1024
/** Longest passCode looked at; a longer one is simply wrong (it never matches and is never stored). */
export const MAX_PASSCODE = 64
/** Default cap on users held by one emulator. */
export const DEFAULT_MAX_USERS = 100_000
/** Default cap on outbox messages kept. */
export const DEFAULT_MAX_MESSAGES = 10_000
/** Default cap on each of the authorization server's records: access tokens, client assertion ids, DPoP proof ids. */
export const DEFAULT_MAX_OAUTH_RECORDS = 100_000
/** Push verifications kept per factor (the oldest settled or expired go first). */
export const MAX_PUSH_TRANSACTIONS = 20

/** The ranges [min, max] of the emulator's integer options, shared by `validateOptions` and the CLI's argument parser. */
export const OPTION_RANGES = {
  port: [0, 65535],
  totpWindow: [0, 10],
  lockoutThreshold: [0, Number.MAX_SAFE_INTEGER],
  bodyLimit: [1, Number.MAX_SAFE_INTEGER],
  maxUsers: [1, Number.MAX_SAFE_INTEGER],
  maxMessages: [1, Number.MAX_SAFE_INTEGER],
  maxOAuthRecords: [1, Number.MAX_SAFE_INTEGER],
} as const satisfies Record<string, readonly [number, number]>

/**
 * Whether a string may be the SSWS token: visible ASCII, no spaces (it is sent as `SSWS <token>`). A control character
 * or a character above U+00FF is a header no HTTP client sends (fetch throws on it; @okta-mfa/client has this rule).
 */
export function isUsableToken (token: unknown): token is string {
  return typeof token === 'string' && /^[\x21-\x7e]+$/.test(token)
}

/**
 * What passes for an email address (a login, a user's email or secondEmail, an email factor's address): one `@`
 * between two non-empty parts without spaces, control or format characters (bidi overrides, zero-width spaces, soft
 * hyphens) or lone surrogates, none of which Okta's email pattern lets through. The zero-width joiner and non-joiner
 * (U+200D, U+200C) stay allowed: names in several scripts and joined emoji are written with them.
 */
export const EMAILISH = /^(?:[^\s@\p{Cc}\p{Cf}\p{Cs}]|[\u200C\u200D])+@(?:[^\s@\p{Cc}\p{Cf}\p{Cs}]|[\u200C\u200D])+$/u
