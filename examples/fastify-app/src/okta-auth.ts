// How the demo authorizes to Okta. From the environment: OKTA_API_TOKEN, or an OAuth 2.0 service app
// (OKTA_CLIENT_ID, OKTA_PRIVATE_KEY or OKTA_PRIVATE_KEY_FILE, OKTA_KEY_ID, OKTA_SCOPES, OKTA_DPOP), read by the
// shared parser. With the in-process emulator: SSWS, or with DEMO_OKTA_AUTH=oauth (`--oauth`) a service app made
// at start (a fresh key pair, DPoP required, the scopes the flow needs) so that every Okta call goes over OAuth.
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import type { OktaOAuthOptions } from '@okta-mfa/client'
import type { Emulator } from '@okta-mfa/emulator'
import { OktaAuthEnvError, readOktaAuthEnv, type OktaAuthSetting } from 'passport-okta-mfa'

/**
 * How the app talks to the in-process emulator: SSWS (its API token) or OAuth 2.0 with DPoP.
 * @default 'ssws'
 * @example await buildApp({ sessionKey, emulatorAuth: 'oauth' })
 */
export type EmulatorAuth = 'ssws' | 'oauth'

/**
 * The scopes the demo's flow needs: reads (users, factors) and manage (create, enroll, activate, verify, delete).
 * @example emulator.oauth.registerServiceApp({ clientId, jwks, scopes: [...DEMO_SCOPES] })
 */
export const DEMO_SCOPES: readonly string[] = Object.freeze(['okta.users.read', 'okta.users.manage'])

/**
 * DEMO_OKTA_AUTH: `ssws` (default) or `oauth`. Returns undefined for anything else (the caller names the variable).
 * @example emulatorAuthOf(process.env.DEMO_OKTA_AUTH) // 'ssws'
 */
export function emulatorAuthOf (value: string | undefined): EmulatorAuth | undefined {
  const v = (value ?? '').trim().toLowerCase()
  if (v === '' || v === 'ssws') return 'ssws'
  if (v === 'oauth') return 'oauth'
  return undefined
}

/**
 * The Okta authorization in the environment, or undefined when none is set.
 * @throws the Error `wrap` makes of the shared parser's message (which starts with its code); never a key in it.
 * @example const setting = oktaAuthFromEnv(process.env, (message) => new ConfigError(message))
 */
export function oktaAuthFromEnv (env: Record<string, string | undefined>, wrap: (message: string) => Error): OktaAuthSetting | undefined {
  try {
    return readOktaAuthEnv(env)
  } catch (err) {
    if (err instanceof OktaAuthEnvError) throw wrap(err.message)
    throw err
  }
}

/**
 * Registers a new service app with the in-process emulator (a fresh EC P-256 key pair, DPoP required, {@link DEMO_SCOPES})
 * and returns the client's `auth` option for it. The private key never leaves this process.
 * @example const auth = registerDemoServiceApp(emulator)
 */
export function registerDemoServiceApp (emulator: Emulator): OktaOAuthOptions {
  const kid = `demo-${randomBytes(6).toString('hex')}`
  const clientId = `0oademo${randomBytes(8).toString('hex')}`
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  emulator.oauth.registerServiceApp({
    clientId,
    jwks: { keys: [{ ...publicKey.export({ format: 'jwk' }), kid, use: 'sig' }] },
    scopes: [...DEMO_SCOPES],
    dpop: true,
  })
  return { clientId, privateKey: { ...privateKey.export({ format: 'jwk' }), kid }, keyId: kid, scopes: [...DEMO_SCOPES], dpop: true }
}
