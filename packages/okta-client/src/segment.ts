// Ids and logins as path segments of Okta's API.
import { InvalidOptionError } from './invalid-option.js'

/**
 * Encodes one path segment (a login keeps its `@` and `+` as `%40` and `%2B`). Throws a TypeError naming the
 * parameter, never quoting it, for an empty value, one that cannot be encoded (a lone UTF-16 surrogate), or an id of
 * `.` or `..`: a dot-segment that a server or proxy resolves would send the call to another resource (a factor id of
 * `..` turns `DELETE /users/{id}/factors/..` into `DELETE /users/{id}`), and no Okta id is one.
 */
export function segment (value: string, name: string): string {
  if (value === '.' || value === '..') throw new InvalidOptionError(`"${name}" must not be "." or ".."`)
  return encoded(value, name)
}

/**
 * A login (or id) as the one segment of `GET /api/v1/users/{idOrLogin}`: as {@link segment}, except that `.` and `..`
 * are escaped (`%2E`) rather than refused. A login is the app's data, not a programmer's: such a login names a user
 * Okta does not have (404), and the call is a read whatever a server makes of it.
 */
export function loginSegment (value: string, name: string): string {
  if (value === '.' || value === '..') return value === '.' ? '%2E' : '%2E%2E'
  return encoded(value, name)
}

function encoded (value: string, name: string): string {
  if (typeof value !== 'string' || value === '') throw new InvalidOptionError(`"${name}" must be a non-empty string`)
  try {
    return encodeURIComponent(value)
  } catch {
    // URIError: a lone surrogate (possible in a JSON string) has no UTF-8 encoding.
    throw new InvalidOptionError(`"${name}" must be a non-empty string of well-formed Unicode (it holds a lone surrogate)`)
  }
}
