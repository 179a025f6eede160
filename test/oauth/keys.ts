// Keys and emulators for the OAuth tests: a service app's key pair (PEM and JWK), and an emulator
// on the real clock (client assertions and DPoP proofs are signed at the real time) with apps registered.
import { generateKeyPairSync } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { JWK } from 'jose'
import type { EmulatorOptions, ServiceApp } from '@okta-mfa/emulator'
import { withEmulator, type TestEmulator } from '../helpers/emulator.js'

/** A service app's key pair. */
export interface AppKey {
  kid: string
  /** PKCS#8 PEM of the private key. */
  pem: string
  /** The private key as a JWK (with `kid`). */
  privateJwk: JWK
  /** The public key as a JWK (with `kid`), what the app registers. */
  publicJwk: JWK
}

/** Test-only key pairs, made once (test/fixtures/oauth-keys.json), so no test file generates RSA keys as it loads. */
const POOL = JSON.parse(readFileSync(new URL('../fixtures/oauth-keys.json', import.meta.url), 'utf8')) as Record<'rsa' | 'ec', Array<Omit<AppKey, 'kid'>>>
const handedOut = { rsa: 0, ec: 0 }

/** An RSA-2048 (default) or EC P-256 key pair not handed out before in this process (a fresh one once the pool is used up). */
export function appKey (kid: string, type: 'rsa' | 'ec' = 'rsa'): AppKey {
  const pooled = POOL[type][handedOut[type]++]
  if (pooled !== undefined) return { kid, pem: pooled.pem, privateJwk: { ...pooled.privateJwk, kid }, publicJwk: { ...pooled.publicJwk, kid } }
  const { privateKey, publicKey } = type === 'rsa'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return {
    kid,
    pem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    privateJwk: { ...privateKey.export({ format: 'jwk' }), kid } as JWK,
    publicJwk: { ...publicKey.export({ format: 'jwk' }), kid } as JWK,
  }
}

/** Both scopes the seed flow needs. */
export const ALL_SCOPES = ['okta.users.read', 'okta.users.manage']

/** A service app registration for a key. */
export function app (clientId: string, key: AppKey, scopes: string[] = ALL_SCOPES, dpop = true): ServiceApp {
  return { clientId, jwks: { keys: [key.publicJwk] }, scopes, dpop }
}

/** An emulator on the real clock with these service apps. */
export async function oauthEmulator (
  t: { teardown: (fn: () => unknown) => void }, serviceApps: ServiceApp[], opts: Omit<EmulatorOptions, 'clock' | 'serviceApps'> = {},
): Promise<TestEmulator> {
  return await withEmulator(t, { ...opts, serviceApps, clock: null })
}

/** What `p` rejects with (the test fails when it resolves). */
export async function rejection (p: Promise<unknown>): Promise<Error & Record<string, any>> {
  try {
    await p
  } catch (err) {
    return err as Error & Record<string, any>
  }
  throw new Error('expected a rejection')
}
