// The `htu` of DPoP proofs for logins that need percent-encoding: against the emulator (which checks
// htu as Okta does: one path, no query or fragment, equal to the request path once decoded), every
// login works over DPoP exactly as over SSWS: `?`, `#`, `/`, `%`, a literal `%2F`, `+`, `@`, non-ASCII (a login with
// a `/` is a 404 over both, as Okta fetches it by id only).
import t from 'tap'
import { createServer } from 'node:http'
import { createOktaClient } from '@okta-mfa/client'
import { listenLoopback } from '../helpers/http.js'
import { ALL_SCOPES, app, appKey, oauthEmulator } from './keys.js'

const KEY = appKey('key-1', 'ec')

const LOGINS = [
  'plain@example.com',
  'a+b@example.com',
  'a?b@example.com',
  'a#b@example.com',
  'a/b@example.com',
  'a%b@example.com',
  'a%2Fb@example.com',
  'lower%2fcase%3f%23@example.com',
  'a%3Fb%23c@example.com',
  'a%40b@example.com',
  'a%25b@example.com',
  'a%2540b@example.com',
  'a?x=1#y/z%@example.com',
  "o'neil&co=1@example.com",
  'ünï@example.com',
  '名前@example.com',
  'smile😀@example.com',
]

void t.test('logins needing percent-encoding work over DPoP as over SSWS', async (t) => {
  const emu = await oauthEmulator(t, [app('0oa-htu', KEY)], { dpopApiNonce: true })
  const ssws = createOktaClient({ orgUrl: emu.url, allowInsecureHttp: true, token: emu.token })
  const dpop = createOktaClient({ orgUrl: emu.url + '/', allowInsecureHttp: true, auth: { clientId: '0oa-htu', privateKey: KEY.pem, keyId: KEY.kid, scopes: ALL_SCOPES, dpop: true } })
  t.teardown(async () => { await ssws.close(); await dpop.close() })
  for (const login of LOGINS) {
    const created = await ssws.createUser({ profile: { login, email: 'x@example.com' } }, { activate: false })
    if (login.includes('/')) {
      // Okta fetches a login with a `/` by id only: the same 404 over both (over DPoP, a proof whose htu did not
      // match would be a 401 before any lookup).
      const notFound = { code: 'OKTA_NOT_FOUND', status: 404, errorCode: 'E0000007' }
      await t.rejects(ssws.getUser(login), notFound, `SSWS ${login}`)
      await t.rejects(dpop.getUser(login), notFound, `DPoP ${login}`)
      t.equal((await dpop.getUser(created.id)).profile.login, login, `DPoP ${login} by id`)
      continue
    }
    t.equal((await ssws.getUser(login)).id, created.id, `SSWS ${login}`)
    t.equal((await dpop.getUser(login)).id, created.id, `DPoP ${login}`)
  }
  // A login created over DPoP, found by search (it has a `/`), then a call on its id.
  const viaDpop = await dpop.createUser({ profile: { login: 'd?p#o/p%2F@example.com', email: 'x@example.com' } }, { activate: false })
  const found = []
  for await (const u of dpop.listUsers({ search: 'profile.login eq "d?p#o/p%2F@example.com"' })) found.push(u.id)
  t.same(found, [viaDpop.id])
  t.equal((await dpop.listFactors(viaDpop.id)).length, 0)
})

void t.test('the htu sent: the path percent-decoded but for %2F %3F %23 %25, without the query', async (t) => {
  // The emulator decodes the proof's htu as well as the request path, so it takes either form: a loopback server shows
  // the htu itself, as the README documents it (Okta compares it to the decoded request path).
  const htus: string[] = []
  const orgUrl = await listenLoopback(t, createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      if (req.url === '/oauth2/v1/token') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token_type: 'DPoP', expires_in: 3600, access_token: 'tok' }))
        return
      }
      const proof = String(req.headers.dpop)
      htus.push(JSON.parse(Buffer.from(proof.split('.')[1]!, 'base64url').toString()).htu)
      res.writeHead(200, { 'content-type': 'application/json' }).end(req.url!.startsWith('/api/v1/users?') ? '[]' : JSON.stringify({ id: '00u1', status: 'ACTIVE', profile: {} }))
    })
  }))
  const c = createOktaClient({ orgUrl, allowInsecureHttp: true, auth: { clientId: '0oa-htu', privateKey: KEY.pem, scopes: ALL_SCOPES, dpop: true } })
  t.teardown(() => c.close())
  await c.getUser('a@b.example.com')
  await c.getUser('名前?x#y%z@example.com')
  for await (const _user of c.listUsers({ search: 'profile.login eq "a"' })) break
  t.same(htus, [
    `${orgUrl}/api/v1/users/a@b.example.com`,
    `${orgUrl}/api/v1/users/名前%3Fx%23y%25z@example.com`,
    `${orgUrl}/api/v1/users`,
  ])
})
