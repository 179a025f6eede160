// Users as Okta stores and renders them: the base profile schema, creation rules and the JSON
// shape of a user (timestamps with milliseconds, nulls where Okta sends nulls, `_links` by status).
import { validationError } from './errors.js'
import { iso, isObject } from './context.js'
import { ID_PREFIX, newId } from './ids.js'
import type { UserRecord, UserStatus } from './types.js'

/** The id of the one user type (Okta's default "User" type). */
export const USER_TYPE_ID = 'otyEmulat0rDefau1t00'
const SCHEMA_ID = 'oscEmulat0rDefau1t00'
/** The id of the org's one realm (Okta's newer orgs return `realmId` on users). */
export const REALM_ID = 'guoEmulat0rDefau1t00'

/** Attributes of Okta's base user profile; anything else is refused as Okta refuses it. */
export const PROFILE_ATTRIBUTES = new Set([
  'login', 'email', 'secondEmail', 'firstName', 'lastName', 'middleName', 'honorificPrefix', 'honorificSuffix',
  'title', 'displayName', 'nickName', 'profileUrl', 'primaryPhone', 'mobilePhone', 'streetAddress', 'city',
  'state', 'zipCode', 'postalAddress', 'countryCode', 'preferredLanguage', 'locale', 'timezone', 'userType',
  'employeeNumber', 'costCenter', 'organization', 'division', 'department', 'managerId', 'manager',
])

const EMAILISH = /^[^\s@]+@[^\s@]+$/

/** Validates a create-user body and builds the record (not yet stored). */
export function buildUser (body: Record<string, unknown>, activate: boolean, now: number, loginTaken: (login: string) => boolean): UserRecord {
  const profileIn = body['profile']
  if (!isObject(profileIn)) throw validationError('newUser', 'profile: The field cannot be left blank')
  const profile: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(profileIn)) {
    if (!PROFILE_ATTRIBUTES.has(k)) throw validationError('newUser', `Property name '${k}' is not defined in profile`)
    if (v !== null && typeof v !== 'string') throw validationError('newUser', `${k}: Does not match required type string`)
    profile[k] = v
  }
  const login = profile['login']
  if (typeof login !== 'string' || login.trim() === '') throw validationError('login', 'login: The field cannot be left blank')
  if (!EMAILISH.test(login)) throw validationError('login', 'login: Username must be in the form of an email address')
  const email = profile['email']
  if (typeof email !== 'string' || email.trim() === '') throw validationError('email', 'email: The field cannot be left blank')
  if (!EMAILISH.test(email)) throw validationError('email', 'email: Does not match required pattern')
  if (loginTaken(login)) throw validationError('login', 'login: An object with this field already exists in the current organization')

  const creds = body['credentials']
  let password: string | undefined
  let recoveryQuestion: string | undefined
  if (creds !== undefined && creds !== null) {
    if (!isObject(creds)) throw validationError('newUser', 'credentials: Does not match required type object')
    const pw = creds['password']
    if (pw !== undefined && pw !== null) {
      if (!isObject(pw)) throw validationError('newUser', 'credentials.password: Does not match required type object')
      const value = pw['value']
      if (value !== undefined && value !== null) {
        if (typeof value !== 'string' || value === '') throw validationError('password', 'password: Password requirements were not met.')
        password = value
      }
    }
    const rq = creds['recovery_question']
    if (rq !== undefined && rq !== null) {
      if (!isObject(rq) || typeof rq['question'] !== 'string' || typeof rq['answer'] !== 'string') {
        throw validationError('recovery_question', 'recovery_question: The question and answer must be strings.')
      }
      recoveryQuestion = rq['question']
    }
  }
  const status: UserStatus = !activate ? 'STAGED' : password === undefined ? 'PROVISIONED' : 'ACTIVE'
  return {
    id: newId(ID_PREFIX.user),
    status,
    created: now,
    activated: activate ? now : null,
    statusChanged: activate ? now : null,
    lastLogin: null,
    lastUpdated: now,
    passwordChanged: password === undefined ? null : now,
    profile,
    hasPassword: password !== undefined,
    ...(recoveryQuestion === undefined ? {} : { recoveryQuestion }),
    failedVerifications: 0,
  }
}

/** Changes a user's status, stamping statusChanged and lastUpdated. */
export function setStatus (user: UserRecord, status: UserStatus, now: number): void {
  user.status = status
  user.statusChanged = now
  user.lastUpdated = now
}

function link (href: string, method?: string): Record<string, string> {
  return method === undefined ? { href } : { href, method }
}

/** The user as Okta renders it. */
export function renderUser (u: UserRecord, base: string): Record<string, unknown> {
  const self = `${base}/api/v1/users/${u.id}`
  const { firstName = null, lastName = null, mobilePhone = null, secondEmail = null, login, email, ...rest } = u.profile
  const links: Record<string, unknown> = { schema: link(`${base}/api/v1/meta/schemas/user/${SCHEMA_ID}`) }
  switch (u.status) {
    case 'STAGED':
    case 'DEPROVISIONED':
      links['activate'] = link(`${self}/lifecycle/activate`, 'POST')
      break
    case 'LOCKED_OUT':
      links['unlock'] = link(`${self}/lifecycle/unlock`, 'POST')
      break
    case 'PROVISIONED':
      links['suspend'] = link(`${self}/lifecycle/suspend`, 'POST')
      links['resetPassword'] = link(`${self}/lifecycle/reset_password`, 'POST')
      links['reactivate'] = link(`${self}/lifecycle/reactivate`, 'POST')
      break
    default:
      links['suspend'] = link(`${self}/lifecycle/suspend`, 'POST')
      links['resetPassword'] = link(`${self}/lifecycle/reset_password`, 'POST')
  }
  links['self'] = link(self)
  links['resetFactors'] = link(`${self}/lifecycle/reset_factors`, 'POST')
  links['type'] = link(`${base}/api/v1/meta/types/user/${USER_TYPE_ID}`)
  // As real orgs answer: DEPROVISIONED offers `delete`, STAGED neither `delete` nor `deactivate`.
  if (u.status === 'DEPROVISIONED') links['delete'] = link(self, 'DELETE')
  else if (u.status !== 'STAGED') links['deactivate'] = link(`${self}/lifecycle/deactivate`, 'POST')
  const credentials: Record<string, unknown> = {}
  if (u.hasPassword) credentials['password'] = {}
  if (u.recoveryQuestion !== undefined) credentials['recovery_question'] = { question: u.recoveryQuestion }
  credentials['provider'] = { type: 'OKTA', name: 'OKTA' }
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
    profile: { firstName, lastName, mobilePhone, secondEmail, login, email, ...rest },
    credentials,
    _links: links,
  }
}

/** Reads an attribute path (`status`, `profile.login`, `type.id`, …) for search and filter. */
export function userAttr (u: UserRecord, attr: string): unknown {
  if (attr.startsWith('profile.')) return u.profile[attr.slice(8)]
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
