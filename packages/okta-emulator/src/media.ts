// Media types as the management API (/api/v1) negotiates them: a request body must be JSON
// (`application/json` or an `application/…+json` type, parameters and case ignored), and the
// `Accept` header must admit the type the route answers with. Okta refuses anything else with
// 400 E0000021.

/** The media type of a Content-Type value, lower-cased, without parameters ('' when absent). */
export function mediaTypeOf (header: string | undefined): string {
  if (header === undefined) return ''
  const semi = header.indexOf(';')
  return (semi === -1 ? header : header.slice(0, semi)).trim().toLowerCase()
}

/** True for `application/json` and `application/*+json`, with any parameters, in any case. */
export function isJsonType (header: string | undefined): boolean {
  const type = mediaTypeOf(header)
  return type === 'application/json' || /^application\/[a-z0-9!#$&^_.-]+\+json$/.test(type)
}

/** True for `application/x-www-form-urlencoded` (any parameters, any case). */
export function isFormType (header: string | undefined): boolean {
  return mediaTypeOf(header) === 'application/x-www-form-urlencoded'
}

/**
 * True when an `Accept` header admits `type` (e.g. `application/json`): absent or empty admits
 * anything; otherwise one of its ranges must be `*` + `/*`, `<major>/*` or the type itself with a
 * q-value above 0. Parameters other than `q` are ignored.
 */
export function accepts (header: string | string[] | undefined, type: string): boolean {
  if (header === undefined) return true
  const value = Array.isArray(header) ? header.join(',') : header
  if (value === type || value === '*/*' || value.trim() === '') return true // the common cases, without parsing
  const wildcard = `${type.slice(0, type.indexOf('/'))}/*`
  for (const range of value.split(',')) {
    const [name = '', ...params] = range.split(';')
    const media = name.trim().toLowerCase()
    if (media !== '*/*' && media !== wildcard && media !== type) continue
    const q = params.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith('q='))
    if (q !== undefined && Number(q.slice(2)) <= 0) continue
    return true
  }
  return false
}
