// The Users API: create, get, list (following Link rel="next"), update (rename), and the lifecycle operations MFA needs.
import { hash } from 'node:crypto'
import { InvalidResponseError } from './errors.js'
import { knownKeys } from './known-keys.js'
import { nextLink } from './pagination.js'
import { activationShape, many, one, userShape } from './parse.js'
import { loginSegment, segment } from './segment.js'
import { responseErrorId, safeCause } from './response.js'
import { checkRequestOptions, type ApiResponse, type RequestOptions, type Transport } from './transport.js'
import type { CreateUserQuery, CreateUserRequest, ListUsersQuery, OktaUser, UpdateUserRequest, UserActivationToken } from './types.js'
import { InvalidOptionError } from './invalid-option.js'

const USERS = '/api/v1/users'
/** The keys of each query object: the types keep these lists and the interfaces the same. */
const CREATE_USER_KEYS: Record<keyof CreateUserQuery, true> = { activate: true, provider: true, nextLogin: true }
const LIST_USERS_KEYS: Record<keyof ListUsersQuery, true> = {
  limit: true, after: true, search: true, filter: true, q: true, sortBy: true, sortOrder: true,
}
const ACTIVATE_USER_KEYS: Record<'sendEmail', true> = { sendEmail: true }
const UPDATE_USER_KEYS: Record<keyof UpdateUserRequest, true> = { profile: true }

function checkBool (name: string, v: unknown): boolean | undefined {
  if (v !== undefined && typeof v !== 'boolean') throw new InvalidOptionError(`"${name}" must be a boolean`)
  return v
}

/** POST /api/v1/users */
export async function createUser (
  t: Transport, body: CreateUserRequest, queryArg?: CreateUserQuery, opts?: RequestOptions,
): Promise<OktaUser> {
  const query = knownKeys(queryArg, CREATE_USER_KEYS, 'the createUser query')
  if (body === null || typeof body !== 'object' || body.profile === null || typeof body.profile !== 'object') {
    throw new InvalidOptionError('"body.profile" must be an object with "login" and "email"')
  }
  if (query.nextLogin !== undefined && query.nextLogin !== 'changePassword') {
    throw new InvalidOptionError('"nextLogin" must be "changePassword"')
  }
  const res = await t.send({
    method: 'POST',
    path: USERS,
    query: { activate: checkBool('activate', query.activate), provider: checkBool('provider', query.provider), nextLogin: query.nextLogin },
    body,
    opts,
    mayWaitOnRateLimit: false,
    expectBody: true,
  })
  return one<OktaUser>(res, userShape, 'a user')
}

/** GET /api/v1/users/{idOrLogin}: the login is percent-encoded into one path segment. */
export async function getUser (t: Transport, idOrLogin: string, opts?: RequestOptions): Promise<OktaUser> {
  const res = await t.send({
    method: 'GET', path: `${USERS}/${loginSegment(idOrLogin, 'idOrLogin')}`, opts, mayWaitOnRateLimit: true, expectBody: true,
  })
  return one<OktaUser>(res, userShape, 'a user')
}

/**
 * POST /api/v1/users/{id} with `{ profile }`: Okta's partial update. Only a profile is sent (a password set this way
 * would skip every check of the current one); `login` and `email`, when given, are non-empty strings.
 */
export async function updateUser (t: Transport, userId: string, bodyArg: UpdateUserRequest, opts?: RequestOptions): Promise<OktaUser> {
  const path = `${USERS}/${segment(userId, 'userId')}`
  const body = knownKeys(bodyArg, UPDATE_USER_KEYS, 'the updateUser body')
  const { profile } = body
  if (profile === null || typeof profile !== 'object' || Array.isArray(profile)) throw new InvalidOptionError('"body.profile" must be an object')
  for (const k of ['login', 'email'] as const) {
    if (profile[k] !== undefined && (typeof profile[k] !== 'string' || profile[k] === '')) throw new InvalidOptionError(`"profile.${k}" must be a non-empty string`)
  }
  const res = await t.send({ method: 'POST', path, body: { profile }, opts, mayWaitOnRateLimit: false, expectBody: true })
  return one<OktaUser>(res, userShape, 'a user')
}

function checkListQuery (queryArg: ListUsersQuery | undefined): ListUsersQuery {
  // Unknown keys are refused, not sent: Okta ignores a parameter it does not know, so a misspelt filter lists every user.
  const query = knownKeys(queryArg, LIST_USERS_KEYS, 'the listUsers query')
  const { limit } = query
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new InvalidOptionError('"limit" must be a positive integer')
  for (const k of ['after', 'search', 'filter', 'q', 'sortBy', 'sortOrder'] as const) {
    if (query[k] !== undefined && typeof query[k] !== 'string') throw new InvalidOptionError(`"${k}" must be a string`)
  }
  return query
}

/**
 * GET /api/v1/users, page by page: yields each user, then follows `Link: rel="next"` until there is none.
 * A next link on another origin or to another path is refused (the token is never sent elsewhere, nor to a resource
 * the caller did not ask for); a link to a page already read, or
 * a tenth empty page in a row with a next link, ends the loop with an InvalidResponseError instead of spinning forever.
 */
export function listUsers (
  t: Transport, query?: ListUsersQuery, opts?: RequestOptions,
): AsyncGenerator<OktaUser, void, undefined> {
  // At the call, not at the first next().
  const checked = checkListQuery(query)
  checkRequestOptions(opts)
  return pages(t, checked, opts)
}

async function * pages (t: Transport, query: ListUsersQuery, opts: RequestOptions | undefined): AsyncGenerator<OktaUser, void, undefined> {
  let url: URL | undefined = t.url(USERS, { ...query })
  const firstPath = url.pathname
  // Pages already read, by digest: a few dozen bytes each however long Okta's cursors are.
  const seen = new Set<string>()
  let emptyInARow = 0
  while (url !== undefined) {
    seen.add(pageKey(url))
    const res = await t.send({ method: 'GET', path: USERS, url, opts, mayWaitOnRateLimit: true, expectBody: true })
    const users = many<OktaUser>(res, userShape, 'users')
    const next = nextLink(res.headers['link'])
    url = undefined
    emptyInARow = users.length === 0 ? emptyInARow + 1 : 0
    if (next !== undefined && emptyInARow >= MAX_EMPTY_PAGES) {
      // Each one a new cursor, so never a page already read: without this, a caller waiting for a user would wait forever.
      throw new InvalidResponseError(`Okta sent ${MAX_EMPTY_PAGES} empty pages in a row, each with a Link rel="next"; not following more`, { status: res.status, requestId: responseErrorId(res) })
    }
    if (next !== undefined) {
      let parsed: URL
      try {
        parsed = new URL(next, res.url)
      } catch (err) {
        throw new InvalidResponseError('Okta sent a Link rel="next" that is not a URL', { status: res.status, requestId: responseErrorId(res), cause: safeCause(err) })
      }
      if (!t.sameOrigin(parsed)) {
        throw new InvalidResponseError('Okta sent a Link rel="next" to another origin; not following it', { status: res.status, requestId: responseErrorId(res) })
      }
      // Okta's next page of a list is the same list: a link elsewhere on the org would send the token to a resource
      // the caller never asked for, and its answer would be read as users.
      if (parsed.pathname !== firstPath) {
        throw new InvalidResponseError('Okta sent a Link rel="next" to another path than the users list; not following it', { status: res.status, requestId: responseErrorId(res) })
      }
      if (seen.has(pageKey(parsed))) {
        throw new InvalidResponseError('Okta sent a Link rel="next" to a page already read', { status: res.status, requestId: responseErrorId(res) })
      }
      parsed.hash = ''
      url = parsed
    }
    yield * users
  }
}

/** Most empty pages in a row that `listUsers` follows to a next one (Okta ends a list with a page without a next link). */
const MAX_EMPTY_PAGES = 10

/** A page URL as a fixed-size key: what is sent for it (a `#fragment` never is, so two links differing by one are one page). */
function pageKey (url: URL): string {
  return hash('sha256', `${url.pathname}${url.search}`, 'base64')
}

async function lifecycle (
  t: Transport, userId: string, op: string, opts: RequestOptions | undefined,
  query?: Record<string, boolean | undefined>, expectBody = false,
): Promise<ApiResponse> {
  return await t.send({
    method: 'POST',
    path: `${USERS}/${segment(userId, 'userId')}/lifecycle/${op}`,
    query,
    opts,
    mayWaitOnRateLimit: false,
    expectBody,
  })
}

/**
 * POST /api/v1/users/{id}/lifecycle/activate: with `sendEmail: false`, the activation link Okta then answers (it
 * sends no email); otherwise nothing (Okta emails the user).
 */
export async function activateUser (t: Transport, userId: string, queryArg?: { sendEmail?: boolean }, opts?: RequestOptions): Promise<UserActivationToken | undefined> {
  const query = knownKeys(queryArg, ACTIVATE_USER_KEYS, 'the activateUser query')
  const sendEmail = checkBool('sendEmail', query.sendEmail)
  const res = await lifecycle(t, userId, 'activate', opts, { sendEmail }, sendEmail === false)
  return sendEmail === false ? one<UserActivationToken>(res, activationShape, 'an activation token') : undefined
}

/** POST /api/v1/users/{id}/lifecycle/deactivate */
export async function deactivateUser (t: Transport, userId: string, opts?: RequestOptions): Promise<void> {
  await lifecycle(t, userId, 'deactivate', opts)
}

/** POST /api/v1/users/{id}/lifecycle/unlock */
export async function unlockUser (t: Transport, userId: string, opts?: RequestOptions): Promise<void> {
  await lifecycle(t, userId, 'unlock', opts)
}

/** POST /api/v1/users/{id}/lifecycle/reset_factors */
export async function resetFactors (t: Transport, userId: string, opts?: RequestOptions): Promise<void> {
  await lifecycle(t, userId, 'reset_factors', opts)
}

/** DELETE /api/v1/users/{id}: deactivates an active user, deletes a deactivated one. */
export async function deleteUser (t: Transport, userId: string, opts?: RequestOptions): Promise<void> {
  await t.send({
    method: 'DELETE', path: `${USERS}/${segment(userId, 'userId')}`, opts, mayWaitOnRateLimit: false, expectBody: false,
  })
}
