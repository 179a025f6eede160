// Checks a seed against the rules the API applies to the same users and factors, so a seed cannot
// hold what the emulator would refuse over HTTP (a login that is not an email address, a status Okta
// does not have, one id twice, two sms factors on one user, a security answer under 4 characters...).
// Every refusal is a TypeError naming the seed entry and the field; secrets (answers, shared
// secrets) are never quoted.
import { unknownField } from './context.js'
import { OktaError } from './errors.js'
import { FACTOR_TYPES, QUESTION_TEXT } from './factors-model.js'
import { EMAILISH, MAX_SECRET } from './limits.js'
import { checkQuestion, MAX_FACTOR_EMAIL, isPhoneNumber } from './routes/factors.js'
import { loginKey } from './store.js'
import { base32Decode } from './totp.js'
import { checkIdentity, checkProfile } from './users-model.js'
import type { FactorType, SeedUser } from './types.js'
import { InvalidOptionError } from './invalid-option.js'

/** The statuses a seeded user may have (those a created user can have). */
const SEED_STATUSES = ['STAGED', 'PROVISIONED', 'ACTIVE']
/** An id the API's paths can carry: URL-safe characters, at most the 500 the router takes. */
const ID = /^[A-Za-z0-9._~-]{1,500}$/

const quote = (v: unknown): string => typeof v === 'string' ? JSON.stringify(v.length > 64 ? `${v.slice(0, 64)}...` : v) : String(v)

/** The text of an API refusal (its first cause, else its summary). */
function reason (err: unknown): string {
  if (err instanceof OktaError) return err.causes[0] ?? err.errorSummary
  throw err
}

/**
 * Checks every user of a seed (already known to be objects with a string `login`). `where` names the seed
 * (`"seed" option`, or with the file's path). Throws TypeError at the first problem.
 */
export function checkSeedUsers (users: readonly SeedUser[], where: string): void {
  const logins = new Map<string, number>()
  const userIds = new Map<string, number>()
  const factorIds = new Map<string, string>()
  for (const [i, u] of users.entries()) {
    const at = `${where}: user ${i} (${quote(u.login)})`
    const bad: (field: string, problem: string) => never = (field, problem) => { throw new InvalidOptionError(`${at}: ${field} ${problem}`) }
    const stray = unknownField(u, USER_FIELDS)
    if (stray !== undefined) bad(quote(stray), `is not a field of a seed user (${[...USER_FIELDS].join(', ')})`)
    const profile: Record<string, unknown> = { login: u.login, email: u.email ?? u.login }
    if (u.firstName !== undefined) profile['firstName'] = u.firstName
    if (u.lastName !== undefined) profile['lastName'] = u.lastName
    try {
      checkIdentity(checkProfile(profile, 'seed'), () => false)
    } catch (err) {
      throw new InvalidOptionError(`${at}: ${reason(err)}`)
    }
    const key = loginKey(u.login)
    if (logins.has(key)) bad('login', `is also the login of user ${logins.get(key)!} (logins are unique, whatever their case)`)
    logins.set(key, i)
    if (u.status !== undefined && !SEED_STATUSES.includes(u.status)) bad('status', `must be one of ${SEED_STATUSES.join(', ')}, got ${quote(u.status)}`)
    if (u.id !== undefined) {
      if (typeof u.id !== 'string' || !ID.test(u.id) || u.id === '.' || u.id === '..') bad('id', 'must be 1 to 500 letters, digits, "-", "_", "." or "~" (not "." or "..")')
      if (userIds.has(u.id)) bad('id', `${u.id} is also the id of user ${userIds.get(u.id)!}`)
      userIds.set(u.id, i)
    }
    if (u.factors === undefined) continue
    if (!Array.isArray(u.factors)) bad('factors', 'must be an array')
    const kinds = new Map<string, number>()
    for (const [j, f] of (u.factors as unknown[]).entries()) {
      const fat = `factors[${j}]`
      if (typeof f !== 'object' || f === null) bad(fat, 'must be an object')
      const sf = f as Record<string, unknown>
      const type = sf['factorType']
      if (!FACTOR_TYPES.includes(type as FactorType)) bad(`${fat}.factorType`, `must be one of ${FACTOR_TYPES.join(', ')}, got ${quote(type)}`)
      const allowed = FACTOR_FIELDS[type as FactorType]
      const strayField = unknownField(sf, allowed)
      if (strayField !== undefined) bad(`${fat}.${quote(strayField)}`, `is not a field of a ${String(type)} seed factor (${[...allowed].join(', ')})`)
      const id = sf['id']
      if (id !== undefined) {
        if (typeof id !== 'string' || !ID.test(id) || id === '.' || id === '..') bad(`${fat}.id`, 'must be 1 to 500 letters, digits, "-", "_", "." or "~" (not "." or "..")')
        if (factorIds.has(id)) bad(`${fat}.id`, `${id} is also the id of ${factorIds.get(id)!}`)
        factorIds.set(id, `user ${i}'s ${fat}`)
      }
      if (sf['status'] !== undefined && sf['status'] !== 'ACTIVE' && sf['status'] !== 'PENDING_ACTIVATION') {
        bad(`${fat}.status`, `must be ACTIVE or PENDING_ACTIVATION, got ${quote(sf['status'])}`)
      }
      const provider = sf['provider'] ?? (type === 'token:software:totp' ? 'GOOGLE' : 'OKTA')
      if (type === 'token:software:totp' && provider !== 'GOOGLE' && provider !== 'OKTA') bad(`${fat}.provider`, `must be GOOGLE or OKTA, got ${quote(provider)}`)
      if (type !== 'token:software:totp' && provider !== 'OKTA') bad(`${fat}.provider`, `must be OKTA for a ${String(type)} factor, got ${quote(provider)}`)
      // The API's rule: one factor of each type and provider per user.
      const kind = `${String(type)} (${String(provider)})`
      if (kinds.has(kind)) bad(fat, `is a second ${kind} factor (factors[${kinds.get(kind)!}] is one): a user has at most one of each type and provider`)
      kinds.set(kind, j)
      checkFactor(sf, type as FactorType, String(profile['email']), (field, problem) => bad(`${fat}.${field}`, problem))
    }
  }
}

/** The fields of a seed user: anything else (a misspelt `firstname`) would be dropped without a word. */
const USER_FIELDS: ReadonlySet<string> = new Set(['id', 'login', 'email', 'firstName', 'lastName', 'status', 'factors'])

const COMMON_FACTOR_FIELDS = ['id', 'status', 'factorType', 'provider']
/** The fields of a seed factor of each type (a misspelt `secret` would give the factor a random shared secret). */
const FACTOR_FIELDS: Readonly<Record<FactorType, ReadonlySet<string>>> = {
  'token:software:totp': new Set([...COMMON_FACTOR_FIELDS, 'provider', 'sharedSecret']),
  sms: new Set([...COMMON_FACTOR_FIELDS, 'phoneNumber']),
  call: new Set([...COMMON_FACTOR_FIELDS, 'phoneNumber']),
  email: new Set([...COMMON_FACTOR_FIELDS, 'email']),
  question: new Set([...COMMON_FACTOR_FIELDS, 'question', 'answer']),
  push: new Set(COMMON_FACTOR_FIELDS),
}

/** The rules of the API's enrollment for each type. */
function checkFactor (sf: Record<string, unknown>, type: FactorType, userEmail: string, bad: (field: string, problem: string) => never): void {
  const text = (field: string): string | undefined => {
    const v = sf[field]
    if (v === undefined) return undefined
    if (typeof v !== 'string') bad(field, 'must be a string')
    if (v.length > MAX_SECRET) bad(field, `must be at most ${MAX_SECRET} characters`)
    return v
  }
  switch (type) {
    case 'token:software:totp': {
      const secret = text('sharedSecret')
      if (secret === undefined) return
      let key: Buffer | undefined
      try { key = base32Decode(secret) } catch { /* named below, without the secret */ }
      if (key === undefined || key.length === 0) bad('sharedSecret', 'must be a non-empty base32 string (A-Z, 2-7)')
      return
    }
    case 'sms':
    case 'call': {
      const phone = text('phoneNumber')
      if (phone === undefined) bad('phoneNumber', `is required for a ${type} factor`)
      if (!isPhoneNumber(phone)) bad('phoneNumber', `${quote(phone)} is not a phone number`)
      return
    }
    case 'email': {
      const email = text('email')
      if (email === undefined) return
      if (email.length > MAX_FACTOR_EMAIL || !EMAILISH.test(email)) bad('email', `${quote(email)} is not an email address`)
      if (email.toLowerCase() !== userEmail.toLowerCase()) bad('email', 'must be the user\'s own email (as the API requires)')
      return
    }
    case 'question': {
      const question = text('question')
      if (question === undefined || !QUESTION_TEXT.has(question)) bad('question', `must be one of Okta's security questions (${[...QUESTION_TEXT.keys()].slice(0, 3).join(', ')}, ...), got ${quote(question)}`)
      const answer = text('answer') // outside the try: its own "at most" reason stands
      try {
        checkQuestion(question, answer, 'seed')
      } catch {
        bad('answer', 'must be at least 4 characters long, as the API requires')
      }
      return
    }
    case 'push':
      return
  }
}
