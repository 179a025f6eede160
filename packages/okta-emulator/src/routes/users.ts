// Users API: create, get (by id, `me`, percent-encoded login or login shortname; with an ETag),
// partial update (POST) and replace (PUT) with If-Match, and DELETE, which deactivates a user that is
// not yet DEPROVISIONED and deletes one that is. The list is in users-list.ts, lifecycle operations in
// lifecycle.ts, credential operations in credentials.ts.
import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { baseUrl, contentTypeOf, flag, noContent, objectBody, type Ctx } from '../context.js'
import { renderCredentials } from '../credentials.js'
import { notFound, OktaError, validationError } from '../errors.js'
import { checkIfMatch } from '../if-match.js'
import { TOKEN_OWNER_LOGIN } from '../store.js'
import { buildUser } from '../user-create.js'
import { updateUser } from '../user-update.js'
import { oktaResponseOptions, renderUser, setStatus, USER_TYPE_ID } from '../users-model.js'
import type { UserRecord } from '../types.js'

type Req = FastifyRequest<{ Params: { id: string }, Querystring: Record<string, unknown> }>

/** A single-valued query parameter (a repeated one is a validation error). */
export function queryParam (req: FastifyRequest, name: string): string | undefined {
  const v = (req.query as Record<string, unknown>)[name]
  if (v === undefined) return undefined
  if (typeof v !== 'string') throw validationError(name, `${name}: The parameter must be given once.`)
  return v
}


/**
 * The token's owner: the user `me` named before (whatever its login is now), else the user with the owner's login,
 * else one created on first use.
 */
export function tokenOwner (ctx: Ctx): UserRecord {
  const named = ctx.store.ownerId === undefined ? undefined : ctx.store.users.get(ctx.store.ownerId)
  if (named !== undefined) return named
  const existing = ctx.store.findUser(TOKEN_OWNER_LOGIN)
  if (existing !== undefined) {
    // Written with the next change that commits (a rename of this user, for one).
    ctx.store.ownerId = existing.id
    return existing
  }
  const profile = { login: TOKEN_OWNER_LOGIN, email: TOKEN_OWNER_LOGIN, firstName: 'Emulator', lastName: 'Admin' }
  const u = buildUser({ profile }, { activate: true, now: ctx.clock(), loginTaken: () => false })
  setStatus(u, 'ACTIVE', u.created)
  ctx.store.addUser(u) // may be one past maxUsers: a real org always has the token's owner
  ctx.store.ownerId = u.id
  ctx.store.commit()
  return u
}

/** The user named in the path (`me` = the token's owner), or 404 E0000007 (User). */
export function userOr404 (ctx: Ctx, id: string): UserRecord {
  if (id === 'me') return tokenOwner(ctx)
  const u = userByPath(ctx, id)
  if (u === undefined) throw notFound(id, 'User')
  return u
}

/**
 * The user a path's `{user}` names, as Okta looks it up: an id, a login or a shortname, but never a login with a `/`
 * (Okta: "Logins with a `/` character can only be fetched by `id`"; an id never has one).
 */
export function userByPath (ctx: Ctx, id: string): UserRecord | undefined {
  return id.includes('/') ? undefined : ctx.store.findUser(id)
}

/** A user as GET /users/{id} renders it. */
export function renderOne (ctx: Ctx, u: UserRecord, req: FastifyRequest): Record<string, unknown> {
  return renderUser(u, baseUrl(req), { factors: ctx.store.factorCountOf(u.id), ...oktaResponseOptions(contentTypeOf(req)) })
}

/**
 * The weak ETag of a user: a digest of what a client edits — id, profile, type and credentials (the
 * password and recovery answer by their salted hashes) — and of nothing else, so that a lifecycle change,
 * a verification or a factor leaves it as it was (the recorded real answers keep one ETag across a deactivation).
 */
export function etagOf (u: UserRecord): string {
  const edited = [
    u.id, Object.entries(u.profile).sort(([a], [b]) => (a < b ? -1 : 1)), USER_TYPE_ID, renderCredentials(u),
    u.passwordHash ?? null, u.importedHash ?? null, u.passwordHook === true, u.recoveryAnswerHash ?? null,
  ]
  return `W/"${createHash('sha256').update(JSON.stringify(edited)).digest('hex')}"`
}

/** Registers the Users routes. */
export function usersRoutes (app: FastifyInstance, ctx: Ctx): void {
  const { store } = ctx
  const users = { config: { bucket: 'users' as const } }
  const user = { config: { bucket: 'user' as const } }

  app.post('/api/v1/users', users, (req: Req, reply: FastifyReply) => {
    const activate = flag(queryParam(req, 'activate'), true)
    // `provider=true` announces a `credentials.provider`, which is honoured with or without it.
    queryParam(req, 'provider')
    const nextLogin = queryParam(req, 'nextLogin')
    const u = buildUser(objectBody(req), { activate, nextLogin, now: ctx.clock(), loginTaken: (login) => store.hasLogin(login) })
    store.addUser(u)
    store.commit()
    return renderOne(ctx, u, req)
  })

  app.get('/api/v1/users/:id', user, (req: Req, reply: FastifyReply) => {
    const u = userOr404(ctx, req.params.id)
    // Okta's `expand=blocks`: the user's blocks (none here, the emulator never blocks a device or location).
    const expand = queryParam(req, 'expand')
    reply.header('etag', etagOf(u))
    const body = renderOne(ctx, u, req)
    if (expand !== undefined && expand.split(',').some((e) => e.trim() === 'blocks')) body['_embedded'] = { blocks: [] }
    return body
  })

  // POST = partial update, PUT = replace (strict: profile properties not sent are removed).
  const update = (replace: boolean) => (req: Req, reply: FastifyReply): unknown => {
    const u = userOr404(ctx, req.params.id)
    checkIfMatch(req.headers['if-match'], etagOf(u))
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
