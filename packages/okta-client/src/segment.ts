// Ids and logins as path segments of Okta's API.

/**
 * Encodes one path segment (a login keeps its `@` and `+` as `%40` and `%2B`, and `.` or `..` is escaped). Throws a
 * TypeError naming the parameter, never quoting it, for an empty value or one that cannot be encoded (a lone UTF-16
 * surrogate).
 */
export function segment (value: string, name: string): string {
  if (typeof value !== 'string' || value === '') throw new TypeError(`"${name}" must be a non-empty string`)
  // "." and ".." are dot-segments: a server (or a URL parser) resolving them would send the call to another
  // resource (a factor id of ".." turns /users/{id}/factors/.. into /users/{id}). Escaped, they name a resource.
  if (value === '.' || value === '..') return value === '.' ? '%2E' : '%2E%2E'
  try {
    return encodeURIComponent(value)
  } catch {
    // URIError: a lone surrogate (possible in a JSON string) has no UTF-8 encoding.
    throw new TypeError(`"${name}" must be a non-empty string of well-formed Unicode (it holds a lone surrogate)`)
  }
}
