// Users API: create, get (by id, `me`, percent-encoded login or login shortname; with an ETag),
// partial update (POST) and replace (PUT) with If-Match, list with limit/after/search/filter/q
// and Link headers, and DELETE, which deactivates a user that is not yet DEPROVISIONED and deletes
// one that is. Lifecycle operations are in lifecycle.ts, credential operations in credentials.ts.
import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { baseUrl, flag, noContent, objectBody, type Ctx } from '../context.js'
import { notFound, OktaError, validationError } from '../errors.js'
import { compile, type Predicate } from '../search.js'
import { updateUser } from '../user-update.js'
import { buildUser, renderUser, setStatus, userAttr } from '../users-model.js'
import type { UserRecord } from '../types.js'

/** Users page size: Okta's default and maximum for /api/v1/users. */
export const MAX_PAGE = 200

type Req = FastifyRequest<{ Params: { id: string }, Querystring: Record<string, unknown> }>

/** A single-valued query parameter (a repeated one is a validation error). */
export function queryParam (req: FastifyRequest, name: string): string | undefined {
  const v = (req.query as Record<string, unknown>)[name]
  if (v === undefined) return undefined
  if (typeof v !== 'string') throw validationError(name, `${name}: The parameter must be given once.`)
  return v
}

/**
 * Login of the user who owns the SSWS token (what `/api/v1/users/me` answers). Seed a user with this
 * login to choose its profile; otherwise it is created, ACTIVE, the first time `me` is asked for.
 */
export const TOKEN_OWNER_LOGIN = 'okta-emulator-admin@example.com'

/** The token's owner, created on first use. */
export function tokenOwner (ctx: Ctx): UserRecord {
  const existing = ctx.store.findUser(TOKEN_OWNER_LOGIN)
  if (existing !== undefined) return existing
  const u = buildUser({ profile: { login: TOKEN_OWNER_LOGIN, email: TOKEN_OWNER_LOGIN, firstName: 'Emulator', lastName: 'Admin' } }, true, ctx.clock(), () => false)
  setStatus(u, 'ACTIVE', u.created)
  ctx.store.addUser(u)
  ctx.store.commit()
  return u
}

/** The user named in the path (`me` = the token's owner), or 404 E0000007 (User). */
export function userOr404 (ctx: Ctx, id: string): UserRecord {
  if (id === 'me') return tokenOwner(ctx)
  const u = ctx.store.findUser(id)
  if (u === undefined) throw notFound(id, 'User')
  return u
}

/** A user as GET /users/{id} renders it. */
export function renderOne (ctx: Ctx, u: UserRecord, req: FastifyRequest): Record<string, unknown> {
  return renderUser(u, baseUrl(req), { factors: ctx.store.factorCountOf(u.id) })
}

/** The weak ETag of a rendered user. */
export function etagOf (body: unknown): string {
  return `W/"${createHash('sha256').update(JSON.stringify(body)).digest('hex')}"`
}

/** Page size of a `q` query without `limit` (Okta's default there). */
export const Q_DEFAULT_LIMIT = 10

function parseLimit (req: FastifyRequest): number {
  const raw = queryParam(req, 'limit')
  if (raw === undefined || raw === '') return queryParam(req, 'q') === undefined ? MAX_PAGE : Q_DEFAULT_LIMIT
  if (!/^-?\d+$/.test(raw)) throw validationError('limit', 'limit: The parameter must be an integer.')
  const n = Number(raw)
  return n <= 0 ? MAX_PAGE : Math.min(n, MAX_PAGE)
}

function selector (req: FastifyRequest): (u: UserRecord) => boolean {
  const search = queryParam(req, 'search')
  const filter = queryParam(req, 'filter')
  const q = queryParam(req, 'q')
  const preds: Predicate[] = []
  if (search !== undefined) preds.push(compile(search, 'search'))
  if (filter !== undefined) preds.push(compile(filter, 'filter'))
  if (preds.length > 0) return (u) => preds.every((p) => p((a) => userAttr(u, a)))
  if (q !== undefined) {
    const needle = q.toLowerCase()
    // Okta matches q against firstName, lastName and email (not the login), from the start.
    return (u) => u.status !== 'DEPROVISIONED' && ['firstName', 'lastName', 'email'].some((k) => {
      const v = u.profile[k]
      return typeof v === 'string' && v.toLowerCase().startsWith(needle)
    })
  }
  // Without search, filter or q, Okta lists every user that is not DEPROVISIONED.
  return (u) => u.status !== 'DEPROVISIONED'
}

function linkHeader (req: FastifyRequest, limit: number, nextAfter: string | undefined): string {
  const base = `${baseUrl(req)}/api/v1/users`
  // As a real org writes it: `limit` first, then the query's search/filter/q; other parameters are not echoed.
  const params = new URLSearchParams({ limit: String(limit) })
  for (const k of ['search', 'filter', 'q']) {
    const v = queryParam(req, k)
    if (v !== undefined) params.set(k, v)
  }
  const self = new URLSearchParams(params)
  const after = queryParam(req, 'after')
  if (after !== undefined) self.set('after', after)
  const links = [`<${base}?${self.toString()}>; rel="self"`]
  if (nextAfter !== undefined) {
    params.set('after', nextAfter)
    links.push(`<${base}?${params.toString()}>; rel="next"`)
  }
  return links.join(', ')
}

/** Registers the Users routes. */
export function usersRoutes (app: FastifyInstance, ctx: Ctx): void {
  const { store } = ctx
  const users = { config: { bucket: 'users' as const } }
  const user = { config: { bucket: 'user' as const } }

  app.post('/api/v1/users', users, (req: Req, reply: FastifyReply) => {
    const activate = flag(queryParam(req, 'activate'), true)
    const u = buildUser(objectBody(req), activate, ctx.clock(), (login) => store.hasLogin(login))
    store.addUser(u)
    store.commit()
    return renderOne(ctx, u, req)
  })

  app.get('/api/v1/users', users, (req: Req, reply: FastifyReply) => {
    const limit = parseLimit(req)
    const after = queryParam(req, 'after')
    const keep = selector(req)
    const page: UserRecord[] = []
    // The cursor is a list position (that of the last user of the previous page, even one deleted since);
    // an unknown cursor is past the end.
    const from = after === undefined || after === '' ? -1 : store.placeOf(after) ?? Infinity
    let more = false
    for (const u of store.users.values()) {
      if (store.placeOfUser(u) <= from || !keep(u)) continue
      if (page.length === limit) { more = true; break }
      page.push(u)
    }
    const base = baseUrl(req)
    reply.header('link', linkHeader(req, limit, more ? page[page.length - 1]?.id : undefined))
    return (page.map((u) => renderUser(u, base, { list: true })))
  })

  app.get('/api/v1/users/:id', user, (req: Req, reply: FastifyReply) => {
    const body = renderOne(ctx, userOr404(ctx, req.params.id), req)
    reply.header('etag', etagOf(body))
    return body
  })

  // POST = partial update, PUT = replace (strict: profile properties not sent are removed).
  const update = (replace: boolean) => (req: Req, reply: FastifyReply): unknown => {
    const u = userOr404(ctx, req.params.id)
    const ifMatch = req.headers['if-match']
    if (ifMatch !== undefined && ifMatch !== etagOf(renderOne(ctx, u, req))) {
      throw new OktaError(412, 'E0000231', "ETag value doesn't match.")
    }
    updateUser(ctx, u, objectBody(req), replace)
    store.commit()
    return renderOne(ctx, u, req)
  }
  app.post('/api/v1/users/:id', user, update(false))
  app.put('/api/v1/users/:id', user, update(true))

  app.delete('/api/v1/users/:id', user, (req: Req, reply: FastifyReply) => {
    const u = userOr404(ctx, req.params.id)
    if (u.status === 'DEPROVISIONED') store.deleteUser(u)
    else setStatus(u, 'DEPROVISIONED', ctx.clock())
    store.commit()
    noContent(reply)
  })
}
