// The primary login that comes before the MFA step, made safe to count: what a password sign-in may carry, checked
// before anything counts or hashes it. passport-local reads a field from the query string when the body's is empty,
// so credentials in the URL are refused (they would also land in logs, history and Referer). Sizes are bounded before
// any store sees them, and the attempt limiter's key is one per normalized account: the same function names the
// account for the limiter and for the password check. Both examples use it in front of passport-local.
import { createHash } from 'node:crypto'
import { normalizeUsername } from '@okta-mfa/core'

/** Longest username accepted, in Unicode code points, before and after normalization. */
export const MAX_USERNAME_LENGTH = 256
/** Longest password accepted, in Unicode code points (scrypt reads all of it). */
export const MAX_PASSWORD_LENGTH = 1024

/** Why a sign-in post was refused before the password was checked. */
export type LoginInputCode = 'CREDENTIALS_IN_URL' | 'MISSING_CREDENTIALS' | 'USERNAME_TOO_LONG' | 'PASSWORD_TOO_LONG'

/** The words each {@link LoginInputCode} is shown with. */
export const LOGIN_INPUT_MESSAGES: Readonly<Record<LoginInputCode, string>> = Object.freeze({
  CREDENTIALS_IN_URL: 'Sign-in details go in the form, never in the address. Use the sign-in form.',
  MISSING_CREDENTIALS: 'Enter your username and password.',
  USERNAME_TOO_LONG: `That username is too long (at most ${MAX_USERNAME_LENGTH} characters).`,
  PASSWORD_TOO_LONG: `That password is too long (at most ${MAX_PASSWORD_LENGTH} characters).`,
})

/** A checked sign-in: the account's normalized name and its limiter key. */
export interface LoginInput {
  /** The input can be checked against the account. */
  ok: true
  /** The username, normalized ({@link normalizeUsername}). */
  username: string
  /** The attempt limiter's key of the account ({@link loginKeyOf}). */
  key: string
}

/** A refused sign-in. */
export interface LoginRefusal {
  /** The input is refused before any password check. */
  ok: false
  /** Why, a key of {@link LOGIN_INPUT_MESSAGES}. */
  code: LoginInputCode
  /** End-user text of `code`. */
  message: string
}

/** The attempt limiter's key of a normalized username: fixed size, one per account. */
export function loginKeyOf (username: string): string {
  return `login:${createHash('sha256').update(username, 'utf8').digest('base64url')}`
}

/**
 * Whether `text` has more than `max` Unicode code points (not UTF-16 units: `😀` is one; not graphemes, which a
 * combining mark can grow without bound), in time bounded by `2 × max` whatever the text's length.
 */
function isLonger (text: string, max: number): boolean {
  if (text.length <= max) return false
  if (text.length > 2 * max) return true // at least length / 2 code points
  let count = 0
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    // The second half of a surrogate pair is part of the character before it.
    if (unit >= 0xdc00 && unit <= 0xdfff && i > 0) {
      const before = text.charCodeAt(i - 1)
      if (before >= 0xd800 && before <= 0xdbff) continue
    }
    count++
  }
  return count > max
}

/**
 * Checks a sign-in post: no query string at all (passport-local would read credentials from it), a username and a
 * password that are non-empty strings of bounded size.
 *
 * @example
 * const input = checkLoginInput(request.url, request.body)
 * if (!input.ok) return reply.code(400).send({ error: { code: input.code } })
 */
export function checkLoginInput (url: string, body: unknown): LoginInput | LoginRefusal {
  const refuse = (code: LoginInputCode): LoginRefusal => ({ ok: false, code, message: LOGIN_INPUT_MESSAGES[code] })
  if (url.includes('?')) return refuse('CREDENTIALS_IN_URL')
  const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
  const { username, password } = fields
  if (typeof username !== 'string' || typeof password !== 'string') return refuse('MISSING_CREDENTIALS')
  if (isLonger(username, MAX_USERNAME_LENGTH)) return refuse('USERNAME_TOO_LONG')
  if (isLonger(password, MAX_PASSWORD_LENGTH)) return refuse('PASSWORD_TOO_LONG')
  const normalized = normalizeUsername(username)
  if (isLonger(normalized, MAX_USERNAME_LENGTH)) return refuse('USERNAME_TOO_LONG')
  if (normalized === '' || password === '') return refuse('MISSING_CREDENTIALS')
  return { ok: true, username: normalized, key: loginKeyOf(normalized) }
}
