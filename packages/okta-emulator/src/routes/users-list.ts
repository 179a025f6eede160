// GET /api/v1/users: `limit`/`after` paging with absolute Link headers, `search`, `filter` and `q`,
// `sortBy`/`sortOrder` on a search, and `fields` projections. Unsorted lists page by list position
// (a cursor survives the deletion of its user); a sorted search pages by an opaque cursor holding the
// last listed user's sort value and id; `q` does not page at all (no `next`), as Okta documents.
import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { baseUrl, contentTypeOf, type Ctx } from '../context.js'
import { OktaError, validationError } from '../errors.js'
import { parseFields, project } from '../fields.js'
import { compile, type Predicate } from '../search.js'
import type { Store } from '../store.js'
import type { UserRecord } from '../types.js'
import { oktaResponseOptions, renderUser, userAttr } from '../users-model.js'
import { queryParam } from './users.js'

/**
 * Most bytes of a list's `Link` header. Both links repeat the query, percent-encoded, so a long `search` makes a header
 * several times its own size: past Node's 16 KiB for a whole header block, `fetch` and `node:http` (Okta's SDK with
 * them) cannot read the answer at all. Past this bound the answer is Okta's own refusal for it, 414 E0000256.
 */
export const MAX_LINK_BYTES = 8192

/** Users page size: Okta's default and maximum for /api/v1/users. */
export const MAX_PAGE = 200
/** Page size of a `q` query without `limit` (Okta's default there). */
export const Q_DEFAULT_LIMIT = 10

/** `limit`, capped at {@link MAX_PAGE}; unset, empty or not above 0, the list's default (smaller with `q`). */
function parseLimit (req: FastifyRequest): number {
  const raw = queryParam(req, 'limit')
  const byDefault = queryParam(req, 'q') === undefined ? MAX_PAGE : Q_DEFAULT_LIMIT
  if (raw === undefined || raw === '') return byDefault
  if (!/^-?\d+$/.test(raw)) throw validationError('limit', 'limit: The parameter must be an integer.')
  const n = Number(raw)
  return n <= 0 ? byDefault : Math.min(n, MAX_PAGE)
}

/** Which users the query keeps, and whether it is a `q` query (which does not page). */
function selector (req: FastifyRequest): { keep: (u: UserRecord) => boolean, isQ: boolean } {
  const search = queryParam(req, 'search')
  const filter = queryParam(req, 'filter')
  const q = queryParam(req, 'q')
  const preds: Predicate[] = []
  if (search !== undefined) preds.push(compile(search, 'search'))
  if (filter !== undefined) preds.push(compile(filter, 'filter'))
  if (preds.length > 0) return { keep: (u) => preds.every((p) => p((a) => userAttr(u, a))), isQ: false }
  if (q !== undefined) {
    const needle = q.toLowerCase()
    // Okta matches q against firstName, lastName and email (not the login), from the start.
    const keep = (u: UserRecord): boolean => u.status !== 'DEPROVISIONED' && ['firstName', 'lastName', 'email'].some((k) => {
      const v = u.profile[k]
      return typeof v === 'string' && v.toLowerCase().startsWith(needle)
    })
    return { keep, isQ: true }
  }
  // Without search, filter or q, Okta lists every user that is not DEPROVISIONED.
  return { keep: (u) => u.status !== 'DEPROVISIONED', isQ: false }
}

/** The sort of a search (`sortBy`, `sortOrder`): Okta sorts searches only and ignores `sortOrder` without `sortBy`. */
interface Sort { by: string, desc: boolean }
function sortOf (req: FastifyRequest): Sort | undefined {
  const by = queryParam(req, 'sortBy')
  if (queryParam(req, 'search') === undefined || by === undefined || by === '') return undefined
  return { by, desc: queryParam(req, 'sortOrder')?.toLowerCase() === 'desc' }
}

/** A user's place in a sorted list: its sort value (case-folded; null when unset) and id. */
type Place = [string | null, string]
const placeIn = (u: UserRecord, by: string): Place => {
  const v = userAttr(u, by)
  return [v === null || v === undefined ? null : String(v).toLowerCase(), u.id]
}
/** Ascending: by value (unset last), then by id. */
function compare (a: Place, b: Place): number {
  if (a[0] !== b[0]) return a[0] === null ? 1 : b[0] === null ? -1 : a[0] < b[0] ? -1 : 1
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0
}
/**
 * The longest sort value a cursor carries whole. A longer one (a 4,096-character `postalAddress`) is cut, so that a
 * cursor, and the Link header that carries it twice, stay short whatever the users hold: the user it names gives the
 * value back while its value is the one listed (the cursor holds a digest of it).
 */
const CURSOR_VALUE_CHARS = 64
const digest = (value: string): string => createHash('sha256').update(value).digest('base64url').slice(0, 16)
function encodeCursor (s: Sort, [value, id]: Place): string {
  const cut = value !== null && value.length > CURSOR_VALUE_CHARS
  return Buffer.from(JSON.stringify(cut ? [s.by, value.slice(0, CURSOR_VALUE_CHARS), id, digest(value)] : [s.by, value, id])).toString('base64url')
}
/** The place a sorted cursor names: an opaque cursor of this sort, or a user id; undefined if unknown. */
function decodeCursor (store: Store, s: Sort, after: string): Place | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(after, 'base64url').toString('utf8'))
    if (Array.isArray(v) && v[0] === s.by && (typeof v[1] === 'string' || v[1] === null) && typeof v[2] === 'string') {
      if (v.length === 3) return [v[1] as string | null, v[2]]
      if (v.length === 4 && typeof v[1] === 'string' && typeof v[3] === 'string') {
        // A cut value: the named user's own, while it is still the value listed (its digest); else (the user deleted
        // or its value changed since) the cut part, placed so that every value that begins with it comes after the
        // cursor, in either order: listed again rather than lost.
        const u = store.users.get(v[2])
        const whole = u === undefined ? undefined : placeIn(u, s.by)[0]
        return [typeof whole === 'string' && digest(whole) === v[3] ? whole : s.desc ? `${v[1]}\uffff` : v[1], v[2]]
      }
    }
  } catch { /* not one of ours: maybe a user id */ }
  const u = store.users.get(after)
  return u === undefined ? undefined : placeIn(u, s.by)
}

/** One page: the users and the cursor of the next page (undefined on the last). */
function page (store: Store, keep: (u: UserRecord) => boolean, sort: Sort | undefined, after: string | undefined, limit: number): { users: UserRecord[], next: string | undefined } {
  const users: UserRecord[] = []
  if (sort === undefined) {
    // The cursor is a list position (that of the last user of the previous page, even one deleted since);
    // an unknown cursor is past the end.
    const from = after === undefined || after === '' ? -1 : store.placeOf(after) ?? Infinity
    for (const u of store.users.values()) {
      if (store.placeOfUser(u) <= from || !keep(u)) continue
      if (users.length === limit) return { users, next: users[users.length - 1]!.id }
      users.push(u)
    }
    return { users, next: undefined }
  }
  const dir = sort.desc ? -1 : 1
  const from = after === undefined || after === '' ? undefined : decodeCursor(store, sort, after)
  if (after !== undefined && after !== '' && from === undefined) return { users, next: undefined }
  const sorted = [...store.users.values()].filter(keep).map((u) => ({ u, at: placeIn(u, sort.by) }))
    .filter((x) => from === undefined || dir * compare(x.at, from) > 0)
    .sort((a, b) => dir * compare(a.at, b.at))
  const more = sorted.length > limit
  const shown = sorted.slice(0, limit)
  return { users: shown.map((x) => x.u), next: more ? encodeCursor(sort, shown[shown.length - 1]!.at) : undefined }
}

/** The page's links: `limit`, then the query's own parameters (as a real org writes them), `after` last. */
interface Links {
  /** The `self` link, already checked against {@link MAX_LINK_BYTES}. */
  self: string
  /** The next page's link, `after` set to the given cursor. */
  next: (after: string) => string
}

/** The list's links, refused (414) when the self link alone is over {@link MAX_LINK_BYTES}. */
function pageLinks (req: FastifyRequest, limit: number, sort: Sort | undefined): Links {
  const base = `${baseUrl(req)}/api/v1/users`
  const params = new URLSearchParams({ limit: String(limit) })
  const echoed = ['search', 'filter', 'q', ...(sort === undefined ? [] : ['sortBy', 'sortOrder']), 'fields']
  for (const k of echoed) {
    const v = queryParam(req, k)
    if (v !== undefined) params.set(k, v)
  }
  const own = new URLSearchParams(params)
  const after = queryParam(req, 'after')
  if (after !== undefined) own.set('after', after)
  const self = `<${base}?${own.toString()}>; rel="self"`
  checkSize(self)
  return {
    self,
    next: (cursor) => {
      params.set('after', cursor)
      return `<${base}?${params.toString()}>; rel="next"`
    },
  }
}

/** Okta's refusal of an answer whose `Link` header would be over {@link MAX_LINK_BYTES}. */
function checkSize (header: string): void {
  if (Buffer.byteLength(header) > MAX_LINK_BYTES) {
    throw new OktaError(414, 'E0000256', 'This request produced a response with a header too large to be processed.')
  }
}

/** Registers GET /api/v1/users. */
export function usersListRoutes (app: FastifyInstance, ctx: Ctx): void {
  app.get('/api/v1/users', { config: { bucket: 'users' as const } }, (req, reply) => {
    const limit = parseLimit(req)
    const { keep, isQ } = selector(req)
    const sort = sortOf(req)
    const projection = parseFields(queryParam(req, 'fields') ?? '')
    // A query too long for its own self link is refused before the users are read, not after.
    const links = pageLinks(req, limit, sort)
    const { users, next } = page(ctx.store, keep, sort, queryParam(req, 'after'), limit)
    // Okta: `q` "doesn't support pagination, but you can use limit".
    const header = isQ || next === undefined ? links.self : `${links.self}, ${links.next(next)}`
    checkSize(header)
    reply.header('link', header)
    const base = baseUrl(req)
    const omit = oktaResponseOptions(contentTypeOf(req))
    return users.map((u) => {
      const item = renderUser(u, base, { list: true, ...omit })
      return projection === undefined ? item : project(item, projection)
    })
  })
}
