// Mapping the app's user to an Okta user: an id as is, a login looked up, and with `provision`
// a missing Okta user created without credentials (as Okta's seed guide does), so apps need no schema change.
import { InvalidResponseError, NotFoundError, type OktaClient, type RequestOptions } from '@okta-mfa/client'
import { foldLogin } from './login-fold.js'
import { clientCode, type MfaOktaClient } from './okta-port.js'

/**
 * What {@link resolveOktaUserId} calls: `getUser` and `createUser`, and `listUsers` when the client has it (an
 * `OktaClient` does) for a login with a `/`, which Okta fetches by id only.
 */
export type LoginLookupClient = Pick<MfaOktaClient, 'getUser' | 'createUser'> & Partial<Pick<OktaClient, 'listUsers'>>

/** Extra profile fields used when provisioning (`email` defaults to the login; Okta requires one). */
export interface ProvisionProfile {
  /** The new user's email. @default the login */
  email?: string | undefined
  /** The new user's first name. */
  firstName?: string | undefined
  /** The new user's last name. */
  lastName?: string | undefined
  [extra: string]: unknown
}

/** Which Okta user an app user is: an Okta user id, or a login to look up. */
export type OktaUserRef = {
  /** The Okta user id. */
  id: string
} | {
  /** The Okta login to look up (and to create the user with, when provisioning). */
  login: string
  /** Profile fields of a user created by provisioning. */
  profile?: ProvisionProfile | undefined
}

/**
 * The app's mapping from its user (and the request) to an Okta user.
 *
 * @example
 * const resolveOktaUser: ResolveOktaUser = (user) => ({ login: (user as { email: string }).email })
 */
export type ResolveOktaUser<User = any, Req = any> = (user: User, req: Req) => OktaUserRef | Promise<OktaUserRef>

/** Options of {@link resolveOktaUserId}. */
export interface ResolveOptions {
  /** Create a missing Okta user (looked up by login) without credentials. @default false */
  provision?: boolean | undefined
  /** Options of each Okta call (request id, the request's deadline signal). */
  request?: RequestOptions | undefined
}

/** Thrown when `resolveOktaUser` returns something else than `{ id }` or `{ login }`. */
export class InvalidOktaUserRefError extends TypeError {
  /** Always `OKTA_MFA_INVALID_USER_REF`. */
  readonly code = 'OKTA_MFA_INVALID_USER_REF'
  constructor () {
    super('"resolveOktaUser" must return { id: string } or { login: string }')
    this.name = 'InvalidOktaUserRefError'
  }
}

/**
 * Thrown when `provision` is on and Okta refuses to create the missing user (a 400 such as `E0000001`: a login or a
 * profile field Okta does not accept, an email that is not one). The app's mapping is at fault, not the end user:
 * Okta's answer is the `cause`, kept out of the message (it may quote the login).
 */
export class ProvisionRefusedError extends Error {
  /** Always `OKTA_MFA_PROVISION_REFUSED`. */
  readonly code = 'OKTA_MFA_PROVISION_REFUSED'
  constructor (options: {
    /** Okta's refusal (an error of @okta-mfa/client). */
    cause: unknown
  }) {
    super('Okta refused to create the missing user (provision: true): check the login and profile that "resolveOktaUser" returns (Okta\'s answer is the cause)', options)
    this.name = 'ProvisionRefusedError'
  }
}

function refOf (value: unknown): OktaUserRef {
  if (typeof value === 'object' && value !== null) {
    const v = value as Record<string, unknown>
    if (typeof v.id === 'string' && v.id !== '') return { id: v.id }
    if (typeof v.login === 'string' && v.login !== '') {
      const profile = typeof v.profile === 'object' && v.profile !== null ? v.profile as ProvisionProfile : undefined
      return profile === undefined ? { login: v.login } : { login: v.login, profile }
    }
  }
  throw new InvalidOktaUserRefError()
}

/**
 * The id of the user with this login. Okta's `GET /users/{x}` also answers for an id, a login short name (the part
 * before the `@`), `me` (the token's own user) or the login without its diacritical marks, so the user it answers is
 * taken only when its login is this one (but for case and Unicode form, see `foldLogin`): an app user named
 * `isaac.brock`, `me`, `00u…` or `ïsaac.brock@example.com` is not bound to another person's Okta user. Otherwise, and
 * for a login with a `/`, which `GET /users/{x}` cannot carry (Okta: "Logins with a `/` character can only be fetched
 * by `id`"), the login is searched (`profile.login eq`) when the client can list users; a client that cannot finds no
 * user.
 */
async function idOfLogin (client: LoginLookupClient, login: string, request: RequestOptions | undefined): Promise<string> {
  if (!isWellFormed(login)) throw notFound(login)
  const wanted = foldLogin(login)
  if (!login.includes('/') || typeof client.listUsers !== 'function') {
    const user = await client.getUser(login, request)
    if (isLogin(user.profile?.login, wanted)) return user.id
    if (typeof client.listUsers !== 'function') throw notFound(login)
  }
  // Okta's search compares a login without case but not in another Unicode form, so both forms are asked for.
  const forms = new Set([login, login.normalize('NFC'), login.normalize('NFD')])
  const search = [...forms].map((form) => `profile.login eq "${form.replace(/["\\]/g, '\\$&')}"`).join(' or ')
  let read = 0
  for await (const user of client.listUsers({ search, limit: 2 }, request)) {
    if (isLogin(user.profile?.login, wanted)) return user.id
    if (++read >= MAX_LOGIN_SEARCH_USERS) {
      throw new InvalidResponseError(`Okta answered ${MAX_LOGIN_SEARCH_USERS} users to the search for one login, none with it; not reading more`)
    }
  }
  throw notFound(login)
}

/** Whether an Okta user's login is the one looked up (`wanted`, folded). */
function isLogin (login: unknown, wanted: string): boolean {
  return typeof login === 'string' && foldLogin(login) === wanted
}

/**
 * Most users read from the search for one login: Okta's logins are unique but for case and diacritical marks, so an
 * answer that goes on past this is not Okta's, and the request it serves would otherwise wait on it for ever.
 */
const MAX_LOGIN_SEARCH_USERS = 50

/** Okta's answer for a login it has no user for. */
function notFound (login: string): NotFoundError {
  return new NotFoundError({ status: 404, errorCode: 'E0000007', errorSummary: `Not found: Resource not found: ${login.replace(/\p{Cs}/gu, '\uFFFD')} (User)` })
}

/**
 * Whether `login` can be an Okta login at all: a lone UTF-16 surrogate (which a JSON body can carry) has no UTF-8
 * form, so Okta cannot hold it, find it or be sent it in a path.
 */
function isWellFormed (login: string): boolean {
  return !LONE_SURROGATE.test(login)
}

/** A surrogate that is not half of a pair (with the `u` flag, a pair is one code point, outside `Cs`). */
const LONE_SURROGATE = /\p{Cs}/u

async function provisionUser (client: LoginLookupClient, login: string, profile: ProvisionProfile | undefined, request: RequestOptions | undefined): Promise<string> {
  // Okta requires an email; logins are usually one.
  const email = profile?.email ?? login
  try {
    // activate=false: a STAGED user, no activation email, no password; factors can still be enrolled.
    const created = await client.createUser({ profile: { ...profile, email, login } }, { activate: false }, request)
    return created.id
  } catch (err) {
    if (clientCode(err) !== 'OKTA_VALIDATION') throw err
    // Two first sign-ins raced and the other one created the user: use it. Else Okta refused this user itself.
    try {
      return await idOfLogin(client, login, request)
    } catch (lookupErr) {
      if (clientCode(lookupErr) === 'OKTA_NOT_FOUND') throw new ProvisionRefusedError({ cause: err })
      throw lookupErr
    }
  }
}

/**
 * The Okta user id for `user`: calls `resolveOktaUser`, looks a login up, and with `provision: true`
 * creates a missing user without credentials. Client errors (e.g. `OKTA_NOT_FOUND` without provision) propagate; a
 * creation Okta refuses is a {@link ProvisionRefusedError}.
 *
 * @example
 * const oktaUserId = await resolveOktaUserId(client, (u) => ({ login: u.email }), req.user, req, { provision: true })
 */
export async function resolveOktaUserId<User, Req> (
  client: LoginLookupClient,
  resolveOktaUser: ResolveOktaUser<User, Req>,
  user: User,
  req: Req,
  options: ResolveOptions = {},
): Promise<string> {
  const ref = refOf(await resolveOktaUser(user, req))
  if ('id' in ref) return ref.id
  try {
    return await idOfLogin(client, ref.login, options.request)
  } catch (err) {
    // A login Okta cannot hold is not created either: it stays "no Okta user".
    if (options.provision === true && clientCode(err) === 'OKTA_NOT_FOUND' && isWellFormed(ref.login)) return await provisionUser(client, ref.login, ref.profile, options.request)
    throw err
  }
}
