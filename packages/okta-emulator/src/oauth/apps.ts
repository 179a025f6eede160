// Service apps (Okta "API Services" integrations): a client id, its public key(s), the okta.*
// scopes granted to it, and whether it must present DPoP proofs. Registered by the `serviceApps`
// option, the seed file's `serviceApps` array, or `--service-app` on the command line.
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto'
import type { JWK } from 'jose'
import { unknownField } from '../context.js'
import { readJsonFile } from '../json-file.js'
import type { ServiceApp } from '../types.js'
import { InvalidOptionError } from '../invalid-option.js'

/** A validated service app. */
export interface AppRecord {
  clientId: string
  keys: JWK[]
  scopes: ReadonlySet<string>
  dpop: boolean
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']

function publicKeys (where: string, jwks: unknown, what: string): JWK[] {
  const list = typeof jwks === 'object' && jwks !== null && Array.isArray((jwks as { keys?: unknown }).keys)
    ? (jwks as { keys: unknown[] }).keys
    : [jwks]
  if (list.length === 0) throw new InvalidOptionError(`${where}: ${what} must hold at least one key`)
  const kids = new Set<string>()
  return list.map((k, i) => {
    if (typeof k !== 'object' || k === null || (k as JWK).kty === undefined) {
      throw new InvalidOptionError(`${where}: key ${i} of ${what} must be a JWK object with "kty"`)
    }
    const key = k as JWK
    if (key.kty !== 'RSA' && key.kty !== 'EC') throw new InvalidOptionError(`${where}: key ${i} of ${what} must be an RSA or EC key`)
    if (PRIVATE_MEMBERS.some((m) => m in key)) throw new InvalidOptionError(`${where}: key ${i} of ${what} must be a public key (it holds private members)`)
    // Checked now as the token endpoint will use it (imported, RSA of 2048 bits or more, a curve of ES256/384/512,
    // `key_ops` allowing "verify"), so a key that can verify nothing is refused at start rather than answered
    // "signature invalid" at every token request. The key is never quoted.
    if (!usableForVerify(key)) throw new InvalidOptionError(`${where}: key ${i} of ${what} is not a usable ${key.kty} public key`)
    // The token endpoint picks the key by the assertion's `kid` (without one, the app's only key): a key it could
    // never pick, or two it could not tell apart, would fail every assertion signed with them.
    if (key.kid === undefined && list.length > 1) throw new InvalidOptionError(`${where}: key ${i} of ${what} has no "kid": each key of an app with several needs one`)
    if (key.kid !== undefined && (typeof key.kid !== 'string' || key.kid === '')) throw new InvalidOptionError(`${where}: key ${i} of ${what} has a "kid" that is not a non-empty string`)
    if (key.kid !== undefined && kids.has(key.kid)) throw new InvalidOptionError(`${where}: key ${i} of ${what} has the "kid" of an earlier key`)
    if (key.kid !== undefined) kids.add(key.kid)
    return key
  })
}

/** The fields of a service app. */
const APP_FIELDS: ReadonlySet<string> = new Set(['clientId', 'jwks', 'scopes', 'dpop'])

/** Curves of the EC algorithms the token endpoint takes (ES256, ES384, ES512). */
const CURVES: ReadonlySet<string> = new Set(['P-256', 'P-384', 'P-521'])

/** The assertion algorithms a key of each type (and EC curve) verifies, for a key that states its `alg`. */
const ALGS_OF: Record<string, readonly string[]> = { RSA: ['RS256', 'RS384', 'RS512'], 'P-256': ['ES256'], 'P-384': ['ES384'], 'P-521': ['ES512'] }

/** Whether the token endpoint can verify an assertion with this public JWK. */
function usableForVerify (key: JWK): boolean {
  if (key.key_ops !== undefined && (!Array.isArray(key.key_ops) || !key.key_ops.includes('verify'))) return false
  // A key for encryption, or one whose stated `alg` cannot be its own, verifies no assertion.
  if (key.use !== undefined && key.use !== 'sig') return false
  if (key.alg !== undefined && !(ALGS_OF[key.kty === 'RSA' ? 'RSA' : String(key.crv)] ?? []).includes(key.alg)) return false
  if (key.ext !== undefined && typeof key.ext !== 'boolean') return false
  if (key.kty === 'EC' && !CURVES.has(String(key.crv))) return false
  let imported: KeyObject
  try {
    imported = createPublicKey({ key: key as JsonWebKey, format: 'jwk' })
  } catch {
    return false
  }
  return key.kty !== 'RSA' || (imported.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048
}

/**
 * Validates one service app; throws TypeError naming the bad field (never its value: a key is not
 * echoed). `what` names the app's keys in messages (`"jwks"`, or the key file on the command line).
 */
export function toAppRecord (app: ServiceApp, where = '"serviceApps" option', what = '"jwks"'): AppRecord {
  if (typeof app !== 'object' || app === null) throw new InvalidOptionError(`${where}: each service app must be an object`)
  if (typeof app.clientId !== 'string' || !/^[\x21-\x7e]{1,200}$/.test(app.clientId)) {
    throw new InvalidOptionError(`${where}: "clientId" must be a non-empty string of printable characters`)
  }
  if (!Array.isArray(app.scopes) || app.scopes.some((s) => typeof s !== 'string' || !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s))) {
    throw new InvalidOptionError(`${where}: "scopes" of ${app.clientId} must be an array of scope names`)
  }
  if (app.dpop !== undefined && typeof app.dpop !== 'boolean') throw new InvalidOptionError(`${where}: "dpop" of ${app.clientId} must be a boolean`)
  // A misspelt field (`dPop`, `scope`) would leave its default in place without a word.
  const stray = unknownField(app, APP_FIELDS)
  if (stray !== undefined) throw new InvalidOptionError(`${where}: ${JSON.stringify(stray.slice(0, 64))} of ${app.clientId} is not a field of a service app (clientId, jwks, scopes, dpop)`)
  return {
    clientId: app.clientId,
    keys: publicKeys(`${where} (${app.clientId})`, app.jwks, what),
    scopes: new Set(app.scopes),
    // New API Services apps require DPoP by default in Okta.
    dpop: app.dpop ?? true,
  }
}

/**
 * Validates a list of service apps into `into`, refusing a client id registered twice (in the list,
 * or already in `into`): only one of them could work. Throws TypeError naming the client id.
 */
export function addAppRecords (into: Map<string, AppRecord>, apps: readonly ServiceApp[], where: string, elsewhere = 'another registration'): void {
  const own = new Set<string>()
  for (const app of apps) {
    const r = toAppRecord(app, where)
    if (own.has(r.clientId)) throw new InvalidOptionError(`${where}: client id ${r.clientId} is registered twice`)
    if (into.has(r.clientId)) throw new InvalidOptionError(`${where}: client id ${r.clientId} is already registered by ${elsewhere}`)
    own.add(r.clientId)
    into.set(r.clientId, r)
  }
}

/** The `serviceApps` array of a seed's JSON (an object `{ users, serviceApps }`); [] for an array seed. */
export function seedServiceApps (data: unknown): ServiceApp[] {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return []
  const apps = (data as { serviceApps?: unknown }).serviceApps
  if (apps === undefined) return []
  if (!Array.isArray(apps)) throw new InvalidOptionError('"seed" option: "serviceApps" must be an array')
  return apps as ServiceApp[]
}

/**
 * Parses and validates `--service-app CLIENT_ID:KEY_FILE:SCOPE[,SCOPE...][:no-dpop]`; KEY_FILE holds a
 * public JWK or a JWKS. Throws TypeError with a message for the command line (never the key's members).
 */
export function parseServiceAppArg (arg: string): ServiceApp {
  const parts = arg.split(':')
  if (parts.length < 3 || parts.length > 4 || parts.some((p) => p === '')) {
    throw new InvalidOptionError(`--service-app must be CLIENT_ID:KEY_FILE:SCOPES[:no-dpop], got ${JSON.stringify(arg)}`)
  }
  const [clientId, file, scopes, flag] = parts as [string, string, string, string | undefined]
  if (flag !== undefined && flag !== 'no-dpop' && flag !== 'dpop') throw new InvalidOptionError(`--service-app: the fourth field must be dpop or no-dpop, got ${JSON.stringify(flag)}`)
  let jwks: unknown
  try {
    jwks = readJsonFile(file)
  } catch (err) {
    throw new InvalidOptionError(`--service-app: cannot read a JWK or JWKS from ${file}`, { cause: err })
  }
  const app: ServiceApp = { clientId, jwks: jwks as ServiceApp['jwks'], scopes: scopes.split(','), dpop: flag !== 'no-dpop' }
  // Checked here, not only when the emulator starts: a private key (or any bad key) is a bad argument.
  toAppRecord(app, '--service-app', JSON.stringify(file))
  return app
}
