// Issue 12 item 4: the strategy, the gateway, the demo and the Express example take the client's OAuth 2.0 `auth`.
// The shared env parser (OKTA_API_TOKEN or OKTA_CLIENT_ID + key + OKTA_KEY_ID/OKTA_SCOPES/OKTA_DPOP) and its coded
// errors, the { orgUrl, auth } options, the gateway server and the Express example started with OAuth env against
// an emulator with a registered service app (a verify, a sign-in with a code, no SSWS call), and the configuration
// errors of the three programs (both, neither, unreadable key file, malformed key) as they print them, without keys;
// and the strategy on each passport stack (Express, @fastify/passport 3 and 4) verifying over OAuth with DPoP.
import { execFileSync, spawn } from 'node:child_process'
import { createPrivateKey, generateKeyPairSync } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import secureSession from '@fastify/secure-session'
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import { createOktaClient } from '@okta-mfa/client'
import { loadServerConfig, oktaMfaGateway, type OktaMfaGatewayOptions } from '@okta-mfa/gateway'
import { OktaMfaStrategy, OktaAuthEnvError, readOktaAuthEnv, DEFAULT_OKTA_SCOPES } from 'passport-okta-mfa'
import { buildApp as buildDemo, readConfig } from '../../examples/fastify-app/dist/index.js'
import { buildApp as buildExpress } from '../../examples/express-app/dist/app.js'
import { oktaConnectionFromEnv } from '../../examples/express-app/dist/okta-env.js'
import { emuFetch } from '../helpers/emulator.js'
import { OPS, gql, startGatewayApp } from '../helpers/gateway-app.js'
import { CookieJar } from '../helpers/http.js'
import { FACTORS, STACKS, USERS, passwordLogin, seedUsers, wrongCode } from '../helpers/strategy-stacks.js'
import { totp } from '../helpers/totp.js'
import { app, appKey, oauthEmulator } from './keys.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const SECRET = 'JBSWY3DPEHPK3PXP'
const RSA = appKey('wire-rsa')
const EC = appKey('wire-ec', 'ec')
const TOKEN = 'ssws-token-value-never-printed'
const dir = mkdtempSync(join(tmpdir(), 'okta-mfa-wiring-'))
t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
const file = (name: string, text: string): string => {
  writeFileSync(join(dir, name), text)
  return join(dir, name)
}
const PEM_FILE = file('key.pem', RSA.pem)
const JWK_FILE = file('key.json', JSON.stringify(EC.privateJwk))
const GARBAGE_FILE = file('garbage.pem', '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n')
/** A real key cut in half: what it holds must never be printed. */
const TRUNCATED = RSA.pem.slice(0, Math.floor(RSA.pem.length / 2))
const PUBLIC_PEM = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }) as string
const SMALL_RSA = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
const MISSING_FILE = join(dir, 'no-such-key.pem')
/** Private keys Node parses whose signatures Okta does not accept (private_key_jwt: RS*, ES256/384/512 only). */
const K256 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
const ED25519 = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string

/** Pieces of every key and token these tests use: none may appear in a message. */
const SECRETS = [
  TOKEN, ...RSA.pem.split('\n').slice(1, 4), String(RSA.privateJwk.d), String(EC.privateJwk.d), ...EC.pem.split('\n').slice(1, 3),
  ...SMALL_RSA.split('\n').slice(1, 3), 'bm90IGEga2V5',
]
function noKeyMaterial (t: Test, text: string, what: string): void {
  const leaked = SECRETS.filter((s) => s.length >= 8 && text.includes(s))
  t.same(leaked, [], `${what}: no key or token in it`)
}

function authError (env: Record<string, string>): OktaAuthEnvError {
  try {
    readOktaAuthEnv(env)
  } catch (err) {
    if (err instanceof OktaAuthEnvError) return err
    throw err
  }
  throw new Error('expected an OktaAuthEnvError')
}

/** The configuration errors the issue lists, each with the code and the variables it names. */
const CASES: Array<{ name: string, env: Record<string, string>, code: string, names: RegExp }> = [
  { name: 'both', env: { OKTA_API_TOKEN: TOKEN, OKTA_CLIENT_ID: '0oa-x', OKTA_PRIVATE_KEY_FILE: PEM_FILE }, code: 'OKTA_AUTH_CONFLICT', names: /OKTA_API_TOKEN.*OKTA_CLIENT_ID, OKTA_PRIVATE_KEY_FILE/ },
  { name: 'unreadable key file', env: { OKTA_CLIENT_ID: '0oa-x', OKTA_PRIVATE_KEY_FILE: MISSING_FILE }, code: 'OKTA_AUTH_KEY_UNREADABLE', names: /OKTA_PRIVATE_KEY_FILE ".*no-such-key\.pem" cannot be read \(ENOENT\)/ },
  { name: 'malformed key', env: { OKTA_CLIENT_ID: '0oa-x', OKTA_PRIVATE_KEY: TRUNCATED }, code: 'OKTA_AUTH_KEY_INVALID', names: /OKTA_PRIVATE_KEY does not hold a usable private key/ },
  // The key itself in the file variable, an easy mix-up: named, never printed.
  ...([['a PEM', RSA.pem], ['a JWK', JSON.stringify(EC.privateJwk)], ['a one-line PEM', RSA.pem.replace(/\n/g, '\\n')], ['a PEM body', RSA.pem.split('\n').slice(1, -2).join('')],
    // An EC key's body, short enough to pass the length rule, its line breaks turned to spaces (a paste into a one-line field).
    ['an EC PEM body on one line with spaces', EC.pem.split('\n').slice(1, -2).join(' ')], ['an EC PEM body', EC.pem.split('\n').slice(1, -2).join('')],
    // A private JWK's `d` alone (base64url) and a hex scalar: no path has neither a separator nor an extension.
    ['a JWK d', String(EC.privateJwk.d)], ['a hex scalar', Buffer.from(String(EC.privateJwk.d), 'base64url').toString('hex')],
    // The same scalar in standard base64 (its "/" are no folders), and a key's DER in base64 on one line.
    ['a base64 scalar', Buffer.from(String(EC.privateJwk.d), 'base64url').toString('base64')],
    // The pooled key's scalar has no "/" in base64: one that has (as most do) looks like a path but to the scalar rule.
    ['a base64 scalar with "/" in it', Buffer.concat([Buffer.from([0xff, 0xff, 0xff]), Buffer.from(String(EC.privateJwk.d), 'base64url').subarray(3)]).toString('base64')],
    ['a DER key in base64', createPrivateKey(EC.pem).export({ format: 'der', type: 'pkcs8' }).toString('base64')]] as const).map(([what, key]) => ({
    name: `${what} in OKTA_PRIVATE_KEY_FILE`, env: { OKTA_CLIENT_ID: '0oa-x', OKTA_PRIVATE_KEY_FILE: key }, code: 'OKTA_AUTH_KEY_UNREADABLE',
    names: /OKTA_PRIVATE_KEY_FILE \(its value is not shown: it looks like a key, not a path; put the key itself in OKTA_PRIVATE_KEY\) cannot be read/,
  })),
]

await t.test('readOktaAuthEnv: a token, an OAuth service app with defaults, or a coded error naming the variables', async (t) => {
  t.equal(readOktaAuthEnv({}), undefined, 'nothing set: undefined (the caller decides)')
  t.equal(readOktaAuthEnv({ OKTA_API_TOKEN: ' ', OKTA_CLIENT_ID: '' }), undefined, 'blank counts as unset')
  t.same(readOktaAuthEnv({ OKTA_API_TOKEN: TOKEN }), { kind: 'ssws', auth: TOKEN })

  const defaults = readOktaAuthEnv({ OKTA_CLIENT_ID: '0oa-1', OKTA_PRIVATE_KEY_FILE: PEM_FILE })
  t.same(defaults, { kind: 'oauth', auth: { clientId: '0oa-1', privateKey: RSA.pem.trim(), scopes: [...DEFAULT_OKTA_SCOPES], dpop: true } },
    'OKTA_SCOPES defaults to okta.users.read okta.users.manage, OKTA_DPOP to true, OKTA_KEY_ID to the key\'s own')
  const full = readOktaAuthEnv({
    OKTA_CLIENT_ID: '0oa-2', OKTA_PRIVATE_KEY_FILE: JWK_FILE, OKTA_KEY_ID: 'kid-9', OKTA_SCOPES: 'okta.users.read, okta.users.manage okta.factors.read', OKTA_DPOP: 'false',
  })
  t.same(full, { kind: 'oauth', auth: { clientId: '0oa-2', privateKey: EC.privateJwk, keyId: 'kid-9', scopes: ['okta.users.read', 'okta.users.manage', 'okta.factors.read'], dpop: false } },
    'a JWK file; scopes split on spaces and commas')
  const oneLine = readOktaAuthEnv({ OKTA_CLIENT_ID: '0oa-3', OKTA_PRIVATE_KEY: RSA.pem.trim().replace(/\n/g, '\\n') })
  t.equal(oneLine?.kind === 'oauth' && oneLine.auth.privateKey, RSA.pem.trim(), 'a PEM with literal \\n in one env line')
  const indented = readOktaAuthEnv({ OKTA_CLIENT_ID: '0oa-3', OKTA_PRIVATE_KEY: RSA.pem.split('\n').map((line) => `    ${line}`).join('\n') })
  t.equal(indented?.kind === 'oauth' && indented.auth.privateKey, RSA.pem.trim(), 'a PEM indented on every line, as in a YAML block or a template literal')
  // `openssl pkcs12 -in app.p12 -nocerts -nodes` writes attributes before the key (text RFC 7468 §5.2 allows there).
  const bag = `Bag Attributes\n    localKeyID: 01 00 00 00 \n    friendlyName: okta-service-app\nKey Attributes: <No Attributes>\n${RSA.pem.trim()}\n`
  const fromP12 = readOktaAuthEnv({ OKTA_CLIENT_ID: '0oa-5', OKTA_PRIVATE_KEY_FILE: file('from-p12.pem', bag) })
  t.equal(fromP12?.kind === 'oauth' && fromP12.auth.privateKey, bag.trim(), 'a PEM file with attributes before the key, as openssl pkcs12 writes it')
  t.doesNotThrow(() => createOktaClient({ orgUrl: 'https://example.okta.com', auth: { clientId: '0oa-5', privateKey: bag, scopes: ['okta.users.read'] } }), 'and the client takes it')
  const bagInline = readOktaAuthEnv({ OKTA_CLIENT_ID: '0oa-5', OKTA_PRIVATE_KEY: bag.trim().replace(/\n/g, '\\n') })
  t.equal(bagInline?.kind, 'oauth', 'the same in one env line with literal \\n')
  const inlineJwk = readOktaAuthEnv({ OKTA_CLIENT_ID: '0oa-4', OKTA_PRIVATE_KEY: JSON.stringify(EC.privateJwk) })
  t.same(inlineJwk?.kind === 'oauth' && inlineJwk.auth.privateKey, EC.privateJwk, 'a JWK as JSON in the variable')

  for (const c of CASES) {
    const err = authError(c.env)
    t.equal(err.code, c.code, `${c.name}: ${c.code}`)
    t.match(err.message, c.names, `${c.name}: names the variables`)
    noKeyMaterial(t, err.message, c.name)
  }
  const more: Array<[Record<string, string>, string, RegExp]> = [
    [{ OKTA_PRIVATE_KEY_FILE: PEM_FILE }, 'OKTA_AUTH_INCOMPLETE', /OKTA_PRIVATE_KEY_FILE is set but OKTA_CLIENT_ID is not/],
    [{ OKTA_CLIENT_ID: '0oa-x' }, 'OKTA_AUTH_INCOMPLETE', /OKTA_PRIVATE_KEY .* OKTA_PRIVATE_KEY_FILE/],
    [{ OKTA_CLIENT_ID: '0oa-x', OKTA_PRIVATE_KEY: RSA.pem, OKTA_PRIVATE_KEY_FILE: PEM_FILE }, 'OKTA_AUTH_CONFLICT', /OKTA_PRIVATE_KEY and OKTA_PRIVATE_KEY_FILE/],
    [{ OKTA_CLIENT_ID: '0oa-x', OKTA_PRIVATE_KEY_FILE: GARBAGE_FILE }, 'OKTA_AUTH_KEY_INVALID', /garbage\.pem" does not hold a usable private key \(it does not parse\)/],
    // The public key uploaded to Okta, the likeliest one to paste by mistake: said so, as PEM and as JWK.
    [{ OKTA_CLIENT_ID: '0oa-x', OKTA_PRIVATE_KEY: PUBLIC_PEM }, 'OKTA_AUTH_KEY_INVALID', /OKTA_PRIVATE_KEY does not hold a usable private key \(a public key: give the private one\)/],
    [{ OKTA_CLIENT_ID: '0oa-x', OKTA_PRIVATE_KEY: JSON.stringify(EC.publicJwk) }, 'OKTA_AUTH_KEY_INVALID', /\(a public key: give the private one\)/],
    // A private key Node cannot read (an RSA JWK without its CRT members, which some tools leave out) is not called a
    // public key, though its public half would parse.
    [{ OKTA_CLIENT_ID: '0oa-x', OKTA_PRIVATE_KEY: JSON.stringify({ kty: 'RSA', n: RSA.privateJwk.n, e: RSA.privateJwk.e, d: RSA.privateJwk.d }) }, 'OKTA_AUTH_KEY_INVALID', /\(it does not parse\)/],
    [{ OKTA_CLIENT_ID: '0oa-x', OKTA_PRIVATE_KEY: SMALL_RSA }, 'OKTA_AUTH_KEY_INVALID', /at least 2048 bits/],
    // A JWK put together from two keys (Node reads it): refused at start, not as Okta's invalid_client later.
    [{ OKTA_CLIENT_ID: '0oa-x', OKTA_PRIVATE_KEY: JSON.stringify({ ...EC.privateJwk, d: appKey('wire-ec-2', 'ec').privateJwk.d }) }, 'OKTA_AUTH_KEY_INVALID', /\(its private and public parts do not match\)/],
    [{ OKTA_CLIENT_ID: '0oa-x', OKTA_PRIVATE_KEY: JSON.stringify({ ...RSA.privateJwk, n: appKey('wire-rsa-2').privateJwk.n }) }, 'OKTA_AUTH_KEY_INVALID', /\(its private and public parts do not match\)/],
    [{ OKTA_CLIENT_ID: '0oa-x', OKTA_PRIVATE_KEY: 'not a key at all' }, 'OKTA_AUTH_KEY_INVALID', /neither PEM nor JSON/],
    [{ OKTA_CLIENT_ID: '0oa-x', OKTA_PRIVATE_KEY: '{"kty":"EC","d":"bm90IGEga2V5"' }, 'OKTA_AUTH_KEY_INVALID', /OKTA_PRIVATE_KEY/],
    [{ OKTA_CLIENT_ID: '0oa-x', OKTA_PRIVATE_KEY_FILE: PEM_FILE, OKTA_DPOP: 'maybe' }, 'OKTA_AUTH_INVALID', /OKTA_DPOP must be true or false/],
    [{ OKTA_CLIENT_ID: '0oa-x', OKTA_PRIVATE_KEY_FILE: PEM_FILE, OKTA_SCOPES: 'okta.users.read "x"' }, 'OKTA_AUTH_INVALID', /OKTA_SCOPES/],
    [{ OKTA_CLIENT_ID: '0oa-x', OKTA_PRIVATE_KEY_FILE: PEM_FILE, OKTA_SCOPES: ' , ' }, 'OKTA_AUTH_INVALID', /OKTA_SCOPES/],
    [{ OKTA_API_TOKEN: TOKEN, OKTA_DPOP: 'true' }, 'OKTA_AUTH_CONFLICT', /OAuth settings \(OKTA_DPOP\)/],
    // Refused at start, not at the first token request: Okta signs with P-256/P-384/P-521 and RSA only.
    [{ OKTA_CLIENT_ID: '0oa-x', OKTA_PRIVATE_KEY: K256 }, 'OKTA_AUTH_KEY_INVALID', /only RSA and EC P-256\/P-384\/P-521 keys/],
    [{ OKTA_CLIENT_ID: '0oa-x', OKTA_PRIVATE_KEY: ED25519 }, 'OKTA_AUTH_KEY_INVALID', /only RSA and EC P-256\/P-384\/P-521 keys/],
    // A JWK that says it is not for signing this way: refused by name at start, as the client would refuse it.
    [{ OKTA_CLIENT_ID: '0oa-x', OKTA_PRIVATE_KEY: JSON.stringify({ ...RSA.privateJwk, use: 'enc' }) }, 'OKTA_AUTH_KEY_INVALID', /OKTA_PRIVATE_KEY does not hold a usable private key \(its JWK "use" is not "sig"\)/],
    [{ OKTA_CLIENT_ID: '0oa-x', OKTA_PRIVATE_KEY: JSON.stringify({ ...RSA.privateJwk, key_ops: ['decrypt'] }) }, 'OKTA_AUTH_KEY_INVALID', /its JWK "key_ops" do not include "sign"/],
    [{ OKTA_CLIENT_ID: '0oa-x', OKTA_PRIVATE_KEY: JSON.stringify({ ...EC.privateJwk, alg: 'RS256' }) }, 'OKTA_AUTH_KEY_INVALID', /its JWK "alg" must be ES256 for this key/],
    // A client id or kid with a space or a line break would be sent in the client assertion as is.
    [{ OKTA_CLIENT_ID: '0oa x', OKTA_PRIVATE_KEY_FILE: PEM_FILE }, 'OKTA_AUTH_INVALID', /OKTA_CLIENT_ID must be the app's client id/],
    [{ OKTA_CLIENT_ID: '0oa-x', OKTA_PRIVATE_KEY_FILE: PEM_FILE, OKTA_KEY_ID: 'kid 9' }, 'OKTA_AUTH_INVALID', /OKTA_KEY_ID must be the key's kid/],
  ]
  for (const [env, code, message] of more) {
    const err = authError(env)
    t.equal(err.code, code, `${Object.keys(env).join('+')}: ${code}`)
    t.match(err.message, message)
    t.same(err.problems.map((p) => p.code), [code], 'one problem')
    noKeyMaterial(t, err.message, code)
  }

  // A key file named without a folder or an extension, relative to the working directory: the name is shown, as
  // any path is (a short name, or one the file system found: a folder, a file that is not a key).
  const cwd = process.cwd()
  process.chdir(dir)
  try {
    mkdirSync('keys')
    // 43 characters: the shape of a P-256 JWK's `d`, but a file the file system found.
    writeFileSync('okta-service-app-private-key-for-production', 'not a key')
    const bare: Array<[string, string, RegExp]> = [
      ['okta-private-key', 'OKTA_AUTH_KEY_UNREADABLE', /^OKTA_PRIVATE_KEY_FILE "okta-private-key" cannot be read \(ENOENT\)$/],
      ['keys', 'OKTA_AUTH_KEY_UNREADABLE', /^OKTA_PRIVATE_KEY_FILE "keys" cannot be read \(EISDIR\)$/],
      ['okta-service-app-private-key-for-production', 'OKTA_AUTH_KEY_INVALID', /^OKTA_PRIVATE_KEY_FILE "okta-service-app-private-key-for-production" does not hold a usable private key/],
    ]
    for (const [name, code, message] of bare) {
      const err = authError({ OKTA_CLIENT_ID: '0oa-x', OKTA_PRIVATE_KEY_FILE: name })
      t.equal(err.code, code, `${name}: ${code}`)
      t.match(err.problems[0]?.message, message, `${name}: the path is named`)
    }
    // What never ends or is no key file: refused at once, bounded (`/dev/zero` filled the memory, a FIFO hung the start).
    execFileSync('mkfifo', ['key.fifo'])
    writeFileSync('huge.pem', `-----BEGIN PRIVATE KEY-----\n${'A'.repeat(70_000)}\n-----END PRIVATE KEY-----\n`)
    const unending: Array<[string, RegExp]> = [
      ['/dev/zero', /^OKTA_PRIVATE_KEY_FILE "\/dev\/zero" cannot be read \(not a regular file\)$/],
      ['key.fifo', /^OKTA_PRIVATE_KEY_FILE "key.fifo" cannot be read \(not a regular file\)$/],
      ['huge.pem', /^OKTA_PRIVATE_KEY_FILE "huge.pem" cannot be read \(over 64 KiB, not a key\)$/],
    ]
    for (const [name, message] of unending) {
      const err = authError({ OKTA_CLIENT_ID: '0oa-x', OKTA_PRIVATE_KEY_FILE: name })
      t.equal(err.code, 'OKTA_AUTH_KEY_UNREADABLE', `${name}: unreadable`)
      t.match(err.problems[0]?.message, message, `${name}: why`)
    }
  } finally {
    process.chdir(cwd)
  }

  // Every problem at once, each with its code: fixing one must not only reveal the next.
  const several = authError({ OKTA_CLIENT_ID: 'c i d', OKTA_KEY_ID: 'k e y', OKTA_DPOP: 'maybe', OKTA_SCOPES: '"x"', OKTA_PRIVATE_KEY_FILE: PEM_FILE })
  t.equal(several.code, 'OKTA_AUTH_INVALID', 'the first problem\'s code')
  t.same(several.problems.map((p) => p.message.split(' ')[0]), ['OKTA_CLIENT_ID', 'OKTA_KEY_ID', 'OKTA_SCOPES', 'OKTA_DPOP'])
  t.match(several.message, /^OKTA_AUTH_INVALID: OKTA_CLIENT_ID must .*; OKTA_AUTH_INVALID: OKTA_KEY_ID must .*; OKTA_AUTH_INVALID: OKTA_SCOPES must .*; OKTA_AUTH_INVALID: OKTA_DPOP must be true or false$/)
  const keyAndDpop = authError({ OKTA_CLIENT_ID: '0oa-x', OKTA_PRIVATE_KEY: TRUNCATED, OKTA_DPOP: 'maybe' })
  t.same(keyAndDpop.problems.map((p) => p.code), ['OKTA_AUTH_KEY_INVALID', 'OKTA_AUTH_INVALID'], 'a bad key and a bad OKTA_DPOP, each with its own code')
  t.equal(keyAndDpop.code, 'OKTA_AUTH_KEY_INVALID')
  noKeyMaterial(t, keyAndDpop.message, 'key and dpop')
  const noClient = authError({ OKTA_DPOP: 'maybe', OKTA_KEY_ID: 'kid-1' })
  t.same(noClient.problems.map((p) => p.code), ['OKTA_AUTH_INCOMPLETE', 'OKTA_AUTH_INVALID'], 'no client id (which asks for the key too) and a bad OKTA_DPOP')
  t.match(noClient.problems[0]?.message, /OKTA_KEY_ID, OKTA_DPOP are set but OKTA_CLIENT_ID is not/)
  const noClientBadKey = authError({ OKTA_PRIVATE_KEY: 'not a key at all' })
  t.same(noClientBadKey.problems.map((p) => p.code), ['OKTA_AUTH_INCOMPLETE', 'OKTA_AUTH_KEY_INVALID'], 'no client id, and the key given is unusable')
  t.ok(Object.isFrozen(several.problems))

  // A token and OAuth variables: the conflict, and every malformed value beside it (the token's too); what the OAuth
  // side lacks (a client id, a key) is not asked for, since the fix may be to unset it.
  const conflictAndMore = authError({ OKTA_API_TOKEN: 'SSWS abc', OKTA_KEY_ID: 'a b', OKTA_DPOP: 'maybe', OKTA_SCOPES: '"bad"' })
  t.same(conflictAndMore.problems.map((p) => [p.code, p.message.split(' ')[0]]), [
    ['OKTA_AUTH_CONFLICT', 'OKTA_API_TOKEN'], ['OKTA_AUTH_INVALID', 'OKTA_API_TOKEN'], ['OKTA_AUTH_INVALID', 'OKTA_KEY_ID'],
    ['OKTA_AUTH_INVALID', 'OKTA_SCOPES'], ['OKTA_AUTH_INVALID', 'OKTA_DPOP'],
  ], 'the conflict first, then each malformed variable')
  t.equal(conflictAndMore.code, 'OKTA_AUTH_CONFLICT')
  t.notMatch(conflictAndMore.message, /abc/, 'the token is not quoted')
  t.same(authError({ OKTA_API_TOKEN: TOKEN, OKTA_KEY_ID: 'kid-1' }).problems.map((p) => p.code), ['OKTA_AUTH_CONFLICT'], 'no client id and no key beside a token: only the conflict')
  t.same(authError({ OKTA_API_TOKEN: TOKEN, OKTA_CLIENT_ID: '0oa-x' }).problems.map((p) => p.code), ['OKTA_AUTH_CONFLICT'], 'a client id without its key beside a token: only the conflict')
  const conflictBadKey = authError({ OKTA_API_TOKEN: TOKEN, OKTA_CLIENT_ID: '0oa x', OKTA_PRIVATE_KEY: TRUNCATED })
  t.same(conflictBadKey.problems.map((p) => p.code), ['OKTA_AUTH_CONFLICT', 'OKTA_AUTH_INVALID', 'OKTA_AUTH_KEY_INVALID'], 'the conflict, a bad client id, an unusable key')
  noKeyMaterial(t, conflictBadKey.message, 'conflict and a bad key')
  t.same(authError({ OKTA_API_TOKEN: TOKEN, OKTA_PRIVATE_KEY: RSA.pem, OKTA_PRIVATE_KEY_FILE: PEM_FILE }).problems.map((p) => p.message.split(' ')[0]), ['OKTA_API_TOKEN', 'OKTA_PRIVATE_KEY'], 'both conflicts')
  t.same(authError({ OKTA_API_TOKEN: 'two words' }).problems.map((p) => p.code), ['OKTA_AUTH_INVALID'], 'a token alone, malformed: its own problem')
})

await t.test('the three programs read the same settings: gateway loadServerConfig, demo readConfig, Express example', async (t) => {
  const oauthEnv = { OKTA_CLIENT_ID: '0oa-1', OKTA_PRIVATE_KEY_FILE: PEM_FILE, OKTA_KEY_ID: RSA.kid }
  const base = { OKTA_ORG_URL: 'https://dev-1.okta.com', SESSION_KEY: 'ab'.repeat(32) }
  const gw = loadServerConfig({ ...base, ...oauthEnv })
  t.equal(gw.token, undefined)
  t.match(gw.auth, { clientId: '0oa-1', keyId: RSA.kid, scopes: DEFAULT_OKTA_SCOPES, dpop: true })
  t.equal(loadServerConfig({ ...base, OKTA_API_TOKEN: TOKEN }).token, TOKEN, 'SSWS as before')
  t.match(readConfig({ OKTA_ORG_URL: 'https://dev-1.okta.com', ...oauthEnv }).okta, { orgUrl: 'https://dev-1.okta.com', auth: { clientId: '0oa-1', dpop: true }, allowInsecureHttp: false })
  t.match(oktaConnectionFromEnv({ OKTA_ORG_URL: 'http://127.0.0.1:7070', ...oauthEnv }), { auth: { clientId: '0oa-1' }, allowInsecureHttp: true })
  // The client's loopback test: all of 127.0.0.0/8, localhost and [::1] take plain http; nothing else does.
  for (const orgUrl of ['http://127.0.0.2:7070', 'http://localhost:7070', 'http://[::1]:7070']) {
    t.match(oktaConnectionFromEnv({ OKTA_ORG_URL: orgUrl, ...oauthEnv }), { orgUrl, allowInsecureHttp: true }, `express: ${orgUrl}`)
    t.match(readConfig({ OKTA_ORG_URL: orgUrl, ...oauthEnv }).okta, { orgUrl, allowInsecureHttp: true }, `demo: ${orgUrl}`)
  }
  t.throws(() => oktaConnectionFromEnv({ OKTA_ORG_URL: 'http://10.1.2.3:7070', ...oauthEnv }), { code: 'OKTA_AUTH_INVALID', message: /OKTA_ORG_URL may be http: only for an emulator on loopback/ })
  t.equal(readConfig({ DEMO_OKTA_AUTH: 'oauth' }).emulatorAuth, 'oauth', 'DEMO_OKTA_AUTH=oauth: the in-process emulator over OAuth')
  t.throws(() => readConfig({ DEMO_OKTA_AUTH: 'kerberos' }), { code: 'APP_CONFIG_INVALID', message: /DEMO_OKTA_AUTH must be ssws or oauth/ })
  t.throws(() => readConfig({ DEMO_OKTA_AUTH: 'oauth', OKTA_ORG_URL: 'https://dev-1.okta.com', ...oauthEnv }), { message: /DEMO_OKTA_AUTH .* is for the in-process emulator/ })
  t.throws(() => readConfig({ DEMO_OKTA_AUTH: ' OAuth ', OKTA_ORG_URL: 'https://dev-1.okta.com', OKTA_API_TOKEN: 'x'.repeat(42) }), { message: /DEMO_OKTA_AUTH .* is for the in-process emulator/ })
  // The documented default, set explicitly, is no contradiction: the org is used with the settings given for it.
  for (const auth of ['ssws', 'SSWS', '']) {
    t.match(readConfig({ DEMO_OKTA_AUTH: auth, OKTA_ORG_URL: 'https://dev-1.okta.com', ...oauthEnv }).okta, { orgUrl: 'https://dev-1.okta.com', auth: { clientId: '0oa-1' } }, `DEMO_OKTA_AUTH=${JSON.stringify(auth)} with an org over OAuth`)
    t.match(readConfig({ DEMO_OKTA_AUTH: auth, OKTA_ORG_URL: 'https://dev-1.okta.com', OKTA_API_TOKEN: 'x'.repeat(42) }).okta, { orgUrl: 'https://dev-1.okta.com', token: 'x'.repeat(42) }, `DEMO_OKTA_AUTH=${JSON.stringify(auth)} with an org over SSWS`)
  }
  t.throws(() => readConfig(oauthEnv), { message: /^OKTA_AUTH_INCOMPLETE: OKTA_CLIENT_ID is set but OKTA_ORG_URL is not/ }, 'the demo gives the code, as the Express example does')
  t.throws(() => oktaConnectionFromEnv(oauthEnv), { code: 'OKTA_AUTH_INCOMPLETE', message: /OKTA_CLIENT_ID is set but OKTA_ORG_URL is not/ })

  // Neither, where an org URL is given.
  const neither = [
    (() => { try { loadServerConfig(base) } catch (e) { return (e as Error).message } return '' })(),
    (() => { try { readConfig({ OKTA_ORG_URL: 'https://dev-1.okta.com' }) } catch (e) { return (e as Error).message } return '' })(),
    (() => { try { oktaConnectionFromEnv({ OKTA_ORG_URL: 'https://dev-1.okta.com' }) } catch (e) { return (e as Error).message } return '' })(),
  ]
  for (const message of neither) t.match(message, /OKTA_API_TOKEN.*OKTA_CLIENT_ID.*OKTA_PRIVATE_KEY.*OKTA_PRIVATE_KEY_FILE/, 'neither: names both ways')
  for (const message of neither) t.match(message, /OKTA_AUTH_MISSING/, 'neither: the code')
  for (const c of CASES) {
    for (const [who, fn] of [
      ['gateway', () => loadServerConfig({ ...base, ...c.env })],
      ['demo', () => readConfig({ OKTA_ORG_URL: 'https://dev-1.okta.com', ...c.env })],
      ['express', () => oktaConnectionFromEnv({ OKTA_ORG_URL: 'https://dev-1.okta.com', ...c.env })],
    ] as const) {
      let message = ''
      try { fn() } catch (e) { message = (e as Error).message }
      t.match(message, new RegExp(`${c.code}: `), `${who}, ${c.name}: the code`)
      t.match(message, c.names, `${who}, ${c.name}: the variables`)
      noKeyMaterial(t, message, `${who}, ${c.name}`)
    }
  }  // One org URL and token rule for the three programs, naming the variable and never showing the value.
  for (const [env, message] of [
    [{ OKTA_ORG_URL: 'https://admin:SECRETpw@dev-1.okta.com', OKTA_API_TOKEN: TOKEN }, /OKTA_ORG_URL must not contain a user name or password/],
    [{ OKTA_ORG_URL: 'https://dev-1.okta.com/?SECRET=1', OKTA_API_TOKEN: TOKEN }, /OKTA_ORG_URL must not contain a query or a fragment/],
    [{ OKTA_ORG_URL: 'https://SECRET.okta.com?', OKTA_API_TOKEN: TOKEN }, /OKTA_ORG_URL must not contain a query or a fragment/],
    [{ OKTA_ORG_URL: 'https://SECRET.okta.com/#', OKTA_API_TOKEN: TOKEN }, /OKTA_ORG_URL must not contain a query or a fragment/],
    [{ OKTA_ORG_URL: 'https://SECRET.okta.com/oauth2/default', OKTA_API_TOKEN: TOKEN }, /OKTA_ORG_URL must be the org's root, such as https:\/\/dev-123456\.okta\.com, without a path/],
    [{ OKTA_ORG_URL: 'htps://admin:SECRETpw@dev-1.okta.com', OKTA_API_TOKEN: TOKEN }, /OKTA_ORG_URL must be your org's URL/],
    [{ OKTA_ORG_URL: 'https://dev-1.okta.com', OKTA_API_TOKEN: 'SSWS 00SECRETtoken' }, /OKTA_API_TOKEN must be the API token alone, without the "SSWS " scheme/],
    [{ OKTA_ORG_URL: 'https://dev-1.okta.com', OKTA_API_TOKEN: '00SECRET token' }, /OKTA_API_TOKEN must be the API token alone/],
  ] as const) {
    for (const [who, fn] of [
      ['gateway', () => loadServerConfig({ ...base, ...env })],
      ['demo', () => readConfig(env)],
      ['express', () => oktaConnectionFromEnv(env)],
    ] as const) {
      let message2 = ''
      try { fn() } catch (e) { message2 = (e as Error).message }
      t.match(message2, message, `${who}: ${JSON.stringify(env).replace(/SECRET/g, '…')} refused at start`)
      t.notMatch(message2, /SECRET/, `${who}: the value is not shown`)
    }
  }
})

await t.test('the strategy and the gateway plugin take { orgUrl, auth }, checked at construction', async (t) => {
  const auth = { clientId: '0oa-1', privateKey: RSA.pem, keyId: RSA.kid, scopes: ['okta.users.read', 'okta.users.manage'], dpop: true }
  const resolveOktaUser = (): { login: string } => ({ login: 'a@example.com' })
  const strategy = new OktaMfaStrategy({ orgUrl: 'https://dev-1.okta.com', auth, resolveOktaUser })
  await strategy.close()
  t.throws(() => new OktaMfaStrategy({ orgUrl: 'https://dev-1.okta.com', token: TOKEN, auth, resolveOktaUser }), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /"auth" option excludes "token"/ })
  t.throws(() => new OktaMfaStrategy({ orgUrl: 'https://dev-1.okta.com', auth: 7 as never, resolveOktaUser }), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /"auth" option must be/ })
  const client = createOktaClient({ orgUrl: 'https://dev-1.okta.com', token: TOKEN })
  t.teardown(() => client.close())
  t.throws(() => new OktaMfaStrategy({ client, auth, resolveOktaUser }), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /"client" option or "orgUrl" with "token" or "auth"/ })
  let bad: unknown
  try { new OktaMfaStrategy({ orgUrl: 'https://dev-1.okta.com', auth: { ...auth, privateKey: TRUNCATED }, resolveOktaUser }) } catch (e) { bad = e }
  t.match(bad, { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /"auth\.privateKey" option/ }, 'the client names the field')
  noKeyMaterial(t, String((bad as Error).message), 'strategy auth.privateKey')

  async function register (options: Partial<OktaMfaGatewayOptions>): Promise<void> {
    const gw = Fastify()
    await gw.register(secureSession, { key: Buffer.alloc(32, 1) })
    await gw.register(oktaMfaGateway, { resolveUser: () => null, ...options } as OktaMfaGatewayOptions)
    try { await gw.ready() } finally { await gw.close() }
  }
  await register({ orgUrl: 'https://dev-1.okta.com', auth })
  await register({ client: { orgUrl: 'https://dev-1.okta.com', auth } })
  await t.rejects(register({ orgUrl: 'https://dev-1.okta.com', token: TOKEN, auth }), { code: 'OKTA_MFA_GATEWAY_INVALID_OPTION', message: /"token" and "auth" options are exclusive/ })
  await t.rejects(register({ orgUrl: 'https://dev-1.okta.com', auth: null as never }), { code: 'OKTA_MFA_GATEWAY_INVALID_OPTION', message: /"auth" option must be/ })
  await t.rejects(register({ orgUrl: 'https://dev-1.okta.com', auth: { ...auth, scopes: [] } }), { code: 'OKTA_MFA_GATEWAY_INVALID_OPTION', message: /"auth\.scopes" option/ })
  // A bad key fails registration with the gateway's code and the client's message naming the field, never the key.
  const badKey = await register({ orgUrl: 'https://dev-1.okta.com', auth: { ...auth, privateKey: TRUNCATED } }).then(() => undefined, (e: unknown) => e)
  t.match(badKey, { code: 'OKTA_MFA_GATEWAY_INVALID_OPTION', message: /^"auth\.privateKey" option/, cause: { code: 'OKTA_CLIENT_INVALID_OPTION' } }, 'gateway: the client names the field')
  noKeyMaterial(t, `${String((badKey as Error).message)} ${String(((badKey as Error).cause as Error | undefined)?.message)}`, 'gateway auth.privateKey')
  // The demo's and the Express example's buildApp take the same.
  const sessionKey = Buffer.alloc(32, 2)
  await t.rejects(buildDemo({ sessionKey, orgUrl: 'https://dev-1.okta.com', token: TOKEN, auth }), { name: 'TypeError', message: /"token" and "auth" options are exclusive/ })
  await t.rejects(buildDemo({ sessionKey, orgUrl: 'https://dev-1.okta.com', auth, emulatorAuth: 'oauth' }), { name: 'TypeError', message: /"emulatorAuth" option/ })
  const demo = await buildDemo({ sessionKey, orgUrl: 'https://dev-1.okta.com', auth })
  await demo.app.close()
  const express = buildExpress({ okta: { orgUrl: 'https://dev-1.okta.com', auth }, users: [], sessionSecret: 's'.repeat(32) })
  await express.close()
  t.throws(() => buildExpress({ okta: { orgUrl: 'https://dev-1.okta.com', auth: { ...auth, clientId: 'has space' } }, users: [], sessionSecret: 's'.repeat(32) }), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /"auth\.clientId" option/ })
})

await t.test('the gateway server with OAuth env: readyz and a GraphQL verify over DPoP, no SSWS call', async (t) => {
  const emu = await oauthEmulator(t, [app('0oa-gateway', RSA)], { seed: [{ login: 'ada@example.com', factors: [{ factorType: 'token:software:totp', sharedSecret: SECRET }] }] })
  const gw = await startGatewayApp(t, emu, { env: { OKTA_API_TOKEN: '', OKTA_CLIENT_ID: '0oa-gateway', OKTA_PRIVATE_KEY_FILE: PEM_FILE, OKTA_KEY_ID: RSA.kid } })
  t.equal((await gw.jar().fetch('/readyz')).status, 200, 'readyz lists a user over OAuth')
  const ada = await gw.signedIn('ada@example.com')
  const factorId = (await gql(ada, OPS.factors)).body.data.factors[0].id as string
  const verified = await gql(ada, OPS.verify, { factorId, passCode: totp(SECRET, Date.now()) })
  t.match(verified.body.data.verifyFactor, { result: 'SUCCESS', mfa: { completed: true, factorId } })
  t.ok(emu.oauth.tokenRequests() > 0, 'tokens came from /oauth2/v1/token')
  t.equal(emu.oauth.sswsRequests(), 0, 'no request carried the SSWS token')
  t.equal((await emuFetch(emu, 'GET', '/api/v1/users?limit=1')).status, 200)
  t.equal(emu.oauth.sswsRequests(), 1, 'the emulator does count an SSWS call (the check above can fail)')
})

await t.test('the strategy on every stack (Express, Fastify with @fastify/passport 3 and 4) with OAuth and DPoP: a wrong code, a right one, no SSWS call', async (t) => {
  // The Express example's OAuth sign-in above runs the strategy on Express only; @fastify/passport calls it otherwise.
  const auth = { clientId: '0oa-stacks', privateKey: EC.pem, keyId: EC.kid, scopes: ['okta.users.read', 'okta.users.manage'], dpop: true }
  const [ada, bob] = [USERS[0]!, USERS[1]!]
  for (const start of STACKS) {
    // An Okta org per stack: a TOTP code is accepted once, and the stacks run within one time step.
    const emu = await oauthEmulator(t, [app('0oa-stacks', EC)], { seed: seedUsers() })
    const stack = await start(t, { strategy: { orgUrl: emu.url, auth, allowInsecureHttp: true } })
    const jar = stack.jar()
    await passwordLogin(jar, ada)
    const wrong = await jar.fetch('/api/mfa', { form: { passCode: wrongCode(totp(FACTORS.ada.secret, Date.now())) } })
    t.match({ status: wrong.status, body: wrong.json() }, { status: 401, body: { code: 'INVALID_PASSCODE' } }, `${start.name}: Okta's E0000068 over OAuth`)
    const right = await jar.fetch('/api/mfa', { form: { passCode: totp(FACTORS.ada.secret, Date.now()) } })
    t.match({ status: right.status, body: right.json() }, { status: 200, body: { ok: true, mfa: { factorId: FACTORS.ada.id } } }, `${start.name}: the code is verified at Okta over OAuth`)
    t.match((await jar.fetch('/api/data')).json(), { user: 'ada', mfa: { factorId: FACTORS.ada.id } }, `${start.name}: the guard lets the session in`)
    const tokens = emu.oauth.tokenRequests()
    t.ok(tokens > 0, `${start.name}: tokens came from /oauth2/v1/token`)
    // Another user in another browser: the same access token, and the verify is bob's, not ada's.
    const other = stack.jar()
    await passwordLogin(other, bob)
    const crossed = await other.fetch('/api/mfa', { form: { passCode: totp(FACTORS.ada.secret, Date.now()) } })
    t.match({ status: crossed.status, body: crossed.json() }, { status: 401, body: { code: 'INVALID_PASSCODE' } }, `${start.name}: ada's code is not bob's`)
    t.equal(emu.oauth.tokenRequests(), tokens, `${start.name}: the cached token served bob's verify`)
    t.equal(emu.oauth.sswsRequests(), 0, `${start.name}: no request carried the SSWS token`)
  }
})

/** A free loopback port. */
async function freePort (): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const port = (probe.address() as AddressInfo).port
  await new Promise((resolve) => probe.close(resolve))
  return port
}

/** The environment of a child: PATH and the given variables only (nothing from the test's own env). */
function childEnv (vars: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, ...vars }
}

/** Runs a program to its exit; resolves its status and output. */
async function runToExit (script: string, vars: Record<string, string>): Promise<{ status: number | null, stdout: string, stderr: string }> {
  const child = spawn(process.execPath, [script], { cwd: ROOT, env: childEnv(vars), stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (b: Buffer) => { stdout += b.toString() })
  child.stderr.on('data', (b: Buffer) => { stderr += b.toString() })
  const timer = setTimeout(() => { child.kill('SIGKILL') }, 20_000)
  const status = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  clearTimeout(timer)
  return { status, stdout, stderr }
}

await t.test('the Express example started with OAuth env: a sign-in with a code, over DPoP, no SSWS call', async (t) => {
  const emu = await oauthEmulator(t, [app('0oa-express', EC)], {
    seed: [{ login: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace', factors: [{ id: 'ostexpress0oauth0001', factorType: 'token:software:totp', sharedSecret: SECRET }] }],
  })
  const port = await freePort()
  const child = spawn(process.execPath, ['examples/express-app/dist/main.js'], {
    cwd: ROOT,
    env: childEnv({
      PORT: String(port), OKTA_ORG_URL: emu.url, OKTA_CLIENT_ID: '0oa-express', OKTA_PRIVATE_KEY: JSON.stringify(EC.privateJwk),
      OKTA_SCOPES: 'okta.users.read,okta.users.manage', OKTA_DPOP: 'true', DEMO_PASSWORD: 'analytical-engine-1843',
    }),
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  t.teardown(() => { child.kill('SIGTERM') })
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (status) => { reject(new Error(`main.js exited with ${String(status)}`)) })
    createInterface({ input: child.stdout }).on('line', (line) => { if (line.startsWith('Sign in as')) resolve() })
  })
  const jar = new CookieJar(`http://127.0.0.1:${port}`)
  const post = async (path: string, form: Record<string, string>): Promise<string | undefined> => {
    const page = await jar.fetch(path, { headers: { accept: 'text/html' } })
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? ''
    return (await jar.fetch(path, { form: { ...form, _csrf: csrf } })).location
  }
  t.equal(await post('/login', { username: 'ada', password: 'analytical-engine-1843' }), '/mfa')
  t.equal(await post('/mfa', { passCode: totp(SECRET, Date.now()) }), '/account', 'the code is verified at Okta over OAuth')
  t.match((await jar.fetch('/api/me')).json(), { id: 'u1', mfa: { factorId: 'ostexpress0oauth0001' } })
  t.ok(emu.oauth.tokenRequests() > 0, 'tokens came from /oauth2/v1/token')
  t.equal(emu.oauth.sswsRequests(), 0, 'no request carried the SSWS token')
})

await t.test('each program refuses bad auth settings at start: exit 1, one coded line naming the variables, no key', async (t) => {
  const gatewayBin = 'packages/gateway/dist/server.js'
  const runs: Array<{ who: string, script: string, env: Record<string, string>, message: RegExp }> = [
    { who: 'gateway, both', script: gatewayBin, env: { OKTA_ORG_URL: 'https://dev-1.okta.com', SESSION_KEY: 'ab'.repeat(32), OKTA_API_TOKEN: TOKEN, OKTA_CLIENT_ID: '0oa-x', OKTA_PRIVATE_KEY: RSA.pem }, message: /^okta-mfa-gateway configuration: OKTA_AUTH_CONFLICT: OKTA_API_TOKEN and OAuth settings \(OKTA_CLIENT_ID, OKTA_PRIVATE_KEY\) are both set/ },
    {
      who: 'gateway, a token and OAuth variables, two of them malformed',
      script: gatewayBin,
      env: { OKTA_ORG_URL: 'https://dev-1.okta.com', SESSION_KEY: 'ab'.repeat(32), OKTA_API_TOKEN: TOKEN, OKTA_CLIENT_ID: '0oa-x', OKTA_KEY_ID: 'a b', OKTA_DPOP: 'maybe' },
      message: /^okta-mfa-gateway configuration: OKTA_AUTH_CONFLICT: OKTA_API_TOKEN and OAuth settings \(OKTA_CLIENT_ID, OKTA_KEY_ID, OKTA_DPOP\) are both set.*; OKTA_AUTH_INVALID: OKTA_KEY_ID .*; OKTA_AUTH_INVALID: OKTA_DPOP /,
    },
    { who: 'gateway, malformed key', script: gatewayBin, env: { OKTA_ORG_URL: 'https://dev-1.okta.com', SESSION_KEY: 'ab'.repeat(32), OKTA_CLIENT_ID: '0oa-x', OKTA_PRIVATE_KEY: TRUNCATED }, message: /OKTA_AUTH_KEY_INVALID: OKTA_PRIVATE_KEY does not hold a usable private key/ },
    {
      who: 'gateway, four OAuth variables malformed and a bad PORT',
      script: gatewayBin,
      env: { OKTA_ORG_URL: 'https://dev-1.okta.com', SESSION_KEY: 'ab'.repeat(32), OKTA_CLIENT_ID: 'c i d', OKTA_KEY_ID: 'k e y', OKTA_DPOP: 'maybe', OKTA_SCOPES: '"x"', OKTA_PRIVATE_KEY_FILE: PEM_FILE, PORT: 'x' },
      message: /^okta-mfa-gateway configuration: .*OKTA_AUTH_INVALID: OKTA_CLIENT_ID .*; OKTA_AUTH_INVALID: OKTA_KEY_ID .*; OKTA_AUTH_INVALID: OKTA_SCOPES .*; OKTA_AUTH_INVALID: OKTA_DPOP .*PORT must/,
    },
    { who: 'Express example, a malformed key and OKTA_DPOP', script: 'examples/express-app/dist/main.js', env: { OKTA_ORG_URL: 'https://dev-1.okta.com', OKTA_CLIENT_ID: '0oa-x', OKTA_PRIVATE_KEY_FILE: GARBAGE_FILE, OKTA_DPOP: 'maybe' }, message: /^Configuration error: OKTA_AUTH_KEY_INVALID: .*; OKTA_AUTH_INVALID: OKTA_DPOP must be true or false/ },
    { who: 'demo, unreadable key file', script: 'examples/fastify-app/dist/main.js', env: { OKTA_ORG_URL: 'https://dev-1.okta.com', OKTA_CLIENT_ID: '0oa-x', OKTA_PRIVATE_KEY_FILE: MISSING_FILE }, message: /^Configuration error: OKTA_AUTH_KEY_UNREADABLE: OKTA_PRIVATE_KEY_FILE ".*" cannot be read \(ENOENT\)/ },
    { who: 'Express example, neither', script: 'examples/express-app/dist/main.js', env: { OKTA_ORG_URL: 'https://dev-1.okta.com' }, message: /^Configuration error: OKTA_AUTH_MISSING: .*OKTA_API_TOKEN.*OKTA_CLIENT_ID/ },
    { who: 'Express example, malformed key file', script: 'examples/express-app/dist/main.js', env: { OKTA_ORG_URL: 'https://dev-1.okta.com', OKTA_CLIENT_ID: '0oa-x', OKTA_PRIVATE_KEY_FILE: GARBAGE_FILE }, message: /^Configuration error: OKTA_AUTH_KEY_INVALID/ },
  ]
  const results = await Promise.all(runs.map(async (r) => ({ r, out: await runToExit(r.script, r.env) })))
  for (const { r, out } of results) {
    t.equal(out.status, 1, `${r.who}: exits 1`)
    t.match(out.stderr, r.message, `${r.who}: the documented message`)
    t.equal(out.stderr.trim().split('\n').length, 1, `${r.who}: one line, no stack`)
    noKeyMaterial(t, out.stdout + out.stderr, r.who)
  }
})

await t.test('OKTA_PRIVATE_KEY_FILE: a path, even with spaces or long parts, is named as it is', async (t) => {
  for (const path of [join(dir, 'My Keys', 'okta service app.pem'), '/var/run/secrets/kubernetes/okta/serviceapp/privatekey', 'C:\\Users\\Ada Lovelace\\keys\\Okta2026.pem', 'keys/okta-ServiceApp-2026-11-30-rotation-0001.pem',
    '/var/run/secrets/kubernetes/oktaMfaGateway/privateKey1', '/mnt/secrets/oktaGatewayKeys/currentKey2', 'okta-key.pem', 'relative/dir/key',
    '/srv/keys/OktaServiceApp2026Q4Rotation/key.pem', 'C:\\Users\\JohnSmith\\Documents\\OktaKeys2024Production01\\okta.pem',
    '/opt/MyCompany2024/OktaMfaGatewayProd01Keys/privateKey', '/kéys/ключ/鍵.pem']) {
    const err = authError({ OKTA_CLIENT_ID: '0oa-x', OKTA_PRIVATE_KEY_FILE: path })
    t.equal(err.code, 'OKTA_AUTH_KEY_UNREADABLE')
    t.ok(err.message.includes(JSON.stringify(path)), `named: ${path}`)
  }
})
