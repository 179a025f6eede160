// Creating a user (POST /api/v1/users) as Okta documents it: `activate` (STAGED without it; with it
// PROVISIONED, or ACTIVE with a password or an external provider), `nextLogin=changePassword` (a password
// that is expired at once: PASSWORD_EXPIRED; 400 E0000124 without a password, E0000125 without
// activation), `credentials.provider` (FEDERATION and SOCIAL users have no password and are ACTIVE once
// activated), imported hashes and password hooks (provider IMPORT), `type.id` (the org's one type), and
// `groupIds` (the emulator has no groups: any id is unknown).
import { applyCredentials, parseCredentials, setsPassword } from './credentials.js'
import { isObject } from './context.js'
import { notFound, OktaError, validationError } from './errors.js'
import { ID_PREFIX, newId } from './ids.js'
import type { UserRecord, UserStatus } from './types.js'
import { activatesToActive, checkIdentity, checkProfile, USER_TYPE_ID, withoutNulls } from './users-model.js'

/** How a user is created (the query parameters of POST /api/v1/users, and the emulator's context). */
export interface CreateOptions {
  /** `activate` (Okta's default: true). */
  activate: boolean
  /** `nextLogin`; only `changePassword` means something. */
  nextLogin?: string | undefined
  now: number
  /** Whether another user has this login (case-insensitive). */
  loginTaken: (login: string) => boolean
}

/** Okta's E0000124 and E0000125, word for word as its createUser examples show them. */
const expireNeedsPassword = (): OktaError => new OktaError(400, 'E0000124',
  'Could not create user. To create a user and expire their password immediately, a password must be specified.',
  ['Could not create user. To create a user and expire their password immediately, a password must be specified.'])
const expireNeedsActivation = (): OktaError => new OktaError(400, 'E0000125',
  'Could not create user. To create a user and expire their password immediately, `activate` must be true.',
  ['Could not create user. To create a user and expire their password immediately, `activate` must be true.'])

const PROVIDER_TYPES = ['ACTIVE_DIRECTORY', 'FEDERATION', 'IMPORT', 'LDAP', 'OKTA', 'SOCIAL']

/** `credentials.provider` of a create body: the external provider to keep, or undefined (OKTA, or IMPORT, which the password decides). */
function parseProvider (creds: unknown, importing: boolean, hasSecrets: boolean): UserRecord['provider'] {
  const v = isObject(creds) ? creds['provider'] : undefined
  if (v === undefined || v === null) return undefined
  if (!isObject(v)) throw validationError('newUser', 'credentials.provider: Does not match required type object')
  const { type } = v
  const name = v['name'] ?? type
  if (typeof type !== 'string' || !PROVIDER_TYPES.includes(type)) {
    throw validationError('newUser', `credentials.provider.type: must be one of ${PROVIDER_TYPES.join(', ')}`)
  }
  if (typeof name !== 'string' || name === '' || name.length > 100) throw validationError('newUser', 'credentials.provider.name: Does not match required type string')
  if (type === 'ACTIVE_DIRECTORY' || type === 'LDAP') throw validationError('newUser', `credentials.provider: The emulator has no ${type} directory.`)
  if (type === 'IMPORT' && !importing) throw validationError('newUser', 'credentials.provider: An IMPORT provider needs password.hash or password.hook.')
  if (type !== 'FEDERATION' && type !== 'SOCIAL') return undefined
  // Okta's schema: these providers support neither a password nor a recovery question.
  if (hasSecrets) throw validationError('newUser', `credentials: A ${type} provider takes no password or recovery question.`)
  return { type, name }
}

function checkType (type: unknown): void {
  if (type === undefined || type === null) return
  if (!isObject(type) || (type['id'] !== undefined && type['id'] !== USER_TYPE_ID)) throw validationError('newUser', 'type: The user type does not exist.')
}

function checkGroups (groupIds: unknown): void {
  if (groupIds === undefined || groupIds === null) return
  if (!Array.isArray(groupIds) || groupIds.some((g) => typeof g !== 'string' || g === '')) {
    throw validationError('newUser', 'groupIds: Does not match required type array of strings')
  }
  const first = groupIds[0] as string | undefined
  if (first !== undefined) throw notFound(first, 'UserGroup')
}

/**
 * A user as first stored, before credentials: no password, never signed in, `activated` and `statusChanged` set to
 * `now` when it starts out activated. Shared by the create route and the seed.
 */
export function newUserRecord (id: string, status: UserStatus, now: number, activated: boolean, profile: Record<string, unknown>): UserRecord {
  return {
    id,
    status,
    created: now,
    activated: activated ? now : null,
    statusChanged: activated ? now : null,
    lastLogin: null,
    lastUpdated: now,
    passwordChanged: null,
    profile,
    hasPassword: false,
    failedVerifications: 0,
  }
}

/** Validates a create-user body and builds the record (not yet stored). */
export function buildUser (body: Record<string, unknown>, opts: CreateOptions): UserRecord {
  const profileIn = body['profile']
  if (!isObject(profileIn)) throw validationError('newUser', 'profile: The field cannot be left blank')
  const profile = withoutNulls(checkProfile(profileIn, 'newUser'))
  checkIdentity(profile, opts.loginTaken)
  const creds = parseCredentials(body['credentials'], 'newUser')
  const provider = parseProvider(body['credentials'], creds.hash !== undefined || creds.hook !== undefined, setsPassword(creds) || creds.recovery !== undefined)
  checkType(body['type'])
  checkGroups(body['groupIds'])
  const expire = opts.nextLogin === 'changePassword'
  if (expire && !setsPassword(creds)) throw expireNeedsPassword()
  if (expire && !opts.activate) throw expireNeedsActivation()
  const { now, activate } = opts
  const user = newUserRecord(newId(ID_PREFIX.user), 'STAGED', now, activate, profile)
  if (provider !== undefined) user.provider = provider
  applyCredentials(user, creds, now)
  const status: UserStatus = !activate ? 'STAGED' : expire ? 'PASSWORD_EXPIRED' : activatesToActive(user) ? 'ACTIVE' : 'PROVISIONED'
  user.status = status
  return user
}
