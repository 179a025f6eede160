// Guards the standalone gateway's session (session-cookie.ts) against the real @fastify/secure-session it must stay
// compatible with: cookies go both ways with the same key, key rotation re-encrypts with the newest key at a write, expiry and
// every malformed or forged cookie give an empty session (never a 500), the Set-Cookie attributes are the plugin's own
// (`secure: 'auto'` included), delete() clears the cookie alike, property access works, and nonces never repeat.
import { randomBytes } from 'node:crypto'
import secureSession from '@fastify/secure-session'
import Fastify, { type FastifyInstance } from 'fastify'
import t from 'tap'
import { buildGatewayServer, loadServerConfig } from '@okta-mfa/gateway'

const COOKIE = 'session'
const [newest, older] = [randomBytes(32), randomBytes(32)]

interface Loose { get: (k: string) => unknown, set: (k: string, v: unknown) => void, delete: () => void, options: (o: object) => void, user?: unknown }
const sessionOf = (request: unknown): Loose => (request as { session: Loose }).session

/** The standalone gateway with test routes that read and write its session. */
async function gatewayWith (keys: Buffer[], extra: Record<string, string> = {}): Promise<FastifyInstance> {
  const app = await buildGatewayServer(loadServerConfig({
    OKTA_ORG_URL: 'https://dev-1.okta.com', OKTA_API_TOKEN: 'tok', LOG_LEVEL: 'silent', SESSION_COOKIE_SECURE: 'false',
    SESSION_KEY: keys.map((k) => k.toString('hex')).join(','), ...extra,
  }))
  app.get('/t/read', async (request) => ({ user: sessionOf(request).get('user') ?? null, prop: sessionOf(request).user ?? null }))
  app.post('/t/write', async (request) => { sessionOf(request).set('user', { id: 'from-gateway' }); return {} })
  app.post('/t/prop', async (request) => { sessionOf(request).user = { id: 'by-property' }; return {} })
  app.post('/t/delete', async (request) => { sessionOf(request).delete(); return {} })
  app.post('/t/options', async (request) => { sessionOf(request).set('x', 1); sessionOf(request).options({ maxAge: 60 }); return {} })
  t.teardown(() => app.close())
  return app
}

/** An app on @fastify/secure-session itself, with the same key(s) and the gateway's cookie options. */
async function secureSessionApp (keys: Buffer[], secure: boolean | 'auto' = false): Promise<FastifyInstance> {
  const app = Fastify({ trustProxy: true })
  await app.register(secureSession, { key: keys, cookieName: COOKIE, cookie: { path: '/', httpOnly: true, sameSite: 'lax', secure: secure as boolean } })
  app.get('/t/read', async (request) => ({ user: sessionOf(request).get('user') ?? null }))
  app.post('/t/write', async (request) => { sessionOf(request).set('user', { id: 'from-secure-session' }); return {} })
  app.post('/t/delete', async (request) => { sessionOf(request).delete(); return {} })
  app.post('/t/options', async (request) => { sessionOf(request).set('x', 1); sessionOf(request).options({ maxAge: 60 }); return {} })
  t.teardown(() => app.close())
  return app
}

function setCookie (res: { headers: Record<string, unknown> }): string {
  const h = res.headers['set-cookie']
  return String(Array.isArray(h) ? h.find((c: string) => c.startsWith(`${COOKIE}=`)) : h ?? '')
}
const valueOf = (header: string): string => header.slice(COOKIE.length + 1).split(';')[0]!
const attributesOf = (header: string): string => header.slice(header.indexOf(';'))
const cookieHeader = (value: string): Record<string, string> => ({ cookie: `other=1; ${COOKIE}=${value}; last=2` })

await t.test('cookies go both ways with @fastify/secure-session and the same key', async (t) => {
  const [gateway, other] = [await gatewayWith([newest]), await secureSessionApp([newest])]
  const fromOther = setCookie(await other.inject({ method: 'POST', url: '/t/write' }))
  t.same((await gateway.inject({ url: '/t/read', headers: cookieHeader(valueOf(fromOther)) })).json(),
    { user: { id: 'from-secure-session' }, prop: { id: 'from-secure-session' } }, 'the gateway reads its cookie (get and property)')
  const fromGateway = setCookie(await gateway.inject({ method: 'POST', url: '/t/write' }))
  t.same((await other.inject({ url: '/t/read', headers: cookieHeader(valueOf(fromGateway)) })).json(), { user: { id: 'from-gateway' } }, 'and it reads ours')
  const byProperty = setCookie(await gateway.inject({ method: 'POST', url: '/t/prop' }))
  t.same((await other.inject({ url: '/t/read', headers: cookieHeader(valueOf(byProperty)) })).json(), { user: { id: 'by-property' } }, 'a property write is a set')
  t.equal(attributesOf(fromGateway), attributesOf(fromOther), 'the same Set-Cookie attributes')
  t.match(valueOf(fromGateway), /^[A-Za-z0-9+/=]+%3B[A-Za-z0-9+/=]{32}$/, 'base64, the encoded separator, a 24-byte nonce')

  const made = gateway.encodeSecureSession(gateway.createSecureSession({ user: { id: 'by-hand' } }))
  t.same(other.decodeSecureSession(made)?.get('user'), { id: 'by-hand' }, 'the decorators make a cookie secure-session reads')
  t.same((gateway.decodeSecureSession(other.encodeSecureSession(other.createSecureSession({ user: 'u' }))) as Loose | null)?.get('user'), 'u')

  const untouched = await gateway.inject({ url: '/t/read', headers: cookieHeader(valueOf(fromOther)) })
  t.equal(untouched.headers['set-cookie'], undefined, 'a session read and not changed is not written again')
})

await t.test('key rotation: an older key still reads; a request that writes the session writes it with the newest, one that reads it leaves it', async (t) => {
  const [rotated, oldOnly, newOnly] = [await gatewayWith([newest, older]), await secureSessionApp([older]), await secureSessionApp([newest])]
  const oldCookie = valueOf(setCookie(await oldOnly.inject({ method: 'POST', url: '/t/write' })))
  const read = await rotated.inject({ url: '/t/read', headers: cookieHeader(oldCookie) })
  t.same(read.json().user, { id: 'from-secure-session' })
  // A read sends nothing back: a query beside a verifyFactor would otherwise write the session as it read it, over
  // the MFA step the verify had just recorded.
  t.equal(read.headers['set-cookie'], undefined, 'a read does not write it again')
  // A session the gateway has served under the older key (its first query gives it an identity: a write).
  const viewer = { method: 'POST' as const, url: '/graphql', payload: { query: '{ viewer { userKey } }' } }
  const served = valueOf(setCookie(await (await gatewayWith([older])).inject({ ...viewer, headers: cookieHeader(oldCookie) })))
  t.not(served, '')
  const query = await rotated.inject({ ...viewer, headers: cookieHeader(served) })
  t.equal(query.json().data?.viewer?.userKey, 'from-secure-session')
  t.equal(query.headers['set-cookie'], undefined, 'nor does a GraphQL query')
  const written = await rotated.inject({ method: 'POST', url: '/t/options', headers: cookieHeader(oldCookie) })
  const reissued = valueOf(setCookie(written))
  t.not(reissued, '', 'a write writes it')
  t.same((await newOnly.inject({ url: '/t/read', headers: cookieHeader(reissued) })).json().user, { id: 'from-secure-session' }, 'with the newest key, the rest kept')
  t.same((await oldOnly.inject({ url: '/t/read', headers: cookieHeader(reissued) })).json().user, null)
})

await t.test('expired, malformed and forged cookies are an empty session, never an error', async (t) => {
  const gateway = await gatewayWith([newest])
  const other = await secureSessionApp([newest])
  const day = 86_401
  const stale = other.createSecureSession({ user: 'late', __ts: Math.round(Date.now() / 1000) - day - 5 })
  const good = valueOf(setCookie(await other.inject({ method: 'POST', url: '/t/write' })))
  const [cipher, nonce] = decodeURIComponent(good).split(';') as [string, string]
  const flipped = Buffer.from(cipher, 'base64'); flipped[3] = flipped[3]! ^ 1
  const cases: Record<string, string> = {
    expired: encodeURIComponent(other.encodeSecureSession(stale)),
    'no separator': cipher,
    'bad percent-encoding': `${cipher}%E0%A4%A;${nonce}`,
    'short nonce': `${cipher}%3B${nonce.slice(0, 8)}`,
    'short ciphertext': `AAAA%3B${nonce}`,
    'a flipped bit': `${flipped.toString('base64')}%3B${nonce}`,
    'another key': valueOf(setCookie(await (await secureSessionApp([older])).inject({ method: 'POST', url: '/t/write' }))),
    'not JSON inside': encodeURIComponent(gateway.encodeSecureSession(gateway.createSecureSession({})).replace(/^./, 'A')),
    empty: '',
    huge: 'A'.repeat(8000),
  }
  for (const [name, value] of Object.entries(cases)) {
    const res = await gateway.inject({ url: '/t/read', headers: cookieHeader(value) })
    t.equal(res.statusCode, 200, `${name}: answered`)
    t.same(res.json(), { user: null, prop: null }, `${name}: an empty session`)
  }
  const viewer = await gateway.inject({ method: 'POST', url: '/graphql', payload: { query: '{ viewer { userKey } }' }, headers: cookieHeader(cases.expired!) })
  t.equal(viewer.json().errors?.[0]?.extensions?.code, 'UNAUTHENTICATED', 'an expired session is signed out')

  // SESSION_EXPIRY_SECONDS: an app whose sessions last 8 hours; a cookie idle for 9 is neither read nor renewed here.
  const eightHours = await gatewayWith([newest], { SESSION_EXPIRY_SECONDS: String(8 * 3600) })
  const idle = (hours: number): string => encodeURIComponent(other.encodeSecureSession(other.createSecureSession({ user: 'idle', __ts: Math.round(Date.now() / 1000) - hours * 3600 })))
  t.same((await eightHours.inject({ url: '/t/read', headers: cookieHeader(idle(9)) })).json(), { user: null, prop: null }, '8 h sessions: idle for 9 h, none')
  t.same((await eightHours.inject({ url: '/t/read', headers: cookieHeader(idle(7)) })).json(), { user: 'idle', prop: 'idle' }, '8 h sessions: idle for 7 h, read')
  t.same((await gateway.inject({ url: '/t/read', headers: cookieHeader(idle(9)) })).json(), { user: 'idle', prop: 'idle' }, 'the default (24 h): idle for 9 h, read')
})

await t.test('attributes: the plugin\'s own, secure: auto by protocol, delete() and session.options() alike', async (t) => {
  const [gateway, other] = [await gatewayWith([newest], { SESSION_COOKIE_SECURE: 'auto', TRUST_PROXY: 'true' }), await secureSessionApp([newest], 'auto')]
  for (const headers of [{}, { 'x-forwarded-proto': 'https' }]) {
    const ours = attributesOf(setCookie(await gateway.inject({ method: 'POST', url: '/t/write', headers })))
    t.equal(ours, attributesOf(setCookie(await other.inject({ method: 'POST', url: '/t/write', headers }))), `auto over ${JSON.stringify(headers)}`)
  }
  t.match(attributesOf(setCookie(await gateway.inject({ method: 'POST', url: '/t/write', headers: { 'x-forwarded-proto': 'https' } }))), /; Secure/)
  t.notMatch(attributesOf(setCookie(await gateway.inject({ method: 'POST', url: '/t/write' }))), /Secure/)
  for (const proto of ['HTTPS', 'Https']) {
    t.match(attributesOf(setCookie(await gateway.inject({ method: 'POST', url: '/t/write', headers: { 'x-forwarded-proto': proto } }))), /; Secure/, `X-Forwarded-Proto: ${proto} is https`)
  }
  t.notMatch(attributesOf(setCookie(await gateway.inject({ method: 'POST', url: '/t/write', headers: { 'x-forwarded-proto': 'HTTP' } }))), /Secure/)
  const cleared = setCookie(await gateway.inject({ method: 'POST', url: '/t/delete' }))
  t.equal(cleared, setCookie(await other.inject({ method: 'POST', url: '/t/delete' })), 'delete(): the same clearing cookie')
  t.match(cleared, /^session=; Max-Age=0; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax$/)
  t.equal(attributesOf(setCookie(await gateway.inject({ method: 'POST', url: '/t/options' }))),
    attributesOf(setCookie(await other.inject({ method: 'POST', url: '/t/options' }))), 'session.options() adds to them alike')
})

await t.test('session.options(): every attribute written as secure-session writes it, a bad one refused as it refuses it', async (t) => {
  const [gateway, other] = [await gatewayWith([newest]), await secureSessionApp([newest])]
  for (const app of [gateway, other]) {
    app.post('/t/options-from', async (request) => {
      const o = { ...(request.body as Record<string, unknown>) }
      if (typeof o.expires === 'string') o.expires = new Date(o.expires)
      sessionOf(request).set('x', 1)
      sessionOf(request).options(o)
      return {}
    })
  }
  const good: Array<Record<string, unknown>> = [
    { domain: 'example.com', priority: 'high', partitioned: true, sameSite: true },
    { domain: '.sub.example.com', path: '/app', priority: 'LOW', sameSite: 'strict', expires: '2030-01-02T03:04:05Z' },
    { sameSite: false, priority: 'medium' },
    { sameSite: 'none', secure: true },
  ]
  for (const payload of good) {
    const ours = attributesOf(setCookie(await gateway.inject({ method: 'POST', url: '/t/options-from', payload })))
    t.equal(ours, attributesOf(setCookie(await other.inject({ method: 'POST', url: '/t/options-from', payload }))), `${JSON.stringify(payload)}: the same attributes`)
  }
  const bad: Array<Record<string, unknown>> = [
    { domain: 'example.com; Domain=evil.example' }, { path: '/a;b' }, { expires: '+010000-01-01T00:00:00Z' }, { expires: '1600-12-31T00:00:00Z' },
    { maxAge: 1.5 }, { priority: 'urgent' }, { sameSite: 'sideways' },
  ]
  for (const payload of bad) {
    const [ours, theirs] = [await gateway.inject({ method: 'POST', url: '/t/options-from', payload }), await other.inject({ method: 'POST', url: '/t/options-from', payload })]
    t.equal(theirs.statusCode, 500, `${JSON.stringify(payload)}: secure-session refuses it`)
    t.equal(ours.statusCode, 500, `${JSON.stringify(payload)}: refused alike`)
    t.equal(ours.json().code, 'OKTA_MFA_GATEWAY_INVALID_OPTION', `${JSON.stringify(payload)}: the app's mistake, with the gateway's bad-option code`)
    t.equal(setCookie(ours), '', `${JSON.stringify(payload)}: no cookie written`)
  }
})

await t.test('every cookie has its own nonce, across refills of the nonce pool', async (t) => {
  const gateway = await gatewayWith([newest])
  const session = gateway.createSecureSession({ user: 'same' })
  const nonces = new Set<string>()
  for (let i = 0; i < 1000; i++) nonces.add(gateway.encodeSecureSession(session).split(';')[1]!)
  t.equal(nonces.size, 1000)
})

await t.test('a config built by hand with a session key of the wrong size is the coded InvalidOptionError', async (t) => {
  const config = loadServerConfig({ OKTA_ORG_URL: 'https://dev-1.okta.com', OKTA_API_TOKEN: 'tok', LOG_LEVEL: 'silent', SESSION_KEY: newest.toString('hex') })
  const short = randomBytes(16)
  await t.rejects(buildGatewayServer({ ...config, sessionKey: short, sessionKeys: [newest, short] }),
    { code: 'OKTA_MFA_GATEWAY_INVALID_OPTION', message: 'session keys must be 32-byte Buffers' })
})
