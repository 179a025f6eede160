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

/** True for a Content-Type whose media type is one at all (`type/subtype`, RFC 9110 tokens), whatever it is. */
export function isMediaType (header: string | undefined): boolean {
  return /^[!#$%&'*+.^_`|~0-9a-z-]+\/[!#$%&'*+.^_`|~0-9a-z-]+$/.test(mediaTypeOf(header))
}

/**
 * Whether a GET or HEAD that carries a body (its Content-Type kept: a bodyless request's is dropped) is refused: held
 * to the media rules of any other method, which Fastify's parsers apply but never run for these, a type that is not
 * JSON on the management API, or one that is not a media type at all elsewhere, is 400 E0000021.
 */
export function bodilessMethodRefuses (method: string, type: string | undefined, managementRoute: boolean): boolean {
  if ((method !== 'GET' && method !== 'HEAD') || type === undefined) return false
  return managementRoute ? !isJsonType(type) : !isMediaType(type)
}

/**
 * True when an `Accept` header admits `type` (e.g. `application/json`): absent or empty admits anything; otherwise
 * the most specific range that matches it (the type itself, then `<major>/*`, then `*` + `/*`, RFC 9110 §12.5.1)
 * must have a q-value above 0: `application/json;q=0, *` + `/*` admits anything but JSON. Parameters other than `q`
 * are ignored.
 */
export function accepts (header: string | string[] | undefined, type: string): boolean {
  if (header === undefined) return true
  const value = Array.isArray(header) ? header.join(',') : header
  if (value === type || value === '*/*' || value.trim() === '') return true // the common cases, without parsing
  const wildcard = `${type.slice(0, type.indexOf('/'))}/*`
  let best = -1
  let bestQ = 0
  for (const range of value.split(',')) {
    const [name = '', ...params] = range.split(';')
    const media = name.trim().toLowerCase()
    const specificity = media === type ? 2 : media === wildcard ? 1 : media === '*/*' ? 0 : -1
    if (specificity < best || specificity === -1) continue
    const q = params.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith('q='))
    const weight = q === undefined || Number.isNaN(Number(q.slice(2))) ? 1 : Number(q.slice(2))
    bestQ = specificity > best ? weight : Math.max(bestQ, weight)
    best = specificity
  }
  return best !== -1 && bestQ > 0
}
