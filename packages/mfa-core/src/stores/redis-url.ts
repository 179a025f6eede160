// The one check of a Redis URL, for createRedisStores and for the apps that read REDIS_URL.

/**
 * Why `value` cannot be used as a Redis URL, naming the setting (`name`) but never the value (it may hold a
 * password); undefined when it is usable: `redis://` or `rediss://`, a host, an optional port, and an optional
 * database by number, in the path or as ioredis's `?db=N`. ioredis would send `SELECT NaN` for `/abc` (a rejection
 * nobody handles, then database 0) and `SELECT 3` for `/3.5`. One rule for {@link createRedisStores} and for the apps
 * that read `REDIS_URL`, so every instance accepts the same value.
 *
 * @example
 * const problem = redisUrlProblem(process.env.REDIS_URL ?? '')
 * if (problem !== undefined) throw new Error(problem)
 */
export function redisUrlProblem (value: unknown, name = 'REDIS_URL'): string | undefined {
  const shape = `${name} must be redis://[user:password@]host[:port][/db] or rediss://… (its value is not shown: it may hold a password)`
  if (typeof value !== 'string') return shape
  // The URL parser drops spaces and controls at either end and tabs and newlines anywhere; ioredis does not (a leading
  // space is its raw TypeError holding the URL, a tab a unix socket path): refused, as a value pasted with them.
  if (/[\s\u0000-\u001f\u007f]/u.test(value)) return `${name} holds a space, a tab, a line break or another control character: remove it (its value is not shown: it may hold a password)`
  let url: URL
  try { url = new URL(value) } catch { return shape }
  if ((url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '' || url.hash !== '') return shape
  // ioredis decodes the user and password: a malformed escape (`%ZZ`) would throw its URIError at connect time.
  try { decodeURIComponent(url.username); decodeURIComponent(url.password) } catch { return shape }
  if (url.search !== '' && !url.search.startsWith('?db=')) return shape
  if (!/^\/?([0-9]+)?$/.test(url.pathname) || (url.search !== '' && !/^\?db=[0-9]+$/.test(url.search))) {
    return `${name}: the database after the host must be a number, as in redis://host:6379/2 (its value is not shown: it may hold a password)`
  }
  if (/^\/[0-9]+$/.test(url.pathname) && url.search !== '') {
    return `${name} names its database twice (in the path and as ?db=): keep one (its value is not shown: it may hold a password)`
  }
  return undefined
}
