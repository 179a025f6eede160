// What a data file's users must be before the emulator fills its state with them: a file that is JSON and has the
// right version but not these shapes (edited by hand, or another program's) would otherwise stop the start with a
// bare TypeError that names no file, or be taken in and fail requests later.
import { isObject } from './context.js'
import { FACTOR_TYPES } from './factors-model.js'
import { base32Decode } from './totp.js'
import type { FactorType, UserStatus } from './types.js'

const isId = (v: unknown): v is string => typeof v === 'string' && v !== ''

/** A time as the file keeps them: ms since the epoch (what every answer renders as a date). */
const isTime = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0

const USER_STATUSES: readonly UserStatus[] = ['STAGED', 'PROVISIONED', 'ACTIVE', 'RECOVERY', 'LOCKED_OUT', 'PASSWORD_EXPIRED', 'SUSPENDED', 'DEPROVISIONED']
const FACTOR_STATUSES = ['PENDING_ACTIVATION', 'ACTIVE']

/** Whether `v` is a non-empty base32 secret (a TOTP factor's, which every code is computed from). */
function isSecret (v: unknown): boolean {
  if (typeof v !== 'string' || v === '') return false
  try { return base32Decode(v).length > 0 } catch { return false }
}

/** The first thing wrong with one factor's fields (see {@link snapshotUsersProblem}). */
function factorProblem (f: Record<string, unknown>, userId: unknown): string | undefined {
  if (!isId(f['id'])) return 'has no string "id"'
  if (f['userId'] !== userId) return 'belongs to another user ("userId")'
  if (!FACTOR_TYPES.includes(f['factorType'] as FactorType)) return `has no "factorType" of ${FACTOR_TYPES.join(', ')}`
  if (!FACTOR_STATUSES.includes(f['status'] as string)) return `has no "status" of ${FACTOR_STATUSES.join(', ')}`
  if (f['provider'] !== 'OKTA' && f['provider'] !== 'GOOGLE') return 'has no "provider" of OKTA, GOOGLE'
  if (!isObject(f['profile'])) return 'has no "profile" object'
  if (!isTime(f['created']) || !isTime(f['lastUpdated'])) return 'has no "created" and "lastUpdated" times'
  if (!Array.isArray(f['activationFailures']) || !f['activationFailures'].every(isTime)) return 'has no "activationFailures" array of times'
  if (f['factorType'] === 'token:software:totp' && !isSecret(f['secret'])) return 'has no base32 "secret"'
  if (f['factorType'] === 'question' && typeof f['answerHash'] !== 'string' && typeof f['answer'] !== 'string') return 'has no "answerHash"'
  for (const name of ['lastStep', 'lastSentAt', 'activationExpiresAt']) {
    if (f[name] !== undefined && !Number.isSafeInteger(f[name])) return `has a "${name}" that is not an integer`
  }
  return undefined
}

/**
 * The first thing wrong with a data file's users, as a path and what it lacks (`users[2].factors[0] has no string
 * "id"`), never a value (a file holds shared secrets); undefined when each user and factor has the fields the emulator
 * reads without a default.
 */
export function snapshotUsersProblem (users: unknown[]): string | undefined {
  for (const [i, u] of users.entries()) {
    const at = `users[${i}]`
    if (!isObject(u)) return `${at} is not an object`
    if (!isId(u['id'])) return `${at} has no string "id"`
    if (!USER_STATUSES.includes(u['status'] as UserStatus)) return `${at} has no "status" of ${USER_STATUSES.join(', ')}`
    if (!isObject(u['profile']) || typeof u['profile']['login'] !== 'string') return `${at} has no string "profile.login"`
    if (!isTime(u['created']) || !isTime(u['lastUpdated'])) return `${at} has no "created" and "lastUpdated" times`
    if (!Array.isArray(u['factors'])) return `${at} has no "factors" array`
    for (const [j, f] of u['factors'].entries()) {
      const problem = isObject(f) ? factorProblem(f, u['id']) : 'is not an object'
      if (problem !== undefined) return `${at}.factors[${j}] ${problem}`
    }
  }
  return undefined
}
