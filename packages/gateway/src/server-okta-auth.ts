// The standalone server's Okta authorization from the environment: OKTA_API_TOKEN (SSWS) or an OAuth 2.0 service
// app (OKTA_CLIENT_ID, OKTA_PRIVATE_KEY or OKTA_PRIVATE_KEY_FILE, OKTA_KEY_ID, OKTA_SCOPES, OKTA_DPOP), read by
// @okta-mfa/core's shared parser. A problem is added to the server's list, named, never with a key or token in it.
import type { OktaOAuthOptions } from '@okta-mfa/client'
import { OktaAuthEnvError, readOktaAuthEnv } from '@okta-mfa/core'

/**
 * The server's authorization: exactly one of the two is set when no problem was recorded.
 * @example const { token, auth } = serverOktaAuth(process.env, problems)
 */
export interface ServerOktaAuth {
  /** OKTA_API_TOKEN. */
  token?: string | undefined
  /** The OAuth 2.0 service app's settings. */
  auth?: OktaOAuthOptions | undefined
}

/**
 * Reads the authorization variables; pushes a problem (with its code) when they are missing, conflicting or unusable.
 * @example
 * const problems: string[] = []
 * const oktaAuth = serverOktaAuth({ OKTA_API_TOKEN: '00abc' }, problems) // { token: '00abc' }
 */
export function serverOktaAuth (env: NodeJS.ProcessEnv, problems: string[]): ServerOktaAuth {
  try {
    const setting = readOktaAuthEnv(env)
    if (setting === undefined) {
      problems.push('OKTA_API_TOKEN is missing (an Okta API token), or set OKTA_CLIENT_ID with OKTA_PRIVATE_KEY or OKTA_PRIVATE_KEY_FILE (an OAuth 2.0 service app) [OKTA_AUTH_MISSING]')
      return {}
    }
    return setting.kind === 'ssws' ? { token: setting.auth } : { auth: setting.auth }
  } catch (err) {
    if (!(err instanceof OktaAuthEnvError)) throw err
    for (const p of err.problems) problems.push(`${p.code}: ${p.message}`)
    return {}
  }
}
