// The checks every piece of end-user input passes before it reaches a store, a URL or Okta: fixed shapes and
// bounded sizes, so that no request can make a store hold a huge key or make a check cost more than its size.
import { MfaError } from './outcomes.js'

/** A passcode as Okta issues them (TOTP, sms, call, email): exactly 6 digits. */
export const PASSCODE_PATTERN = /^[0-9]{6}$/
/** Longest raw passcode input looked at (spaces included); anything longer is PASSCODE_MALFORMED unread. */
export const MAX_PASSCODE_INPUT_LENGTH = 32
/** Okta factor ids: short and alphanumeric. */
export const FACTOR_ID_PATTERN = /^[A-Za-z0-9]{1,64}$/
/** Longest security-question answer accepted. */
export const MAX_ANSWER_LENGTH = 256

/** The result of {@link readPasscode}. */
export type PasscodeResult =
  | {
    /** Whether the input is a passcode. */
    ok: true
    /** The 6 digits, whitespace dropped. */
    passCode: string
  }
  | {
    ok: false
    /** PASSCODE_MISSING for no input (or only whitespace), PASSCODE_MALFORMED for anything but 6 digits. */
    code: 'PASSCODE_MISSING' | 'PASSCODE_MALFORMED'
  }

/**
 * Checks a raw passcode: whitespace is dropped ("123 456" as authenticator apps show it, also tabs and no-break
 * spaces from a copy and paste); anything other than
 * 6 digits is malformed, including arrays and objects from extended body parsers and over-long strings.
 *
 * @example
 * readPasscode('123 456') // { ok: true, passCode: '123456' }
 */
export function readPasscode (raw: unknown): PasscodeResult {
  if (raw === undefined || raw === null || raw === '') return { ok: false, code: 'PASSCODE_MISSING' }
  if (typeof raw !== 'string' || raw.length > MAX_PASSCODE_INPUT_LENGTH) return { ok: false, code: 'PASSCODE_MALFORMED' }
  const passCode = raw.replace(/\s/g, '')
  if (passCode === '') return { ok: false, code: 'PASSCODE_MISSING' }
  return PASSCODE_PATTERN.test(passCode) ? { ok: true, passCode } : { ok: false, code: 'PASSCODE_MALFORMED' }
}

/**
 * A factor id the user named, or `undefined` when none was given (`undefined`, `null`, `''`).
 *
 * @throws MfaError FACTOR_NOT_FOUND for anything that cannot be an Okta factor id (no user has such a factor).
 */
export function readFactorId (raw: unknown): string | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined
  if (typeof raw !== 'string' || raw.length > 64 || !FACTOR_ID_PATTERN.test(raw)) throw new MfaError('FACTOR_NOT_FOUND', { field: 'factorId' })
  return raw
}

/**
 * A security-question answer: 1 to {@link MAX_ANSWER_LENGTH} characters (Unicode code points, so an emoji counts once).
 *
 * @throws MfaError BAD_USER_INPUT (field `answer`).
 */
export function readAnswer (raw: unknown): string {
  // A code point is one or two UTF-16 units: the length check bounds the work before the count.
  // A blank answer is no answer: refused here like an empty one, before it uses an attempt.
  if (typeof raw !== 'string' || raw.trim().length === 0 || raw.length > 2 * MAX_ANSWER_LENGTH || codePoints(raw) > MAX_ANSWER_LENGTH) {
    throw new MfaError('BAD_USER_INPUT', { field: 'answer' }, `answer must be 1 to ${MAX_ANSWER_LENGTH} characters.`)
  }
  // A lone UTF-16 surrogate has no UTF-8 form: sent to Okta it would become U+FFFD, so that two different answers
  // (or an answer and a guess) would be one.
  if (LONE_SURROGATE.test(raw)) throw new MfaError('BAD_USER_INPUT', { field: 'answer' }, 'answer must be text: it holds a lone UTF-16 surrogate.')
  return raw
}

/** A UTF-16 surrogate not in a pair (with the `u` flag a pair is one code point, which `\p{Cs}` does not match). */
const LONE_SURROGATE = /\p{Cs}/u

function codePoints (text: string): number {
  let n = 0
  for (const _ of text) n++
  return n
}
