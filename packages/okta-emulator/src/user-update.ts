// Update (POST, partial) and replace (PUT, strict) of a user's profile and credentials. A partial
// update merges the profile and removes the properties sent as null; a replace keeps exactly the
// profile sent (a PUT without `profile` changes only the credentials, as the Postman collection's
// "Set Password" does). A DEPROVISIONED user cannot be changed (403 E0000038). A hashed password (or a
// password hook) is taken for a STAGED user only; FEDERATION and SOCIAL users take no password or question.
import { isObject, type Ctx } from './context.js'
import { applyCredentials, parseCredentials, setsPassword } from './credentials.js'
import { validationError, wrongUserStatus } from './errors.js'
import { loginKey } from './store.js'
import type { UserRecord } from './types.js'
import { checkIdentity, checkProfile, endPasswordStep, USER_TYPE_ID, withoutNulls } from './users-model.js'

/** Applies an update (`replace = false`) or replace body to `u`; validates everything before changing anything. */
export function updateUser (ctx: Ctx, u: UserRecord, body: Record<string, unknown>, replace: boolean): void {
  if (u.status === 'DEPROVISIONED') throw wrongUserStatus()
  const what = 'user'
  const type = body['type']
  if (type !== undefined && type !== null) {
    if (!isObject(type) || (type['id'] !== undefined && type['id'] !== USER_TYPE_ID)) {
      throw validationError(what, 'type: The user type does not exist.')
    }
  }
  const creds = parseCredentials(body['credentials'], what, u.recoveryQuestion)
  // Okta: a hashed password (or a hook) only for a STAGED user; FEDERATION and SOCIAL users have no password or question.
  if ((creds.hash !== undefined || creds.hook !== undefined) && u.status !== 'STAGED') {
    throw validationError(what, 'password: A hashed password can be set only on a STAGED user.')
  }
  if ((u.provider?.type === 'FEDERATION' || u.provider?.type === 'SOCIAL') && (setsPassword(creds) || creds.recovery !== undefined)) {
    throw validationError(what, `credentials: A ${u.provider.type} provider takes no password or recovery question.`)
  }
  const profileIn = body['profile']
  let profile: Record<string, unknown> | undefined
  if (profileIn !== undefined && profileIn !== null) {
    if (!isObject(profileIn)) throw validationError(what, 'profile: Does not match required type object')
    const given = checkProfile(profileIn, what)
    profile = withoutNulls(replace ? given : { ...u.profile, ...given })
    // The user's own login, in any case or with other diacritical marks (one login for Okta), is not taken.
    const oldLogin = loginKey(String(u.profile['login']))
    checkIdentity(profile, (login) => loginKey(login) !== oldLogin && ctx.store.hasLogin(login))
  } else if (!setsPassword(creds) && creds.recovery === undefined && replace) {
    throw validationError(what, 'profile: The field cannot be left blank')
  }
  const now = ctx.clock()
  if (profile !== undefined) {
    const oldLogin = String(u.profile['login'])
    u.profile = profile
    if (String(profile['login']) !== oldLogin) ctx.store.renameLogin(u, oldLogin)
  }
  applyCredentials(u, creds, now)
  // An administrator setting a password ends a reset or an expiry.
  if (creds.password !== undefined) endPasswordStep(u, now)
  u.lastUpdated = now
}
