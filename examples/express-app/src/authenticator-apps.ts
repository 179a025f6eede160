// The user's authenticator apps, for the MFA page. Okta lets a person hold two ACTIVE TOTP factors (Google
// Authenticator's and Okta Verify's code); a code sent without a factor id is then refused (sent to the other one, a
// right code would count as wrong, towards Okta's lockout), so the page asks which app shows the code.
import { cachedFactors, getOktaUserBinding, type SessionRequest } from '@okta-mfa/core'
import { resolveOktaUserId, TOTP_FACTOR_TYPE, userKeyOf, type MfaOktaClient, type ResolveOktaUser } from 'passport-okta-mfa'

/** One authenticator app the MFA page offers: its factor id and its name. */
export interface AuthenticatorApp {
  id: string
  label: string
}

/** The name of a TOTP factor's app, by Okta's `provider`. */
const APP_NAMES: Readonly<Record<string, string>> = { GOOGLE: 'Google Authenticator', OKTA: 'Okta Verify' }

/** The longest the page waits for Okta's list: past it, it is shown without the choice (a code then says why). */
const LOOKUP_MS = 2_000

/**
 * The user's ACTIVE TOTP factors when there are several; none when there is one (the form sends no factor id and the
 * strategy finds it), or when Okta cannot say in time (the code's own answer will tell). Read from the list the
 * strategy cached in the session when it is fresh (no Okta call), else from Okta. Never creates an Okta user.
 */
export async function authenticatorChoices<User> (req: SessionRequest, client: MfaOktaClient, resolveOktaUser: ResolveOktaUser<User>, user: User, now: number): Promise<AuthenticatorApp[]> {
  try {
    const userKey = userKeyOf(user)
    const request = { deadline: performance.now() + LOOKUP_MS, waitOnRateLimit: false }
    const factors = cachedFactors(req, userKey, now) ??
      await client.listFactors(getOktaUserBinding(req, userKey)?.oktaUserId ?? await resolveOktaUserId(client, resolveOktaUser, user, undefined, { request }), request)
    const apps = factors.filter((f) => f.factorType === TOTP_FACTOR_TYPE && f.status === 'ACTIVE')
    return apps.length < 2 ? [] : apps.map((f) => ({ id: f.id, label: APP_NAMES[String(f.provider)] ?? 'Authenticator app' }))
  } catch {
    return []
  }
}
