// What a data file's users must be before the emulator fills its state with them: a file that is JSON and has the
// right version but not these shapes (edited by hand, or another program's) would otherwise stop the start with a
// bare TypeError that names no file, or be taken in and fail requests later.
import { isObject } from './context.js'

const isId = (v: unknown): v is string => typeof v === 'string' && v !== ''

/** A time as the file keeps them: ms since the epoch (what every answer renders as a date). */
const isTime = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0

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
    if (typeof u['status'] !== 'string') return `${at} has no string "status"`
    if (!isObject(u['profile']) || typeof u['profile']['login'] !== 'string') return `${at} has no string "profile.login"`
    if (!isTime(u['created']) || !isTime(u['lastUpdated'])) return `${at} has no "created" and "lastUpdated" times`
    if (!Array.isArray(u['factors'])) return `${at} has no "factors" array`
    for (const [j, f] of u['factors'].entries()) {
      const fat = `${at}.factors[${j}]`
      if (!isObject(f)) return `${fat} is not an object`
      if (!isId(f['id'])) return `${fat} has no string "id"`
      if (f['userId'] !== u['id']) return `${fat} belongs to another user ("userId")`
      if (typeof f['factorType'] !== 'string' || typeof f['status'] !== 'string') return `${fat} has no string "factorType" and "status"`
      if (!isObject(f['profile'])) return `${fat} has no "profile" object`
      if (!isTime(f['created']) || !isTime(f['lastUpdated'])) return `${fat} has no "created" and "lastUpdated" times`
    }
  }
  return undefined
}
