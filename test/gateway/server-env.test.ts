// Guards the standalone gateway's settings read from the environment (issue 14): the org URL's shape, the issuer shown
// in authenticator apps (and its default for an org on an IPv6 address), the attempt limit and window, the step-up
// window and the remembered-device lifetime, each with its default, bad values refused naming the variable, and the
// values reaching the plugin (seen through GraphQL).
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { buildGatewayServer, loadServerConfig, ServerConfigError } from '@okta-mfa/gateway'
import { withEmulator } from '../helpers/emulator.js'
import { OPS, codeOf, gql, startGatewayApp } from '../helpers/gateway-app.js'
import { totp } from '../helpers/totp.js'

const baseEnv = { OKTA_ORG_URL: 'https://dev-1.okta.com', OKTA_API_TOKEN: 'tok', SESSION_KEY: randomBytes(32).toString('hex') }

await t.test('defaults, values, and bad values named', async (t) => {
  t.match(loadServerConfig(baseEnv), { totpIssuer: undefined, maxAttempts: 4, attemptWindowMs: 900_000, stepUpMaxAgeSeconds: 300, rememberDeviceDays: 30, timeoutMs: 5000, sessionExpirySeconds: 86_401 })
  t.equal(loadServerConfig({ ...baseEnv, SESSION_EXPIRY_SECONDS: '28800' }).sessionExpirySeconds, 28_800, 'SESSION_EXPIRY_SECONDS: the signing-in app\'s lifetime')
  t.equal(loadServerConfig(baseEnv).cookieSecure, true, 'SESSION_COOKIE_SECURE unset: the cookie is Secure')
  t.match(loadServerConfig({
    ...baseEnv, GATEWAY_TOTP_ISSUER: 'Acme Corp', MFA_MAX_ATTEMPTS: '3', MFA_ATTEMPT_WINDOW_SECONDS: '600', STEP_UP_MAX_AGE_SECONDS: '120', REMEMBER_DEVICE_DAYS: '0',
  }), { totpIssuer: 'Acme Corp', maxAttempts: 3, attemptWindowMs: 600_000, stepUpMaxAgeSeconds: 120, rememberDeviceDays: 0 })
  const bad: Array<[string, string, RegExp]> = [
    ['GATEWAY_TOTP_ISSUER', 'Acme:Corp', /GATEWAY_TOTP_ISSUER must be 1 to 64 printable characters without ":"/],
    ['GATEWAY_TOTP_ISSUER', 'x'.repeat(65), /GATEWAY_TOTP_ISSUER/],
    // Not printable: a C0 and a C1 control, the line and paragraph separators, a bidi override, a zero-width space.
    ...['Ac\u0007me', 'Ac\u0085me', 'Ac\u2028me', 'Ac\u2029me', 'Ac\u202Eme', 'Ac\u200Bme'].map((v): [string, string, RegExp] =>
      ['GATEWAY_TOTP_ISSUER', v, /GATEWAY_TOTP_ISSUER must be 1 to 64 printable characters/]),
    ['MFA_MAX_ATTEMPTS', '0', /MFA_MAX_ATTEMPTS must be an integer from 1 to 100/],
    ['MFA_MAX_ATTEMPTS', 'four', /MFA_MAX_ATTEMPTS/],
    ['MFA_ATTEMPT_WINDOW_SECONDS', '-5', /MFA_ATTEMPT_WINDOW_SECONDS must be an integer from 1 to 86400/],
    ['STEP_UP_MAX_AGE_SECONDS', '1.5', /STEP_UP_MAX_AGE_SECONDS must be an integer/],
    ['REMEMBER_DEVICE_DAYS', '401', /REMEMBER_DEVICE_DAYS must be an integer from 0 to 400/],
    ['SESSION_EXPIRY_SECONDS', '0', /SESSION_EXPIRY_SECONDS must be an integer from 1 to 34560000/],
    ['SESSION_EXPIRY_SECONDS', '8h', /SESSION_EXPIRY_SECONDS/],
  ]
  // Empty is unset for every optional variable (an env file's `LOG_LEVEL=`): the default, not a refusal.
  t.match(loadServerConfig({ ...baseEnv, LOG_LEVEL: '', SESSION_COOKIE_NAME: '' }), { logLevel: 'info', cookieName: 'session' })
  t.equal(loadServerConfig({ ...baseEnv, GATEWAY_TOTP_ISSUER: 'Acmé Ünïon ✓' }).totpIssuer, 'Acmé Ünïon ✓', 'printable non-ASCII is fine')
  // 64 characters, counted as a person counts them: an emoji once, the spaces around the value not at all.
  t.equal(loadServerConfig({ ...baseEnv, GATEWAY_TOTP_ISSUER: '🔐'.repeat(64) }).totpIssuer, '🔐'.repeat(64), '64 emoji')
  t.equal(loadServerConfig({ ...baseEnv, GATEWAY_TOTP_ISSUER: ` ${'x'.repeat(64)} ` }).totpIssuer, 'x'.repeat(64), '64 characters between spaces')
  t.throws(() => loadServerConfig({ ...baseEnv, GATEWAY_TOTP_ISSUER: '🔐'.repeat(65) }), /GATEWAY_TOTP_ISSUER must be 1 to 64/, '65 emoji')
  for (const [name, value, message] of bad) {
    const err = (() => { try { loadServerConfig({ ...baseEnv, [name]: value }); return undefined } catch (e) { return e } })()
    // Named by code points beyond ASCII: a raw U+2028 would end the TAP line.
    const shown = value.slice(0, 12).replace(/[^\x20-\x7e]/g, (c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`)
    t.type(err, ServerConfigError, `${name}=${shown} is refused`)
    t.match((err as Error).message, message)
  }
})

await t.test('SESSION_KEY: 32 bytes each, up to 8 newest first; bounds of the numeric variables included', async (t) => {
  const keys = Array.from({ length: 9 }, () => randomBytes(32))
  t.same(loadServerConfig({ ...baseEnv, SESSION_KEY: `${keys.slice(0, 8).map((k) => k.toString('base64url')).join(', ')},` }).sessionKeys, keys.slice(0, 8), '8 keys (base64url, an empty entry ignored)')
  const refused = (SESSION_KEY: string): unknown => t.throws(() => loadServerConfig({ ...baseEnv, SESSION_KEY }), { message: /SESSION_KEY must be 32 bytes/ })
  refused(keys.map((k) => k.toString('hex')).join(','))
  refused(randomBytes(31).toString('base64')) // 44 characters: base64's length, 31 bytes
  refused(randomBytes(31).toString('base64url')) // 42 characters
  t.match(loadServerConfig({ ...baseEnv, PORT: '65535', REMEMBER_DEVICE_DAYS: '400', OKTA_TIMEOUT_MS: '120000', MFA_MAX_ATTEMPTS: '100', STEP_UP_MAX_AGE_SECONDS: '86400' }),
    { port: 65535, rememberDeviceDays: 400, timeoutMs: 120_000, maxAttempts: 100, stepUpMaxAgeSeconds: 86_400 }, 'each maximum is allowed')
  t.throws(() => loadServerConfig({ ...baseEnv, PORT: '65536' }), { message: /PORT must be an integer from 0 to 65535/ })
  t.throws(() => loadServerConfig({ ...baseEnv, OKTA_TIMEOUT_MS: '120001' }), { message: /OKTA_TIMEOUT_MS must be an integer from 1 to 120000/ })
})

await t.test('OKTA_TIMEOUT_MS: one request\'s Okta calls share 5000 ms, or OKTA_TIMEOUT_MS when that is longer', async (t) => {
  for (const [timeout, deadline] of [['1000', 5000], ['8000', 8000]] as const) {
    const app = await buildGatewayServer(loadServerConfig({ ...baseEnv, LOG_LEVEL: 'silent', OKTA_TIMEOUT_MS: timeout }))
    t.teardown(() => app.close())
    await app.ready()
    t.equal(app.oktaMfaGateway.config.requestTimeoutMs, deadline, `OKTA_TIMEOUT_MS=${timeout}: a deadline of ${deadline} ms`)
  }
})

await t.test('OKTA_ORG_URL: the org\'s root, no query or fragment even empty, http only on loopback; never echoed', async (t) => {
  const refused: Array<[string, RegExp]> = [
    ['https://dev-secret.okta.com/oauth2/default', /^OKTA_ORG_URL must be the org's root, such as https:\/\/dev-123456\.okta\.com, without a path: \/oauth2\/\.\.\. is an authorization server, not the org \(its value is not shown\)$/],
    ['https://dev-secret.okta.com/admin/dashboard/', /^OKTA_ORG_URL must be the org's root/],
    ['https://dev-secret.okta.com?', /^OKTA_ORG_URL must not contain a query or a fragment/],
    ['https://dev-secret.okta.com/#', /^OKTA_ORG_URL must not contain a query or a fragment/],
    ['http://dev-secret.okta.com', /^OKTA_ORG_URL may be http: only for an emulator on loopback \(127\.0\.0\.0\/8, localhost or \[::1\]\): an Okta org is https/],
    ['http://10.1.2.3:8080', /^OKTA_ORG_URL may be http: only for an emulator on loopback/],
  ]
  for (const [orgUrl, message] of refused) {
    const err = (() => { try { loadServerConfig({ ...baseEnv, OKTA_ORG_URL: orgUrl, OKTA_ALLOW_INSECURE_HTTP: 'true' }); return undefined } catch (e) { return e } })()
    t.type(err, ServerConfigError, `${orgUrl} refused at start`)
    t.match((err as ServerConfigError | undefined)?.problems, [message])
    t.notMatch((err as Error | undefined)?.message ?? '', /secret|10\.1\.2\.3/, 'the value is not shown')
  }
  for (const orgUrl of ['https://dev-1.okta.com//', 'http://127.0.0.2:7070', 'http://localhost:7070', 'http://[::1]:7070/']) {
    t.equal(loadServerConfig({ ...baseEnv, OKTA_ORG_URL: orgUrl, OKTA_ALLOW_INSECURE_HTTP: 'true' }).orgUrl, orgUrl, `${orgUrl} accepted`)
  }
})

await t.test('an org on an IPv6 address: the default issuer is "Okta", as apps split the label at the first ":"', async (t) => {
  const emu = await withEmulator(t, { host: '::1', seed: [{ id: '00uada00000000000001', login: 'ada@example.com' }] })
  t.match(emu.url, /^http:\/\/\[::1\]:\d+$/)
  const server = await startGatewayApp(t, emu)
  const ada = await server.signedIn('ada@example.com')
  const enrolled = await gql(ada, OPS.enroll, { input: { factorType: 'TOTP', provider: 'GOOGLE' } })
  const uri = enrolled.body.data.enrollFactor.activation.otpauthUri as string
  t.match(uri, /^otpauth:\/\/totp\/Okta:ada%40example\.com\?/, 'the label is Okta:<login>')
  t.match(uri, /[?&]issuer=Okta&/)
})

await t.test('the settings reach the gateway: issuer in the QR code, the attempt limit and its window', async (t) => {
  const emu = await withEmulator(t, { seed: [{ id: '00uada00000000000001', login: 'ada@example.com' }] })
  const server = await startGatewayApp(t, emu, { env: { GATEWAY_TOTP_ISSUER: 'Acme Corp', MFA_MAX_ATTEMPTS: '2', MFA_ATTEMPT_WINDOW_SECONDS: '600' } })
  const ada = await server.signedIn('ada@example.com')
  const enrolled = await gql(ada, OPS.enroll, { input: { factorType: 'TOTP', provider: 'GOOGLE' } })
  const uri = enrolled.body.data.enrollFactor.activation.otpauthUri as string
  t.match(uri, /^otpauth:\/\/totp\/Acme%20Corp:/, 'the issuer apps show, instead of the org host')
  t.match(uri, /issuer=Acme%20Corp/)
  const factorId = enrolled.body.data.enrollFactor.factor.id as string
  const first = await gql(ada, OPS.activate, { factorId, passCode: '000000' })
  t.equal(first.body.errors?.[0]?.extensions.attemptsRemaining, 1, 'MFA_MAX_ATTEMPTS=2: one left after the first wrong code')
  const second = await gql(ada, OPS.activate, { factorId, passCode: '000000' })
  t.equal(second.body.errors?.[0]?.extensions.attemptsRemaining, 0)
  const third = await gql(ada, OPS.activate, { factorId, passCode: '000000' })
  t.equal(third.body.errors?.[0]?.extensions.code, 'LOCKED_OUT')
  t.equal(third.body.errors?.[0]?.extensions.retryAfterSeconds, 600, 'MFA_ATTEMPT_WINDOW_SECONDS=600: the wait is the window counted from the first attempt')
  emu.clock.advance(599_000)
  t.equal(codeOf(await gql(ada, OPS.activate, { factorId, passCode: '000000' })), 'LOCKED_OUT', 'still refused 599 s after the first attempt')
  emu.clock.advance(1_000)
  const next = await gql(ada, OPS.activate, { factorId, passCode: '000000' })
  t.equal(next.body.errors?.[0]?.extensions.attemptsRemaining, 1, 'a new window 600 s after the first attempt (the default is 900)')
})

await t.test('STEP_UP_MAX_AGE_SECONDS reaches the step-up rule: a step older than it cannot remove a factor', async (t) => {
  const emu = await withEmulator(t, { seed: [{ id: '00uada00000000000001', login: 'ada@example.com' }] })
  const server = await startGatewayApp(t, emu, { env: { STEP_UP_MAX_AGE_SECONDS: '60' } })
  const ada = await server.signedIn('ada@example.com')
  const enrolled = await gql(ada, OPS.enroll, { input: { factorType: 'TOTP', provider: 'GOOGLE' } })
  const factorId = enrolled.body.data.enrollFactor.factor.id as string
  const activated = await gql(ada, OPS.activate, { factorId, passCode: totp(enrolled.body.data.enrollFactor.activation.sharedSecret as string, emu.clock.now()) })
  t.equal(activated.body.data?.activateFactor.status, 'ACTIVE', 'activating is the MFA step')
  emu.clock.advance(60_000)
  t.match((await gql(ada, OPS.viewer)).body.data.viewer.mfa, { completed: true, fresh: true }, 'fresh at exactly 60 s')
  emu.clock.advance(1)
  t.match((await gql(ada, OPS.viewer)).body.data.viewer.mfa, { completed: true, fresh: false }, 'not fresh past 60 s (the default is 300)')
  const stale = await gql(ada, OPS.remove, { factorId })
  t.equal(codeOf(stale), 'MFA_REQUIRED', 'removeFactor asks for a new step')
  t.equal((await gql(ada, OPS.factors)).body.data.factors.length, 1, 'nothing was removed')
})
