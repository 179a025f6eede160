// A user's password and recovery question: parsed from a create/update body, kept only as salted
// scrypt hashes (so `change_password`, `change_recovery_question` and `forgot_password` can check
// them), or as the hash an import gave (password-import.ts), or left to a password import hook; and
// rendered as Okta renders credentials (`password: {}`, never a value, and the provider). A security
// question factor's answer is kept the way a recovery answer is (setFactorAnswer, checkFactorAnswer).
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto'
import { isObject } from './context.js'
import { validationError } from './errors.js'
import { MAX_SECRET } from './limits.js'
import { checkImported, parseHash } from './password-import.js'
import type { FactorRecord, ImportedPasswordHash, UserRecord } from './types.js'

// A test tool's work factor: cheap enough for suites that create thousands of users.
const SCRYPT = { N: 1024, r: 8, p: 1 } as const

/** `salt:hash` (base64url) of a secret. */
export function hashSecret (value: string): string {
  const salt = randomBytes(16)
  return `${salt.toString('base64url')}:${scryptSync(value, salt, 32, SCRYPT).toString('base64url')}`
}

/** Whether `value` is the secret behind `stored` (constant time; false when nothing is stored). */
export function checkSecret (value: string, stored: string | undefined): boolean {
  if (stored === undefined || value.length > MAX_SECRET) return false
  const [salt = '', hash = ''] = stored.split(':')
  const want = Buffer.from(hash, 'base64url')
  const got = scryptSync(value, Buffer.from(salt, 'base64url'), 32, SCRYPT)
  return want.length === got.length && timingSafeEqual(want, got)
}

/** Recovery answers and security question answers compare trimmed and case-insensitively. */
export const normAnswer = (a: string): string => a.trim().toLowerCase()

/** Sets a question factor's answer, kept only as the salted scrypt hash of the normalised answer (as a recovery answer). */
export function setFactorAnswer (f: FactorRecord, answer: string): void {
  delete f.answer
  f.answerHash = hashSecret(normAnswer(answer))
}

/**
 * Hashes the plain answers a data file from an older emulator holds (see {@link FactorRecord.answer}); true when
 * there was one, so the file can be written again without it.
 */
export function hashPlainAnswers (factors: Iterable<FactorRecord>): boolean {
  let found = false
  for (const f of factors) {
    if (typeof f.answer !== 'string') continue
    setFactorAnswer(f, f.answer)
    found = true
  }
  return found
}

/** Whether `answer` is the question factor's answer (trimmed, case-insensitive; constant time; false when none is kept). */
export function checkFactorAnswer (f: FactorRecord, answer: string): boolean {
  return answer.length <= MAX_SECRET && checkSecret(normAnswer(answer), f.answerHash)
}

/** What a body's `credentials` asks to set. */
export interface CredentialsInput {
  password?: string
  /** An imported password hash (`password.hash`). */
  hash?: ImportedPasswordHash
  /** A password import inline hook (`password.hook`, type `default`). */
  hook?: true
  recovery?: { question: string, answer: string }
}

/** Whether the input sets a password of any kind (a value, an imported hash or a hook). */
export const setsPassword = (c: CredentialsInput): boolean => c.password !== undefined || c.hash !== undefined || c.hook !== undefined

/** A string secret field: non-empty, at most {@link MAX_SECRET} characters. */
export function secretField (v: unknown, field: string, what: string): string {
  if (typeof v !== 'string' || v === '') throw validationError(what, `${field}: The field cannot be left blank`)
  if (v.length > MAX_SECRET) throw validationError(what, `${field}: The field is too long (at most ${MAX_SECRET} characters).`)
  return v
}

/**
 * Parses `credentials` of a create, update or replace body (`what` names the request in errors).
 * `currentQuestion` (update and replace): the user's recovery question now. A `recovery_question` with
 * that question and no answer is what a GET answers (`answer` is writeOnly) sent back: no change, as
 * `password: {}` is; another question without an answer is still refused.
 */
export function parseCredentials (creds: unknown, what: string, currentQuestion?: string): CredentialsInput {
  const out: CredentialsInput = {}
  if (creds === undefined || creds === null) return out
  if (!isObject(creds)) throw validationError(what, 'credentials: Does not match required type object')
  const pw = creds['password']
  if (pw !== undefined && pw !== null) {
    if (!isObject(pw)) throw validationError(what, 'credentials.password: Does not match required type object')
    const value = pw['value']
    if (value !== undefined && value !== null) {
      if (typeof value !== 'string' || value === '') throw validationError('password', 'password: Password requirements were not met.')
      out.password = secretField(value, 'password', 'password')
    }
    if (pw['hash'] !== undefined && pw['hash'] !== null) out.hash = parseHash(pw['hash'], what)
    const hook = pw['hook']
    if (hook !== undefined && hook !== null) {
      if (!isObject(hook) || hook['type'] !== 'default') throw validationError(what, 'password.hook.type: must be default')
      out.hook = true
    }
    if ([out.password, out.hash, out.hook].filter((x) => x !== undefined).length > 1) {
      throw validationError(what, 'password: Give one of value, hash and hook.')
    }
  }
  const rq = creds['recovery_question']
  const unchanged = currentQuestion !== undefined && isObject(rq) && rq['question'] === currentQuestion &&
    (rq['answer'] === undefined || rq['answer'] === null)
  if (rq !== undefined && rq !== null && !unchanged) {
    if (!isObject(rq) || typeof rq['question'] !== 'string' || typeof rq['answer'] !== 'string') {
      throw validationError('recovery_question', 'recovery_question: The question and answer must be strings.')
    }
    out.recovery = {
      question: secretField(rq['question'], 'recovery_question.question', 'recovery_question'),
      answer: secretField(rq['answer'], 'recovery_question.answer', 'recovery_question'),
    }
  }
  return out
}

/**
 * Stores what `c` sets on `u` (hashes only). A password set in Okta makes an imported user's provider
 * OKTA again; an imported hash or a hook makes it IMPORT.
 */
export function applyCredentials (u: UserRecord, c: CredentialsInput, now: number): void {
  if (setsPassword(c)) {
    u.hasPassword = true
    u.passwordChanged = now
    delete u.passwordHash
    delete u.importedHash
    delete u.passwordHook
    if (c.password !== undefined) u.passwordHash = hashSecret(c.password)
    else if (c.hash !== undefined) u.importedHash = c.hash
    else u.passwordHook = true
    if (c.password === undefined) u.provider = { type: 'IMPORT', name: 'IMPORT' }
    else if (u.provider?.type === 'IMPORT') delete u.provider
  }
  if (c.recovery !== undefined) {
    u.recoveryQuestion = c.recovery.question
    u.recoveryAnswerHash = hashSecret(normAnswer(c.recovery.answer))
  }
}

/**
 * Whether `value` is the user's password: against the scrypt hash, or an imported hash (BCRYPT never
 * matches; see password-import.ts). A password left to an import hook matches nothing: the emulator calls no hooks.
 */
export function checkPassword (u: UserRecord, value: string): boolean {
  if (u.passwordHash !== undefined) return checkSecret(value, u.passwordHash)
  return u.importedHash !== undefined && checkImported(value, u.importedHash)
}

/**
 * Statuses of a user who has been activated. Okta's search and filter examples give such a user (ACTIVE, LOCKED_OUT)
 * in a list its primary email, verified, in `credentials.emails`; its examples of one user (created, read) and its
 * real answers for users never activated (STAGED, PROVISIONED) have none.
 */
const ACTIVATED: ReadonlySet<string> = new Set(['ACTIVE', 'RECOVERY', 'LOCKED_OUT', 'PASSWORD_EXPIRED', 'SUSPENDED'])

/** `credentials` as Okta renders them (`inList`: as an item of `GET /users`). */
export function renderCredentials (u: UserRecord, inList = false): Record<string, unknown> {
  const credentials: Record<string, unknown> = {}
  if (u.hasPassword) credentials['password'] = {}
  if (u.recoveryQuestion !== undefined) credentials['recovery_question'] = { question: u.recoveryQuestion }
  const email = u.profile['email']
  if (inList && ACTIVATED.has(u.status) && typeof email === 'string') credentials['emails'] = [{ value: email, status: 'VERIFIED', type: 'PRIMARY' }]
  credentials['provider'] = u.provider === undefined ? { type: 'OKTA', name: 'OKTA' } : { ...u.provider }
  return credentials
}
