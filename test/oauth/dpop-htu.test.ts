// The `htu` of DPoP proofs for logins that need percent-encoding: against the emulator (which checks
// htu as Okta does: one path, no query or fragment, equal to the request path once decoded), every
// login works over DPoP exactly as over SSWS: `?`, `#`, `/`, `%`, a literal `%2F`, `+`, `@`, non-ASCII (a login with
// a `/` is a 404 over both, as Okta fetches it by id only).
import t from 'tap'
import { createOktaClient } from '@okta-mfa/client'
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
