// Users as Okta stores and renders them: the base profile schema and the JSON shape of a user
// (timestamps in whole seconds, the four base profile properties null when unset, `_links` by status).
// Creation is in user-create.ts, updates in user-update.ts.
import { renderCredentials } from './credentials.js'
import { validationError } from './errors.js'
import { iso } from './context.js'
import { EMAILISH, MAX_LOGIN, MAX_PROFILE_VALUE } from './limits.js'
import type { UserRecord, UserStatus } from './types.js'

/** The id of the one user type (Okta's default "User" type). */
export const USER_TYPE_ID = 'otyEmulat0rDefau1t00'
/** The id of the default user schema. */
export const SCHEMA_ID = 'oscEmulat0rDefau1t00'
/** The id of the org's one realm (Okta's newer orgs return `realmId` on users). */
export const REALM_ID = 'guoEmulat0rDefau1t00'

/** Attributes of Okta's base user profile; anything else is refused as Okta refuses it. */
export const PROFILE_ATTRIBUTES = new Set([
  'login', 'email', 'secondEmail', 'firstName', 'lastName', 'middleName', 'honorificPrefix', 'honorificSuffix',
  'title', 'displayName', 'nickName', 'profileUrl', 'primaryPhone', 'mobilePhone', 'streetAddress', 'city',
  'state', 'zipCode', 'postalAddress', 'countryCode', 'preferredLanguage', 'locale', 'timezone', 'userType',
  'employeeNumber', 'costCenter', 'organization', 'division', 'department', 'managerId', 'manager',
])

/** Okta's schema (UserProfile): [minLength, maxLength] of the attributes it bounds; others at most MAX_PROFILE_VALUE. */
const PROFILE_LENGTHS: Readonly<Record<string, readonly [number, number]>> = {
  login: [5, MAX_LOGIN], email: [5, 100], secondEmail: [0, 100], firstName: [1, 50], lastName: [1, 50],
  countryCode: [0, 2], city: [0, 128], state: [0, 128], streetAddress: [0, 1024], zipCode: [0, 50],
  postalAddress: [0, 4096], mobilePhone: [0, 100], primaryPhone: [0, 100],
}

/** `[minLength, maxLength]` of a profile attribute, in characters: what the checks enforce and the served schema states. */
export function profileLengths (name: string): readonly [number, number] {
  return PROFILE_LENGTHS[name] ?? [0, MAX_PROFILE_VALUE]
}

/**
 * Checks a `profile` object of a create, update or replace body: known attributes only, strings
 * (or null, meaning "not set"), bounded lengths. Returns a copy.
 */
export function checkProfile (profileIn: Record<string, unknown>, what: string): Record<string, unknown> {
  const profile: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(profileIn)) {
    if (!PROFILE_ATTRIBUTES.has(k)) throw validationError(what, `Property name '${k}' is not defined in profile`)
    if (v !== null && typeof v !== 'string') throw validationError(what, `${k}: Does not match required type string`)
    const [min, max] = profileLengths(k)
    if (typeof v === 'string' && v.length > max) throw validationError(what, `${k}: The field is too long (at most ${max} characters).`)
    if (typeof v === 'string' && v.length < min) throw validationError(what, `${k}: The field is too short (at least ${min} characters).`)
    // Okta's schema gives secondEmail `format: email`, as email (which checkIdentity checks on the whole profile).
    if (k === 'secondEmail' && typeof v === 'string' && v !== '' && !EMAILISH.test(v)) throw validationError('secondEmail', 'secondEmail: Does not match required pattern')
    profile[k] = v
  }
  return profile
}

/** Checks `login` and `email` of a complete profile; `loginTaken` says whether another user has a login. */
export function checkIdentity (profile: Record<string, unknown>, loginTaken: (login: string) => boolean): void {
  const login = profile['login']
  if (typeof login !== 'string' || login.trim() === '') throw validationError('login', 'login: The field cannot be left blank')
  if (!EMAILISH.test(login)) throw validationError('login', 'login: Username must be in the form of an email address')
  const email = profile['email']
  if (typeof email !== 'string' || email.trim() === '') throw validationError('email', 'email: The field cannot be left blank')
  if (!EMAILISH.test(email)) throw validationError('email', 'email: Does not match required pattern')
  if (loginTaken(login)) throw validationError('login', 'login: An object with this field already exists in the current organization')
}

/** The profile without its null values: Okta leaves out a property that is not set. */
export function withoutNulls (profile: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(profile)) if (v !== null && v !== undefined) out[k] = v
  return out
}

/**
 * Whether activating the user makes it ACTIVE at once: it has a password, or an external provider
 * (FEDERATION, SOCIAL) vouches for it; otherwise it is PROVISIONED until it sets a password.
 */
export function activatesToActive (u: UserRecord): boolean {
  return u.hasPassword || u.provider?.type === 'FEDERATION' || u.provider?.type === 'SOCIAL'
}

/**
 * Changes a user's status, stamping lastUpdated, and statusChanged when the status is another ("the timestamp when
 * the status of the user last changed": a second reset_password leaves it). A lockout that ends, however it ends
 * (unlock, deactivate, reset_password, expire_password), clears the failed-verification count with it: the next
 * lockout takes `lockoutThreshold` new failures, not one.
 */
export function setStatus (user: UserRecord, status: UserStatus, now: number): void {
  if (status === 'LOCKED_OUT') {
    if (user.status !== 'LOCKED_OUT') user.statusBeforeLockout = user.status
  } else {
    delete user.statusBeforeLockout
    if (user.status === 'LOCKED_OUT') user.failedVerifications = 0
  }
  if (user.status !== status) user.statusChanged = now
  user.status = status
  user.lastUpdated = now
}

/**
 * The status whose rules an operation applies to the user: a lockout never skips a lifecycle step, so a user it
 * caught before activation (STAGED, PROVISIONED) is answered as that status; any other user, as its own status.
 */
export function statusForRules (user: UserRecord): UserStatus {
  const before = user.statusBeforeLockout
  return user.status === 'LOCKED_OUT' && (before === 'STAGED' || before === 'PROVISIONED') ? before : user.status
}

/**
 * A password was set (by the user or an administrator): a reset (RECOVERY) or an expiry (PASSWORD_EXPIRED) is over,
 * and the user is ACTIVE. A lockout that interrupted one stays until unlocked, and then gives back ACTIVE.
 */
export function endPasswordStep (user: UserRecord, now: number): void {
  if (user.status === 'RECOVERY' || user.status === 'PASSWORD_EXPIRED') setStatus(user, 'ACTIVE', now)
  else if (user.status === 'LOCKED_OUT' && (user.statusBeforeLockout === 'RECOVERY' || user.statusBeforeLockout === 'PASSWORD_EXPIRED')) {
    user.statusBeforeLockout = 'ACTIVE'
  }
}

function link (href: string, method?: string): Record<string, string> {
  return method === undefined ? { href } : { href, method }
}

/** How a user is rendered: `list` = as an item of GET /users (only `_links.self`); `factors` = how many it has. */
export interface RenderUserOptions {
  list?: boolean
  factors?: number
  /** Okta's `okta-response=omitCredentials`: no `credentials`. */
  omitCredentials?: boolean
  /** Okta's `okta-response=omitCredentialsLinks`: no links to change, reset or recover credentials, nor unlock. */
  omitCredentialsLinks?: boolean
}

/** The links Okta's `omitCredentialsLinks` leaves out. */
const CREDENTIALS_LINKS = ['changePassword', 'changeRecoveryQuestion', 'forgotPassword', 'resetPassword', 'resetFactors', 'unlock']

/**
 * What a request's `Content-Type: application/json; okta-response=omitCredentials,omitCredentialsLinks` asks to leave
 * out of a user (Okta's getUser and listUsers).
 */
export function oktaResponseOptions (contentType: string | undefined): Pick<RenderUserOptions, 'omitCredentials' | 'omitCredentialsLinks'> {
  const m = typeof contentType === 'string' ? /;\s*okta-response\s*=\s*"?([^";]*)"?/i.exec(contentType.slice(0, 1000)) : null
  if (m === null) return {}
  const asked = new Set(m[1]!.split(',').map((s) => s.trim()))
  return { omitCredentials: asked.has('omitCredentials'), omitCredentialsLinks: asked.has('omitCredentialsLinks') }
}

/** Statuses whose `_links` offer `suspend` (Okta suspends ACTIVE users; PROVISIONED and RECOVERY get the link too). */
const SUSPENDABLE: ReadonlySet<string> = new Set(['ACTIVE', 'PROVISIONED', 'RECOVERY'])

/** The `_links` of a user by status, as real orgs answer (see the README for the rules). */
function userLinks (u: UserRecord, base: string, factors: number, omitCredentialsLinks: boolean): Record<string, unknown> {
  const self = `${base}/api/v1/users/${u.id}`
  // A real org lists `suspend` before `schema` (the recorded PROVISIONED user); statuses without it start at `schema`.
  const links: Record<string, unknown> = SUSPENDABLE.has(u.status) ? { suspend: link(`${self}/lifecycle/suspend`, 'POST') } : {}
  links['schema'] = link(`${base}/api/v1/meta/schemas/user/${SCHEMA_ID}`)
  switch (u.status) {
    case 'STAGED':
    case 'DEPROVISIONED':
      links['activate'] = link(`${self}/lifecycle/activate`, 'POST')
      break
    case 'LOCKED_OUT':
      links['unlock'] = link(`${self}/lifecycle/unlock`, 'POST')
      break
    case 'SUSPENDED':
      links['unsuspend'] = link(`${self}/lifecycle/unsuspend`, 'POST')
      break
    case 'PROVISIONED':
    case 'RECOVERY':
      links['resetPassword'] = link(`${self}/lifecycle/reset_password`, 'POST')
      links['reactivate'] = link(`${self}/lifecycle/reactivate`, 'POST')
      break
    case 'PASSWORD_EXPIRED':
      // Okta suspends ACTIVE users only, so no suspend link here.
      links['resetPassword'] = link(`${self}/lifecycle/reset_password`, 'POST')
      break
    default:
      links['resetPassword'] = link(`${self}/lifecycle/reset_password`, 'POST')
  }
  // The credential operations of Okta's user `_links` schema, for an ACTIVE user with a password.
  if (u.status === 'ACTIVE' && u.hasPassword) {
    links['expirePassword'] = link(`${self}/lifecycle/expire_password`, 'POST')
    links['forgotPassword'] = link(`${self}/credentials/forgot_password`, 'POST')
    links['changeRecoveryQuestion'] = link(`${self}/credentials/change_recovery_question`, 'POST')
    links['changePassword'] = link(`${self}/credentials/change_password`, 'POST')
  }
  links['self'] = link(self)
  // Okta documents the link "only if the user is enrolled in one or more factors"; real orgs also
  // give it to STAGED and DEPROVISIONED users without any (the recorded answers show both).
  if (factors > 0 || u.status === 'STAGED' || u.status === 'DEPROVISIONED') {
    links['resetFactors'] = link(`${self}/lifecycle/reset_factors`, 'POST')
  }
  links['type'] = link(`${base}/api/v1/meta/types/user/${USER_TYPE_ID}`)
  // As real orgs answer: DEPROVISIONED offers `delete`, STAGED neither `delete` nor `deactivate`.
  if (u.status === 'DEPROVISIONED') links['delete'] = link(self, 'DELETE')
  else if (u.status !== 'STAGED') links['deactivate'] = link(`${self}/lifecycle/deactivate`, 'POST')
  if (omitCredentialsLinks) for (const name of CREDENTIALS_LINKS) delete links[name]
  return links
}

/** The user as Okta renders it. */
export function renderUser (u: UserRecord, base: string, opts: RenderUserOptions = {}): Record<string, unknown> {
  const { firstName = null, lastName = null, mobilePhone = null, secondEmail = null, login, email, ...rest } = u.profile
  return {
    id: u.id,
    status: u.status,
    created: iso(u.created),
    activated: iso(u.activated),
    statusChanged: iso(u.statusChanged),
    lastLogin: iso(u.lastLogin),
    lastUpdated: iso(u.lastUpdated),
    passwordChanged: iso(u.passwordChanged),
    realmId: REALM_ID,
    type: { id: USER_TYPE_ID },
    profile: { firstName, lastName, mobilePhone, secondEmail, login, email, ...withoutNulls(rest) },
    ...(opts.omitCredentials === true ? {} : { credentials: renderCredentials(u, opts.list === true) }),
    _links: opts.list === true ? { self: link(`${base}/api/v1/users/${u.id}`) } : userLinks(u, base, opts.factors ?? 0, opts.omitCredentialsLinks === true),
  }
}

/** Reads an attribute path (`status`, `profile.login`, `type.id`, …) for search and filter. */
export function userAttr (u: UserRecord, attr: string): unknown {
  // Own properties only: `profile.toString` or `profile.__proto__` names no property a user has, not Object's members.
  if (attr.startsWith('profile.')) return Object.hasOwn(u.profile, attr.slice(8)) ? u.profile[attr.slice(8)] : undefined
  switch (attr) {
    case 'id': return u.id
    case 'status': return u.status
    case 'type.id': return USER_TYPE_ID
    case 'created': case 'activated': case 'statusChanged': case 'lastUpdated': case 'lastLogin': case 'passwordChanged': {
      const v = u[attr]
      return v === null ? null : iso(v)
    }
    default: return undefined
  }
}
