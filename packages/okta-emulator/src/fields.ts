// `fields` of GET /api/v1/users, Okta's projections: a comma-separated list of top-level user properties,
// with `profile:(firstName, city)` choosing profile properties (`profile` alone keeps the whole profile);
// `id` is always there. A property the user does not have is left out. A malformed list is 400 E0000001.
import { validationError } from './errors.js'

/** A parsed `fields` value. */
export interface Projection {
  /** Top-level properties to keep (besides `id` and `profile`). */
  top: Set<string>
  /** Profile properties to keep: all of them, some, or none (no `profile` asked for). */
  profile: 'all' | Set<string> | undefined
}

const NAME = /^[A-Za-z_$][\w$]*$/
const PROFILE_NAME = /^[A-Za-z_$][\w$.-]*$/
const malformed = (cause: string): Error => validationError('fields', `fields: ${cause}`)

/** Splits at the commas outside parentheses; throws on unbalanced parentheses. */
function splitTop (src: string): string[] {
  const parts: string[] = []
  let depth = 0
  let cur = ''
  for (const c of src) {
    if (c === '(') depth++
    if (c === ')' && --depth < 0) throw malformed('Unbalanced parentheses.')
    if (c === ',' && depth === 0) { parts.push(cur); cur = ''; continue }
    cur += c
  }
  if (depth !== 0) throw malformed('Unbalanced parentheses.')
  parts.push(cur)
  return parts.map((p) => p.trim())
}

/** Parses `fields`; an empty value is no projection (undefined). */
export function parseFields (src: string): Projection | undefined {
  if (src.trim() === '') return undefined
  const out: Projection = { top: new Set(), profile: undefined }
  for (const part of splitTop(src)) {
    const sub = /^profile\s*:\s*\(([^()]*)\)$/.exec(part)
    if (sub !== null) {
      const names = sub[1]!.split(',').map((n) => n.trim())
      if (names.some((n) => !PROFILE_NAME.test(n))) throw malformed(`Invalid profile property list in ${part}.`)
      if (out.profile !== 'all') out.profile = new Set([...(out.profile ?? []), ...names])
    } else if (part === 'profile') {
      out.profile = 'all'
    } else if (NAME.test(part)) {
      out.top.add(part)
    } else {
      throw malformed(part === '' ? 'An empty field name.' : `Invalid field ${part}.`)
    }
  }
  return out
}

/** The rendered user cut down to the projection (keys keep the rendered order, `id` first). */
export function project (user: Record<string, unknown>, p: Projection): Record<string, unknown> {
  const out: Record<string, unknown> = { id: user['id'] }
  for (const [k, v] of Object.entries(user)) {
    if (k === 'id') continue
    if (k === 'profile') {
      if (p.profile === 'all') out[k] = v
      else if (p.profile !== undefined) {
        const profile = v as Record<string, unknown>
        out[k] = Object.fromEntries([...p.profile].filter((n) => Object.hasOwn(profile, n)).map((n) => [n, profile[n]]))
      }
    } else if (p.top.has(k)) {
      out[k] = v
    }
  }
  return out
}
