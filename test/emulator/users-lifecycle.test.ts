// Guards the Users API beyond create/get/list: partial update and replace (with ETag / If-Match), `me`,
// login shortnames, Okta's lifecycle status rules and error codes, the credential operations (imported
// password hashes included), the user and factor shapes real orgs send, and that every link the emulator
// advertises leads to a route.
import { createHash, pbkdf2Sync } from 'node:crypto'
import t from 'tap'
import { buildEmulator } from '@okta-mfa/emulator'
import { emuFetch, withEmulator, type TestEmulator } from '../helpers/emulator.js'
import { withLoopDelay } from '../helpers/loop-delay.js'

const mk = async (emu: TestEmulator, login: string, query = '', extra: Record<string, unknown> = {}): Promise<string> => {
  const r = await emuFetch(emu, 'POST', `/api/v1/users${query}`, { profile: { login, email: login, firstName: 'F', lastName: 'L' }, ...extra })
  if (r.status !== 200) throw new Error(r.text)
  return r.body.id
}
const pw = { credentials: { password: { value: 'Sup3r-Secret1' }, recovery_question: { question: 'Best band?', answer: 'Modest Mouse' } } }

await t.test('update (POST) and replace (PUT): semantics, ETag and If-Match', async (t) => {
  const emu = await withEmulator(t)
  const id = await mk(emu, 'isaac@example.com', '', { profile: { login: 'isaac@example.com', email: 'isaac@example.com', firstName: 'Isaac', lastName: 'Brock', title: 'Singer', postalAddress: null } })
  const U = `/api/v1/users/${id}`
  const got = await emuFetch(emu, 'GET', U)
  t.same(Object.keys(got.body.profile), ['firstName', 'lastName', 'mobilePhone', 'secondEmail', 'login', 'email', 'title'], 'a property sent as null is left out; the four base ones are always there')
  const etag = got.headers.get('etag')!
  t.match(etag, /^W\/"[0-9a-f]{64}"$/)
  t.equal((await emuFetch(emu, 'GET', U)).headers.get('etag'), etag, 'the same user, the same ETag')

  const upd = await emuFetch(emu, 'POST', U, { profile: { firstName: 'Ike', title: null, nickName: 'ike' } }, { 'if-match': etag })
  t.equal(upd.status, 200)
  t.same([upd.body.profile.firstName, upd.body.profile.lastName, upd.body.profile.nickName, 'title' in upd.body.profile], ['Ike', 'Brock', 'ike', false], 'merged; null removes')
  const stale = await emuFetch(emu, 'POST', U, { profile: { firstName: 'X' } }, { 'if-match': etag })
  t.same([stale.status, stale.body.errorCode], [412, 'E0000231'], 'a stale If-Match is refused')
  t.not((await emuFetch(emu, 'GET', U)).headers.get('etag'), etag, 'an update changes the ETag')

  // RFC 9110's If-Match: `*`, or a list naming the current tag (compared weakly, as Okta's ETags are weak).
  const now = (await emuFetch(emu, 'GET', U)).headers.get('etag')!
  const strong = now.slice(2)
  const condition = async (ifMatch: string): Promise<[number, string | undefined, string | undefined]> => {
    const r = await emuFetch(emu, 'POST', U, { profile: { nickName: `n${ifMatch.length}` } }, { 'if-match': ifMatch })
    return [r.status, r.body.errorCode, r.body.profile?.nickName]
  }
  t.same(await condition('*'), [200, undefined, 'n1'], '* matches any current user')
  const replaced = await emuFetch(emu, 'PUT', U, { profile: { login: 'isaac@example.com', email: 'isaac@example.com', nickName: 'put' } }, { 'if-match': ' * ' })
  t.same([replaced.status, replaced.body.profile?.nickName], [200, 'put'], 'PUT takes it too')
  await emuFetch(emu, 'POST', U, { profile: { firstName: 'Ike' } })
  const cur = (await emuFetch(emu, 'GET', U)).headers.get('etag')!
  t.same(await condition(`W/"stale", ${cur}`), [200, undefined, `n${cur.length + 11}`], 'a list naming the current tag matches')
  const cur2 = (await emuFetch(emu, 'GET', U)).headers.get('etag')!
  t.same(await condition(`${cur2.slice(2)},`), [200, undefined, `n${cur2.length - 1}`], 'its strong form and an empty member too')
  t.same(await condition(`W/"a", ${strong}, "b"`), [412, 'E0000231', undefined], 'a list of stale tags: 412')
  t.same(await condition(' , '), [412, 'E0000231', undefined], 'an empty list names no tag')
  const before = (await emuFetch(emu, 'GET', U)).body.profile.nickName
  for (const bad of ['not-an-etag', '"a" "b"', 'W/a', '*, "a"', '"unterminated', `${cur2}x`, 'w/"a"', '"a"b"']) {
    const r = await emuFetch(emu, 'POST', U, { profile: { nickName: 'never' } }, { 'if-match': bad })
    t.same([r.status, r.body.errorCode, r.body.errorSummary], [400, 'E0000242', 'ETag syntax is invalid.'], `malformed: ${bad}`)
  }
  t.equal((await emuFetch(emu, 'GET', U)).body.profile.nickName, before, 'a refused condition changes nothing')

  // Linear in the value's length: a run of spaces after a tag, ended by something else, was tried at every split
  // between two whitespace runs (quadratic: minutes at this size). app.inject: past Node's 16 KiB header limit.
  const built = buildEmulator({ token: 't', quiet: true })
  t.teardown(() => built.app.close())
  const made = await built.app.inject({ method: 'POST', url: '/api/v1/users?activate=false', headers: { authorization: 'SSWS t' }, payload: { profile: { login: 'run@example.com', email: 'run@example.com' } } })
  const { result: run, maxDelayMs } = await withLoopDelay(async () => await built.app.inject({ method: 'POST', url: `/api/v1/users/${made.json().id as string}`, headers: { authorization: 'SSWS t', 'if-match': `"a",${' '.repeat(200_000)}x` }, payload: { profile: { nickName: 'never' } } }))
  t.same([run.statusCode, run.json().errorCode], [400, 'E0000242'], 'a long run of spaces ending in a stray character: malformed')
  t.ok(maxDelayMs < 500, `the event loop stayed free (max delay ${maxDelayMs.toFixed(1)} ms)`)

  const rep = await emuFetch(emu, 'PUT', U, { profile: { login: 'isaac.brock@example.com', email: 'isaac@example.org' } })
  t.equal(rep.status, 200)
  t.same([rep.body.profile.firstName, rep.body.profile.nickName], [null, undefined], 'replace keeps only what is sent')
  t.equal((await emuFetch(emu, 'GET', '/api/v1/users/isaac.brock@example.com')).body.id, id, 'the new login finds the user')
  t.equal((await emuFetch(emu, 'GET', '/api/v1/users/isaac@example.com')).status, 404, 'the old login is free')
  t.equal((await emuFetch(emu, 'GET', '/api/v1/users/isaac.brock')).body.id, id, 'login shortname')
  await mk(emu, 'isaac.brock@example.net')
  t.equal((await emuFetch(emu, 'GET', '/api/v1/users/isaac.brock')).status, 404, 'an ambiguous shortname finds no one')

  t.equal((await emuFetch(emu, 'PUT', U, {})).body.errorCode, 'E0000001', 'replace without a profile or credentials')
  const other = await mk(emu, 'taken@example.com')
  t.equal((await emuFetch(emu, 'POST', U, { profile: { login: 'TAKEN@example.com' } })).body.errorCauses[0].errorSummary,
    'login: An object with this field already exists in the current organization')
  t.equal((await emuFetch(emu, 'POST', U, { profile: { bogus: 'x' } })).body.errorCauses[0].errorSummary, "Property name 'bogus' is not defined in profile")
  t.same((await emuFetch(emu, 'POST', `/api/v1/users/${other}/lifecycle/deactivate`)).status, 200)
  t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${other}`, { profile: { firstName: 'Z' } })).body.errorCode, 'E0000038', 'a DEPROVISIONED user cannot be changed')
  const again = await emuFetch(emu, 'POST', `/api/v1/users/${other}/lifecycle/deactivate`)
  t.same([again.status, again.body.errorCode, again.body.errorSummary], [404, 'E0000007', `Not found: Resource not found: ${other} (User)`], 'deactivating a DEPROVISIONED user again is not found, as in real orgs')
  t.equal((await emuFetch(emu, 'GET', `/api/v1/users/${other}`)).body.status, 'DEPROVISIONED', 'and leaves it as it was')

  const me = await emuFetch(emu, 'GET', '/api/v1/users/me')
  t.same([me.status, me.body.profile.login, me.body.status], [200, 'okta-emulator-admin@example.com', 'ACTIVE'])
  t.equal((await emuFetch(emu, 'POST', '/api/v1/users/me', { profile: { firstName: 'Root' } })).body.profile.firstName, 'Root', 'me can be updated')
  t.equal((await emuFetch(emu, 'GET', '/api/v1/users/me')).body.id, me.body.id, 'one token owner')
})

await t.test('a user as a GET answers it (recovery question without its writeOnly answer) can be sent back', async (t) => {
  const emu = await withEmulator(t)
  const id = await mk(emu, 'round@example.com', '', pw)
  const U = `/api/v1/users/${id}`
  const got = (await emuFetch(emu, 'GET', U)).body
  t.same(got.credentials.recovery_question, { question: 'Best band?' }, 'a GET has the question, no answer')
  got.profile.nickName = 'roundtrip'
  const updated = await emuFetch(emu, 'POST', U, got)
  t.same([updated.status, updated.body.profile.nickName], [200, 'roundtrip'], 'POST of the whole fetched user')
  const again = (await emuFetch(emu, 'GET', U)).body
  again.profile.title = 'T'
  const replaced = await emuFetch(emu, 'PUT', U, again)
  t.same([replaced.status, replaced.body.profile.title], [200, 'T'], 'PUT of the whole fetched user')
  t.equal((await emuFetch(emu, 'POST', U, { credentials: { recovery_question: { question: 'Best band?', answer: null } } })).status, 200, 'an answer sent as null')
  const forgot = await emuFetch(emu, 'POST', `${U}/credentials/forgot_password`, { password: { value: 'New-Passw0rd' }, recovery_question: { answer: 'Modest Mouse' } })
  t.equal(forgot.status, 200, 'the question and its answer are as they were')
  const changed = await emuFetch(emu, 'POST', U, { credentials: { recovery_question: { question: 'Another question?' } } })
  t.same([changed.status, changed.body.errorCode], [400, 'E0000001'], 'a new question without an answer is refused')
  const none = await mk(emu, 'noquestion@example.com', '', { credentials: { password: { value: 'Sup3r-Secret1' } } })
  const first = await emuFetch(emu, 'PUT', `/api/v1/users/${none}`, { profile: { login: 'noquestion@example.com', email: 'noquestion@example.com' }, credentials: { recovery_question: { question: 'Best band?' } } })
  t.same([first.status, first.body.errorCode], [400, 'E0000001'], 'a first question without an answer is refused')
})

await t.test('the ETag follows what clients edit, not lifecycle changes or verifications', async (t) => {
  const emu = await withEmulator(t)
  const id = await mk(emu, 'etag@example.com', '', pw)
  const U = `/api/v1/users/${id}`
  const etag = async (): Promise<string> => (await emuFetch(emu, 'GET', U)).headers.get('etag')!
  const first = await etag()
  emu.clock.advance(2_000)
  for (const op of ['suspend', 'unsuspend', 'reset_password']) t.equal((await emuFetch(emu, 'POST', `${U}/lifecycle/${op}`)).status, 200, op)
  const q = await emuFetch(emu, 'POST', `${U}/factors`, { factorType: 'question', provider: 'OKTA', profile: { question: 'disliked_food', answer: 'mayonnaise' } })
  t.equal((await emuFetch(emu, 'POST', `${U}/factors/${q.body.id}/verify`, { answer: 'mayonnaise' })).body.factorResult, 'SUCCESS')
  const now = (await emuFetch(emu, 'GET', U)).body
  t.same([now.status, typeof now.lastLogin, Object.keys(now._links).includes('resetFactors')], ['RECOVERY', 'string', true], 'status, lastLogin and links changed')
  t.equal(await etag(), first, 'the same ETag, as the recorded real answers keep it across a deactivation')
  const upd = await emuFetch(emu, 'POST', U, { profile: { firstName: 'Ed' } }, { 'if-match': first })
  t.equal(upd.status, 200, 'so an If-Match read before them still applies')
  const second = await etag()
  t.not(second, first, 'a profile change changes it')
  await emuFetch(emu, 'POST', U, { credentials: { password: { value: 'An0ther-Secret' } } })
  t.not(await etag(), second, 'so does a new password')
  t.same((await emuFetch(emu, 'POST', U, { profile: { firstName: 'X' } }, { 'if-match': second })).status, 412)
})

await t.test('imported passwords: SHA-* and PBKDF2 hashes verify; BCRYPT and hooks are kept, not checked', async (t) => {
  const emu = await withEmulator(t)
  const salt = Buffer.from('pepper-and-salt')
  const sha = (alg: string, data: Buffer[]): string => createHash(alg).update(Buffer.concat(data)).digest('base64')
  const hashes: Record<string, Record<string, unknown>> = {
    'SHA-256 PREFIX': { algorithm: 'SHA-256', salt: salt.toString('base64'), saltOrder: 'PREFIX', value: sha('sha256', [salt, Buffer.from('Imp0rted!')]) },
    'SHA-512 POSTFIX': { algorithm: 'SHA-512', salt: salt.toString('base64'), saltOrder: 'POSTFIX', value: sha('sha512', [Buffer.from('Imp0rted!'), salt]) },
    'SHA-1 unsalted': { algorithm: 'SHA-1', value: sha('sha1', [Buffer.from('Imp0rted!')]) },
    MD5: { algorithm: 'MD5', salt: salt.toString('base64'), saltOrder: 'PREFIX', value: sha('md5', [salt, Buffer.from('Imp0rted!')]) },
    PBKDF2: { algorithm: 'PBKDF2', salt: salt.toString('base64'), digestAlgorithm: 'SHA512_HMAC', iterationCount: 4096, keySize: 32, value: pbkdf2Sync('Imp0rted!', salt, 4096, 32, 'sha512').toString('base64') },
    'PBKDF2 SHA256_HMAC': { algorithm: 'PBKDF2', salt: salt.toString('base64'), digestAlgorithm: 'SHA256_HMAC', iterationCount: 5000, keySize: 20, value: pbkdf2Sync('Imp0rted!', salt, 5000, 20, 'sha256').toString('base64') },
  }
  const change = (id: string, oldPw: string) => emuFetch(emu, 'POST', `/api/v1/users/${id}/credentials/change_password`, { oldPassword: { value: oldPw }, newPassword: { value: 'Brand-New-1' } })
  let n = 0
  for (const [name, hash] of Object.entries(hashes)) {
    const id = await mk(emu, `imp${++n}@example.com`, '', { credentials: { password: { hash } } })
    const user = (await emuFetch(emu, 'GET', `/api/v1/users/${id}`)).body
    t.same([user.status, user.credentials], ['ACTIVE', { password: {}, provider: { type: 'IMPORT', name: 'IMPORT' } }], `${name}: ACTIVE, provider IMPORT`)
    t.equal((await change(id, 'Imp0rted')).body.errorCode, 'E0000014', `${name}: a wrong password is refused`)
    const ok = await change(id, 'Imp0rted!')
    t.same([ok.status, ok.body.provider], [200, { type: 'OKTA', name: 'OKTA' }], `${name}: the imported password is checked; once changed it is Okta's`)
  }
  const bcrypt = await mk(emu, 'bcrypt@example.com', '', { credentials: { password: { hash: { algorithm: 'BCRYPT', workFactor: 10, salt: 'rwh3vH166HCH/NT9XV5FYu', value: 'qaMqvAPULkbiQzkTCWo5XDcvzpk8Tna' } } } })
  const hook = await mk(emu, 'hook@example.com', '', { credentials: { password: { hook: { type: 'default' } } } })
  for (const id of [bcrypt, hook]) t.equal((await change(id, 'anything')).body.errorCode, 'E0000014', 'a BCRYPT hash and a hook match no password (README)')
  const bad = [
    { algorithm: 'SHA-256', salt: 'c2FsdA==', value: 'abc=' }, { algorithm: 'BCRYPT', salt: 'short', value: 'x', workFactor: 10 },
    { algorithm: 'PBKDF2', salt: 'c2FsdA==', value: 'abc=', digestAlgorithm: 'SHA256_HMAC', iterationCount: 10, keySize: 32 }, { algorithm: 'ROT13', value: 'abc=' },
    // The README's bounds: at most 200000 PBKDF2 iterations (a check runs synchronously) and keys of 1 to 1024 bytes.
    { algorithm: 'PBKDF2', salt: 'c2FsdA==', value: 'abc=', digestAlgorithm: 'SHA256_HMAC', iterationCount: 200_001, keySize: 32 },
    { algorithm: 'PBKDF2', salt: 'c2FsdA==', value: 'abc=', digestAlgorithm: 'SHA256_HMAC', iterationCount: 4096, keySize: 1025 },
    // ...and at most 400000 iterations times the key's digest-sized blocks: 200000 iterations of a 1024-byte key took
    // the emulator seconds on every password check (found by fuzzing).
    { algorithm: 'PBKDF2', salt: 'c2FsdA==', value: 'abc=', digestAlgorithm: 'SHA256_HMAC', iterationCount: 200_000, keySize: 1024 },
    { algorithm: 'PBKDF2', salt: 'c2FsdA==', value: 'abc=', digestAlgorithm: 'SHA512_HMAC', iterationCount: 200_000, keySize: 129 },
    { algorithm: 'PBKDF2', salt: 'c2FsdA==', value: 'abc=', digestAlgorithm: 'SHA256_HMAC', iterationCount: 100_000, keySize: 160 },
  ]
  for (const [i, hash] of bad.entries()) {
    // A login of its own each: one wrongly accepted must not make the next refused as a duplicate login.
    const r = await emuFetch(emu, 'POST', '/api/v1/users', { profile: { login: `bad${i}@example.com`, email: `bad${i}@example.com` }, credentials: { password: { hash } } })
    t.same([r.status, r.body.errorCode], [400, 'E0000001'], `refused: ${JSON.stringify(hash)}`)
    t.match(r.body.errorCauses?.[0]?.errorSummary, /^password\.hash\./, 'refused for the hash, not the login')
  }
  const notObject = await emuFetch(emu, 'POST', '/api/v1/users', { profile: { login: 'hash-x@example.com', email: 'hash-x@example.com' }, credentials: { password: { hash: 'x' } } })
  t.same(notObject.body.errorCauses, [{ errorSummary: 'password.hash: Does not match required type object' }], 'a hash that is no object is named once')
  // The schema a user's `schema` link serves states what create and update enforce: login and email required,
  // firstName and lastName optional (the emulator's documented choice), and the same lengths.
  const schema = await emuFetch(emu, 'GET', new URL((await emuFetch(emu, 'GET', `/api/v1/users/${bcrypt}`)).body._links.schema.href as string).pathname)
  const base = schema.body.definitions.base
  t.same(base.required, ['login', 'email'], 'login and email required')
  t.same([base.properties.firstName.required, base.properties.firstName.minLength, base.properties.firstName.maxLength], [undefined, 1, 50])
  t.same([base.properties.login.minLength, base.properties.login.maxLength, base.properties.email.maxLength, base.properties.countryCode.maxLength], [5, 100, 100, 2])
  t.same([base.properties.title.maxLength, base.properties.middleName.maxLength], [1024, 1024], 'the others: the 1024 the checks enforce')
  const tooLong = await emuFetch(emu, 'POST', '/api/v1/users', { profile: { login: 'long-name@example.com', email: 'long-name@example.com', firstName: 'F'.repeat(base.properties.firstName.maxLength + 1) } })
  t.equal(tooLong.status, 400, 'one over the stated maxLength is refused')
  const big = await emuFetch(emu, 'POST', '/api/v1/users', { profile: { login: 'pbkdf2-big@example.com', email: 'pbkdf2-big@example.com' }, credentials: { password: { hash: { algorithm: 'PBKDF2', salt: 'c2FsdA==', value: 'abc=', digestAlgorithm: 'SHA512_HMAC', iterationCount: 200_000, keySize: 128 } } } })
  t.equal(big.status, 200, 'two blocks of the digest at the most iterations are still taken')
  const staged = await mk(emu, 'staged-imp@example.com', '?activate=false')
  t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${staged}`, { credentials: { password: { hash: hashes['MD5'] } } })).status, 200, 'a hash on update: STAGED users only')
  t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${bcrypt}`, { credentials: { password: { hash: hashes['MD5'] } } })).body.errorCode, 'E0000001')
})

await t.test('lifecycle: Okta status rules and error codes', async (t) => {
  const emu = await withEmulator(t)
  const post = async (id: string, op: string): Promise<{ status: number, code?: string, body: any }> => {
    const r = await emuFetch(emu, 'POST', `/api/v1/users/${id}/lifecycle/${op}`)
    return { status: r.status, code: r.body?.errorCode, body: r.body }
  }
  const status = async (id: string): Promise<string> => (await emuFetch(emu, 'GET', `/api/v1/users/${id}`)).body.status
  const staged = await mk(emu, 'staged@example.com', '?activate=false')
  const prov = await mk(emu, 'prov@example.com')
  const active = await mk(emu, 'active@example.com', '', pw)

  t.same([(await post(staged, 'suspend')).status, (await post(staged, 'suspend')).code], [400, 'E0000001'], 'suspend: only ACTIVE')
  t.same((await post(active, 'unsuspend')).code, 'E0000001', 'unsuspend: only SUSPENDED')
  t.same((await post(active, 'suspend')).body, {})
  t.equal(await status(active), 'SUSPENDED')
  t.same((await post(active, 'unsuspend')).body, {})
  t.equal(await status(active), 'ACTIVE')
  t.same([(await post(active, 'reactivate')).status, (await post(active, 'reactivate')).code], [403, 'E0000016'], 'reactivate an ACTIVE user')
  t.equal((await post(staged, 'reactivate')).code, 'E0000038', 'reactivate: only PROVISIONED or RECOVERY')
  const re = await post(prov, 'reactivate')
  t.same(Object.keys(re.body).sort(), ['activationToken', 'activationUrl'], 'sendEmail defaults to false for reactivate')
  t.same((await emuFetch(emu, 'POST', `/api/v1/users/${prov}/lifecycle/reactivate?sendEmail=true`)).body, {})
  t.equal((await post(prov, 'activate')).code, 'E0000016')
  t.equal((await post(prov, 'expire_password')).code, 'E0000038', 'no password to expire')

  const expired = await post(active, 'expire_password')
  t.same([expired.status, expired.body.status], [200, 'PASSWORD_EXPIRED'], 'expire_password answers the user')
  const temp = await emuFetch(emu, 'POST', `/api/v1/users/${active}/lifecycle/expire_password?tempPassword=true`)
  t.match(temp.body, { tempPassword: /^\w{10}$/ })
  const change = (oldPw: string, newPw: string): Promise<{ status: number, body: any }> =>
    emuFetch(emu, 'POST', `/api/v1/users/${active}/credentials/change_password`, { oldPassword: { value: oldPw }, newPassword: { value: newPw } })
  const wrong = await change('Sup3r-Secret1', 'Another-1')
  t.same([wrong.status, wrong.body.errorCode, wrong.body.errorCauses[0].errorSummary], [403, 'E0000014', 'oldPassword: The credentials provided were incorrect.'], 'the temporary password replaced the old one')
  t.notOk(JSON.stringify(wrong.body).includes('Sup3r-Secret1'), 'no password in an error')
  const ok = await change(temp.body.tempPassword, 'Another-1')
  t.same(ok.body, { password: {}, recovery_question: { question: 'Best band?' }, provider: { type: 'OKTA', name: 'OKTA' } })
  t.equal(await status(active), 'ACTIVE', 'changing an expired password ends the expiry')
  // Okta answers `{ tempPassword }` alone here (okta-sdk-nodejs#504, okta-sdk-dotnet#853), not a user.
  const withTemp = await post(active, 'expire_password_with_temp_password')
  t.equal(withTemp.status, 200)
  t.same(Object.keys(withTemp.body), ['tempPassword'], 'expire_password_with_temp_password answers the temporary password only')
  t.match(withTemp.body, { tempPassword: /^\w{10}$/ })
  t.equal(await status(active), 'PASSWORD_EXPIRED')
  t.equal((await change(withTemp.body.tempPassword, 'Another-2')).status, 200, 'the temporary password it answered is the password')

  const reset = await emuFetch(emu, 'POST', `/api/v1/users/${active}/lifecycle/reset_password?sendEmail=false`)
  t.match(reset.body.resetPasswordUrl, `${emu.url}/signin/reset-password/`)
  t.equal(await status(active), 'RECOVERY')
  const forgot = (answer: string) => emuFetch(emu, 'POST', `/api/v1/users/${active}/credentials/forgot_password`, { password: { value: 'Third-Passw0rd' }, recovery_question: { answer } })
  t.same([(await forgot('Nirvana')).status, (await forgot('Nirvana')).body.errorCode], [403, 'E0000087'])
  t.equal((await forgot('  modest MOUSE ')).status, 200, 'the recovery answer compares trimmed and case-insensitively')
  t.equal(await status(active), 'ACTIVE')
  const crq = await emuFetch(emu, 'POST', `/api/v1/users/${active}/credentials/change_recovery_question`, { password: { value: 'wrong' }, recovery_question: { question: 'q?', answer: 'a long answer' } })
  t.same([crq.status, crq.body.errorCode], [403, 'E0000014'])
  t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${staged}/credentials/forgot_password`)).body.errorCode, 'E0000034', 'no recovery for a STAGED user')
  // Okta's "Reset password with recovery question" (the SDK's forgotPasswordSetNewPassword): forgot_password with a body.
  const FPRQ = `/api/v1/users/${active}/credentials/forgot_password_recovery_question`
  await post(active, 'reset_password')
  t.equal(await status(active), 'RECOVERY')
  const rqWrong = await emuFetch(emu, 'POST', FPRQ, { password: { value: 'Fourth-Passw0rd' }, recovery_question: { answer: 'Nirvana' } })
  t.same([rqWrong.status, rqWrong.body.errorCode], [403, 'E0000087'], 'a wrong answer')
  t.notOk(JSON.stringify(rqWrong.body).includes('Fourth-Passw0rd'), 'no password in the error')
  const rqBlank = await emuFetch(emu, 'POST', FPRQ, {})
  t.same([rqBlank.status, rqBlank.body.errorCode], [400, 'E0000001'], 'no body: the password and the answer are required')
  const rqOk = await emuFetch(emu, 'POST', FPRQ, { password: { value: 'Fourth-Passw0rd' }, recovery_question: { answer: 'MODEST mouse' } })
  t.same([rqOk.status, rqOk.body], [200, { password: {}, recovery_question: { question: 'Best band?' }, provider: { type: 'OKTA', name: 'OKTA' } }], 'the right answer: the credentials')
  t.equal(await status(active), 'ACTIVE', 'the reset is over')
  t.equal((await change('Fourth-Passw0rd', 'Fifth-Passw0rd')).status, 200, 'the new password is the password')
  t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${staged}/credentials/forgot_password_recovery_question`, { password: { value: 'x' }, recovery_question: { answer: 'y' } })).body.errorCode, 'E0000034', 'not for a STAGED user')

  await post(active, 'deactivate')
  t.equal((await post(active, 'suspend')).code, 'E0000001')
  t.equal((await post(active, 'reset_password')).code, 'E0000038')
  t.equal((await emuFetch(emu, 'DELETE', `/api/v1/users/${staged}/sessions`)).status, 204)
  t.same((await emuFetch(emu, 'GET', `/api/v1/users/${staged}/appLinks`)).body, [])
  // "List all user blocks": none, as `expand=blocks` says; an unknown user is Okta's 404.
  t.same((await emuFetch(emu, 'GET', `/api/v1/users/${staged}/blocks`)).body, [])
  t.same((await emuFetch(emu, 'GET', `/api/v1/users/${staged}?expand=blocks`)).body._embedded, { blocks: [] })
  t.match(await emuFetch(emu, 'GET', '/api/v1/users/00unknown0000000000/blocks'), { status: 404, body: { errorCode: 'E0000007' } })

  // statusChanged is "the timestamp when the status of the user last changed" (Okta's User schema): an operation that
  // leaves the status as it was (a second reset_password or expire_password) updates the user, not that timestamp
  // (seen moving with each repeat).
  for (const op of ['reset_password', 'expire_password']) {
    const id = await mk(emu, `again-${op}@example.com`, '', pw)
    t.equal((await post(id, op)).status, 200)
    const first = (await emuFetch(emu, 'GET', `/api/v1/users/${id}`)).body
    emu.clock.advance(5_000)
    t.equal((await post(id, op)).status, 200, `${op} again`)
    const second = (await emuFetch(emu, 'GET', `/api/v1/users/${id}`)).body
    t.same([second.status, second.statusChanged], [first.status, first.statusChanged], `${op} again: the same status since the same time`)
    t.not(second.lastUpdated, first.lastUpdated, `${op} again: the user was updated`)
  }
})

await t.test('unlock returns a user to the status the lockout interrupted', async (t) => {
  const emu = await withEmulator(t, { lockoutThreshold: 2 })
  /** Locks the user out with wrong answers to a security question; returns the user as GET answers it before and after. */
  const lockOut = async (id: string): Promise<{ before: any, locked: any }> => {
    const before = (await emuFetch(emu, 'GET', `/api/v1/users/${id}`)).body
    const q = await emuFetch(emu, 'POST', `/api/v1/users/${id}/factors`, { factorType: 'question', provider: 'OKTA', profile: { question: 'disliked_food', answer: 'mayonnaise' } })
    for (let i = 0; i < 2; i++) await emuFetch(emu, 'POST', `/api/v1/users/${id}/factors/${q.body.id}/verify`, { answer: 'ketchup' })
    const locked = (await emuFetch(emu, 'GET', `/api/v1/users/${id}`)).body
    return { before, locked }
  }
  const unlock = async (id: string): Promise<any> => {
    emu.clock.advance(5_000)
    t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${id}/lifecycle/unlock`)).status, 200)
    return (await emuFetch(emu, 'GET', `/api/v1/users/${id}`)).body
  }

  // STAGED: locked out, unlocked, still STAGED and never activated; activation still works afterwards.
  const staged = await mk(emu, 'staged-lock@example.com', '?activate=false')
  const s = await lockOut(staged)
  t.same([s.before.status, s.locked.status, s.locked.activated], ['STAGED', 'LOCKED_OUT', null])
  t.ok(s.locked._links.unlock, 'a LOCKED_OUT user links unlock')
  // Nor does a password reset: the lockout of a STAGED user is answered as the STAGED user is (403 E0000038).
  const reset = await emuFetch(emu, 'POST', `/api/v1/users/${staged}/lifecycle/reset_password?sendEmail=false`)
  t.same([reset.status, reset.body.errorCode], [403, 'E0000038'], 'reset_password does not skip activation')
  t.equal((await emuFetch(emu, 'GET', `/api/v1/users/${staged}`)).body.status, 'LOCKED_OUT', 'still locked out')
  // Nor expire_password, for a STAGED user created with a password.
  const stagedPw = await mk(emu, 'staged-pw-lock@example.com', '?activate=false', pw)
  await lockOut(stagedPw)
  for (const path of ['expire_password', 'expire_password?tempPassword=true', 'expire_password_with_temp_password']) {
    const r = await emuFetch(emu, 'POST', `/api/v1/users/${stagedPw}/lifecycle/${path}`)
    t.same([r.status, r.body.errorCode], [403, 'E0000038'], `${path} does not skip activation`)
  }
  // Nor the credential operations, which a STAGED user is refused (E0000035, E0000036, E0000034): the lockout lends
  // it no right its status has not (seen answering 200, and changing the password and question, before the fix).
  const newPw = { value: 'Other-Secret2' }
  const creds: Array<[string, unknown, string]> = [
    ['change_password', { oldPassword: { value: 'Sup3r-Secret1' }, newPassword: newPw }, 'E0000035'],
    ['change_recovery_question', { password: { value: 'Sup3r-Secret1' }, recovery_question: { question: 'Another?', answer: 'another answer' } }, 'E0000036'],
    ['forgot_password?sendEmail=false', undefined, 'E0000034'],
    ['forgot_password', { password: newPw, recovery_question: { answer: 'Modest Mouse' } }, 'E0000034'],
    ['forgot_password_recovery_question', { password: newPw, recovery_question: { answer: 'Modest Mouse' } }, 'E0000034'],
  ]
  for (const [path, body, code] of creds) {
    const r = await emuFetch(emu, 'POST', `/api/v1/users/${stagedPw}/credentials/${path}`, body)
    t.same([r.status, r.body.errorCode], [403, code], `credentials/${path} does not skip activation`)
  }
  t.same((await emuFetch(emu, 'GET', `/api/v1/users/${stagedPw}`)).body.credentials.recovery_question, { question: 'Best band?' }, 'the question is as it was')
  const sAfter = await unlock(staged)
  t.equal(sAfter.status, 'STAGED', 'unlock does not skip activation')
  t.equal(sAfter.activated, null, '...so the user is still not activated')
  t.ok(sAfter._links.activate, 'and links activate again')
  t.not(sAfter.statusChanged, s.locked.statusChanged, 'the unlock is a status change')
  t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${staged}/lifecycle/activate`)).status, 200, 'activation still works')
  const activated = (await emuFetch(emu, 'GET', `/api/v1/users/${staged}`)).body
  t.same([activated.status, typeof activated.activated], ['PROVISIONED', 'string'])

  // PROVISIONED without a password: back to PROVISIONED (the user still has to set one).
  const provisioned = await mk(emu, 'provisioned-lock@example.com')
  const p = await lockOut(provisioned)
  t.same([p.before.status, p.locked.status], ['PROVISIONED', 'LOCKED_OUT'])
  const pForgot = await emuFetch(emu, 'POST', `/api/v1/users/${provisioned}/credentials/forgot_password?sendEmail=false`)
  t.same([pForgot.status, pForgot.body.errorCode], [403, 'E0000034'], 'no forgot-password link for it, as for a PROVISIONED user')
  const pAfter = await unlock(provisioned)
  t.same([pAfter.status, pAfter.activated], ['PROVISIONED', p.before.activated])
  // Nor does expire_password, for a PROVISIONED user an administrator gave a password (still PROVISIONED, whose
  // password cannot be expired: 403 E0000038). Seen answering 200 PASSWORD_EXPIRED, after which change_password made
  // the user ACTIVE: the lockout had let it skip activation.
  const provisionedPw = await mk(emu, 'provisioned-pw-lock@example.com')
  t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${provisionedPw}`, { credentials: { password: { value: 'Sup3r-Secret1' } } })).body.status, 'PROVISIONED')
  t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${provisionedPw}/lifecycle/expire_password`)).body.errorCode, 'E0000038', 'not for a PROVISIONED user')
  t.same((await lockOut(provisionedPw)).locked.status, 'LOCKED_OUT')
  for (const path of ['expire_password', 'expire_password?tempPassword=true', 'expire_password_with_temp_password']) {
    const r = await emuFetch(emu, 'POST', `/api/v1/users/${provisionedPw}/lifecycle/${path}`)
    t.same([r.status, r.body.errorCode], [403, 'E0000038'], `${path} does not skip activation`)
  }
  t.equal((await unlock(provisionedPw)).status, 'PROVISIONED', 'and the unlock gives back PROVISIONED')

  // ACTIVE: back to ACTIVE, as Okta documents; `activated` untouched.
  const active = await mk(emu, 'active-lock@example.com', '', pw)
  const a = await lockOut(active)
  t.same([a.before.status, a.locked.status], ['ACTIVE', 'LOCKED_OUT'])
  const aAfter = await unlock(active)
  t.same([aAfter.status, aAfter.activated], ['ACTIVE', a.before.activated])

  // A password set while locked out ends the RECOVERY or PASSWORD_EXPIRED the lockout interrupted, as it ends them
  // outside a lockout (README): the user stays LOCKED_OUT until unlocked, then is ACTIVE, not asked again for the
  // password it has just set (seen back in RECOVERY / PASSWORD_EXPIRED after the unlock).
  const setDuringLockout: Array<[string, string, (id: string) => Promise<{ status: number }>]> = [
    ['reset_password', 'an administrator sets one', (id) => emuFetch(emu, 'POST', `/api/v1/users/${id}`, { credentials: { password: { value: 'Other-Secret2' } } })],
    ['reset_password', 'forgot_password with the answer', (id) => emuFetch(emu, 'POST', `/api/v1/users/${id}/credentials/forgot_password`, { password: { value: 'Other-Secret2' }, recovery_question: { answer: 'Modest Mouse' } })],
    ['expire_password', 'change_password', (id) => emuFetch(emu, 'POST', `/api/v1/users/${id}/credentials/change_password`, { oldPassword: { value: 'Sup3r-Secret1' }, newPassword: { value: 'Other-Secret2' } })],
  ]
  for (const [i, [op, how, setPassword]] of setDuringLockout.entries()) {
    const id = await mk(emu, `set-during-lock${i}@example.com`, '', pw)
    t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${id}/lifecycle/${op}`)).status, 200)
    const l = await lockOut(id)
    t.same([l.before.status, l.locked.status], [op === 'reset_password' ? 'RECOVERY' : 'PASSWORD_EXPIRED', 'LOCKED_OUT'])
    t.equal((await setPassword(id)).status, 200, `${op}, locked out, then ${how}`)
    t.equal((await emuFetch(emu, 'GET', `/api/v1/users/${id}`)).body.status, 'LOCKED_OUT', 'still locked out')
    t.equal((await unlock(id)).status, 'ACTIVE', `${op}, ${how}: the unlock gives back ACTIVE`)
  }

  // A lockout ended otherwise (reset_password makes a LOCKED_OUT user RECOVERY) forgets the old status.
  const recovered = await mk(emu, 'recovered-lock@example.com')
  await lockOut(recovered)
  t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${recovered}/lifecycle/reset_password?sendEmail=false`)).status, 200)
  t.equal((await emuFetch(emu, 'GET', `/api/v1/users/${recovered}`)).body.status, 'RECOVERY')
  t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${recovered}/lifecycle/unlock`)).body.errorCode, 'E0000032', 'nothing left to unlock')

  // However a lockout ends, the failure count ends with it: the next lockout takes lockoutThreshold (2) new failures.
  const again = await mk(emu, 'again-lock@example.com', '', pw)
  const q = await emuFetch(emu, 'POST', `/api/v1/users/${again}/factors`, { factorType: 'question', provider: 'OKTA', profile: { question: 'disliked_food', answer: 'mayonnaise' } })
  const wrong = async (): Promise<[string, string]> => {
    const r = await emuFetch(emu, 'POST', `/api/v1/users/${again}/factors/${q.body.id}/verify`, { answer: 'ketchup' })
    return [r.body.errorCode, (await emuFetch(emu, 'GET', `/api/v1/users/${again}`)).body.status]
  }
  const ends: Array<[string, () => Promise<unknown>, string]> = [
    ['deactivate and activate', async () => {
      await emuFetch(emu, 'POST', `/api/v1/users/${again}/lifecycle/deactivate`)
      await emuFetch(emu, 'POST', `/api/v1/users/${again}/lifecycle/activate?sendEmail=true`)
    }, 'ACTIVE'],
    ['expire_password', () => emuFetch(emu, 'POST', `/api/v1/users/${again}/lifecycle/expire_password`), 'PASSWORD_EXPIRED'],
    ['reset_password', () => emuFetch(emu, 'POST', `/api/v1/users/${again}/lifecycle/reset_password?sendEmail=false`), 'RECOVERY'],
  ]
  for (const [how, end, status] of ends) {
    t.same([await wrong(), await wrong()], [['E0000068', 'ACTIVE'], ['E0000068', 'LOCKED_OUT']], `${how}: locked by the second failure`)
    await end()
    t.same(await wrong(), ['E0000068', status], `${how}: one failure after the lockout ended does not lock again`)
    if (status === 'RECOVERY') {
      t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${again}/lifecycle/unlock`)).body.errorCode, 'E0000032', 'a RECOVERY user is not locked')
      t.same(await wrong(), ['E0000068', 'LOCKED_OUT'], 'the second one does')
      t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${again}/lifecycle/unlock`)).status, 200)
      t.equal((await emuFetch(emu, 'GET', `/api/v1/users/${again}`)).body.status, 'RECOVERY', 'and unlock gives the RECOVERY back')
    } else {
      t.same((await emuFetch(emu, 'POST', `/api/v1/users/${again}/factors/${q.body.id}/verify`, { answer: 'mayonnaise' })).body, { factorResult: 'SUCCESS' })
      if (status === 'PASSWORD_EXPIRED') await emuFetch(emu, 'POST', `/api/v1/users/${again}`, { credentials: { password: { value: 'An0ther-Secret' } } })
    }
  }
})

await t.test('shapes as real orgs send them, and every advertised link answers', async (t) => {
  const emu = await withEmulator(t)
  emu.clock.advance(123) // milliseconds that must not show
  const id = await mk(emu, 'shape@example.com', '', pw)
  const U = `/api/v1/users/${id}`
  const one = (await emuFetch(emu, 'GET', U)).body
  for (const k of ['created', 'activated', 'statusChanged', 'lastUpdated', 'passwordChanged']) t.match(one[k], /T\d\d:\d\d:\d\d\.000Z$/, `${k} in whole seconds`)
  t.notOk('resetFactors' in one._links, 'no resetFactors link without factors')
  const credentialLinks = ['changePassword', 'changeRecoveryQuestion', 'expirePassword', 'forgotPassword']
  t.same(credentialLinks.filter((l) => l in one._links), credentialLinks, "an ACTIVE user with a password has the credential links of Okta's schema")
  t.equal(one._links.changePassword.href, `${emu.url}${U}/credentials/change_password`)
  const listed = (await emuFetch(emu, 'GET', '/api/v1/users')).body.find((u: { id: string }) => u.id === id)
  t.same(Object.keys(listed._links), ['self'], 'a list item carries only its self link')
  const totp = (await emuFetch(emu, 'POST', `${U}/factors`, { factorType: 'token:software:totp', provider: 'GOOGLE' })).body
  t.ok('resetFactors' in (await emuFetch(emu, 'GET', U)).body._links, 'resetFactors once the user has a factor')
  const inList = (await emuFetch(emu, 'GET', `${U}/factors`)).body[0]
  t.same(Object.keys(inList._links), ['next', 'self', 'user'], "a pending TOTP factor in a list: the links of Okta's list example")
  t.equal(inList._links.next.name, 'activate')
  const q = (await emuFetch(emu, 'POST', `${U}/factors`, { factorType: 'question', provider: 'OKTA', profile: { question: 'disliked_food', answer: 'mayonnaise' } })).body
  const put = await emuFetch(emu, 'PUT', `${U}/factors/${q.id}`, { profile: { question: 'name_of_first_plush_toy', answer: 'meatball' } })
  t.same([put.status, put.body.profile.questionText], [200, 'What is the name of your first stuffed animal?'], 'PUT on a question factor')
  t.equal((await emuFetch(emu, 'POST', `${U}/factors/${q.id}/verify`, { answer: 'Meatball' })).body.factorResult, 'SUCCESS', 'the new answer works')
  t.equal((await emuFetch(emu, 'PUT', `${U}/factors/${totp.id}`, { profile: {} })).body.errorCode, 'E0000001', 'only a question factor can be updated')
  const push = (await emuFetch(emu, 'POST', `${U}/factors`, { factorType: 'push', provider: 'OKTA' })).body

  // Every link of users in every status and of factors in every state leads to a route (never the "(Path)" 404).
  const users: string[] = [id]
  users.push(await mk(emu, 'st@example.com', '?activate=false'), await mk(emu, 'pr@example.com'))
  const sus = await mk(emu, 'su@example.com', '', pw)
  await emuFetch(emu, 'POST', `/api/v1/users/${sus}/lifecycle/suspend`)
  const dep = await mk(emu, 'de@example.com')
  await emuFetch(emu, 'POST', `/api/v1/users/${dep}/lifecycle/deactivate`)
  const rec = await mk(emu, 're@example.com', '', pw)
  await emuFetch(emu, 'POST', `/api/v1/users/${rec}/lifecycle/reset_password`)
  const exp = await mk(emu, 'ex@example.com', '', pw)
  await emuFetch(emu, 'POST', `/api/v1/users/${exp}/lifecycle/expire_password`)
  users.push(sus, dep, rec, exp)
  const bodies: Array<{ _links: Record<string, unknown>, _embedded?: unknown }> = []
  for (const u of users) bodies.push((await emuFetch(emu, 'GET', `/api/v1/users/${u}`)).body)
  t.same(bodies.map((b) => (b as unknown as { status: string }).status), ['ACTIVE', 'STAGED', 'PROVISIONED', 'SUSPENDED', 'DEPROVISIONED', 'RECOVERY', 'PASSWORD_EXPIRED'])
  t.same(bodies.slice(1).filter((b) => credentialLinks.some((l) => l in b._links)), [], 'no other status (and no user without a password) has them')
  t.same(Object.keys(bodies[6]!._links).filter((l) => ['suspend', 'resetPassword', 'deactivate'].includes(l)).sort(), ['deactivate', 'resetPassword'], 'PASSWORD_EXPIRED: no suspend link (Okta suspends ACTIVE users only)')
  t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${exp}/lifecycle/suspend`)).status, 400, 'and suspending one is refused')
  bodies.push(...(await emuFetch(emu, 'GET', `${U}/factors`)).body, totp, push, (await emuFetch(emu, 'GET', `${U}/factors/catalog`)).body[0])
  const links: Array<{ href: string, method: string }> = []
  const collect = (v: unknown): void => {
    if (Array.isArray(v)) { v.forEach(collect); return }
    if (typeof v !== 'object' || v === null) return
    const o = v as Record<string, unknown>
    if (typeof o['href'] === 'string') {
      const allow = (o['hints'] as { allow?: string[] } | undefined)?.allow
      for (const method of allow ?? [typeof o['method'] === 'string' ? o['method'] : 'GET']) links.push({ href: o['href'], method })
    }
    Object.values(o).forEach(collect)
  }
  bodies.forEach((b) => { collect(b._links); collect(b._embedded) })
  t.ok(links.length > 60, `${links.length} links checked`)
  const dead: string[] = []
  for (const l of links) {
    if (l.method === 'DELETE') continue // deleting would end the walk; DELETE routes are covered elsewhere
    const r = await emuFetch(emu, l.method, new URL(l.href).pathname + new URL(l.href).search, l.method === 'GET' ? undefined : {})
    if ((r.status === 404 && String(r.body?.errorSummary).endsWith('(Path)')) || r.status >= 500) dead.push(`${l.method} ${l.href}`)
  }
  t.same(dead, [], 'every advertised link leads to a route that answers')
  const typeHref = (bodies[0]!._links['type'] as { href: string }).href
  t.equal((await emuFetch(emu, 'GET', new URL(typeHref).pathname)).body.name, 'user', 'the type link answers the user type')
})
