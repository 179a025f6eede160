// The example's Okta connection from the environment: OKTA_ORG_URL with OKTA_API_TOKEN (SSWS) or an OAuth 2.0
// service app (OKTA_CLIENT_ID, OKTA_PRIVATE_KEY or OKTA_PRIVATE_KEY_FILE, OKTA_KEY_ID, OKTA_SCOPES, OKTA_DPOP),
// read by the shared parser. Errors are OktaAuthEnvError (coded, naming variables, never quoting a key or token).
import { oktaOrgUrlProblem } from '@okta-mfa/core'
import { missingOktaAuthError, OktaAuthEnvError, readOktaAuthEnv } from 'passport-okta-mfa'
import type { OktaConnection } from './app.js'

/**
 * The connection to the org in OKTA_ORG_URL, or undefined when it is unset (the example then starts its emulator,
 * and OKTA_API_TOKEN / OKTA_CLIENT_ID must be unset too). `http:` is accepted for loopback only (an emulator).
 * @throws OktaAuthEnvError (code OKTA_AUTH_*) on missing, conflicting or unusable settings.
 * @example const okta = oktaConnectionFromEnv(process.env)
 */
export function oktaConnectionFromEnv (env: Record<string, string | undefined>): Extract<OktaConnection, { orgUrl: string }> | undefined {
  const orgUrl = env.OKTA_ORG_URL ?? ''
  const setting = readOktaAuthEnv(env)
  if (orgUrl === '') {
    if (setting !== undefined) {
      throw new OktaAuthEnvError('OKTA_AUTH_INCOMPLETE', `${setting.kind === 'ssws' ? 'OKTA_API_TOKEN' : 'OKTA_CLIENT_ID'} is set but OKTA_ORG_URL is not: set both to use an Okta org, or neither to use the emulator`)
    }
    return undefined
  }
  if (setting === undefined) throw missingOktaAuthError()
  const problem = oktaOrgUrlProblem(orgUrl)
  if (problem !== undefined) throw new OktaAuthEnvError('OKTA_AUTH_INVALID', problem)
  // Plain http is only on loopback (an emulator): oktaOrgUrlProblem refuses it elsewhere.
  const insecure = new URL(orgUrl).protocol === 'http:'
  return setting.kind === 'ssws'
    ? { orgUrl, token: setting.auth, allowInsecureHttp: insecure }
    : { orgUrl, auth: setting.auth, allowInsecureHttp: insecure }
}
