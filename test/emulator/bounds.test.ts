// Guards that a flood cannot grow the emulator's memory without bound (issue 9, item 3): inputs are
// bounded before they reach a store, the stores are capped (users: refused when full; outbox and push
// transactions: the oldest go), and no cap works by evicting a record that holds someone's counter, so a
// flood cannot reset a victim's lockout count. Entries are counted through the API, not RSS.
import t from 'tap'
import { emuFetch, userWithTotp, withEmulator } from '../helpers/emulator.js'

await t.test('users: a full emulator refuses new users and keeps every counter', async (t) => {
  const emu = await withEmulator(t, { maxUsers: 6, lockoutThreshold: 5 })
  const victim = await userWithTotp(emu, 'victim@example.com')
  const V = `/api/v1/users/${victim.userId}/factors/${victim.factorId}/verify`
  const wrong = emu.totpCode(victim.factorId) === '000000' ? '111111' : '000000'
  for (let i = 0; i < 4; i++) t.equal((await emuFetch(emu, 'POST', V, { passCode: wrong })).body.errorCode, 'E0000068')

  const refused: number[] = []
  for (let i = 0; i < 20; i++) {
    const r = await emuFetch(emu, 'POST', '/api/v1/users', { profile: { login: `flood${i}@example.com`, email: `flood${i}@example.com` } })
    if (r.status !== 200) {
      refused.push(i)
      t.same([r.status, r.body.errorCode], [400, 'E0000001'])
      t.match(r.body.errorCauses[0].errorSummary, /at most 6 users/)
    }
  }
  t.equal(refused.length, 15, 'five more users fit, the other fifteen are refused')
  t.equal((await emuFetch(emu, 'GET', '/api/v1/users')).body.length, 6, 'six users held, no more')

  t.equal((await emuFetch(emu, 'POST', V, { passCode: wrong })).body.errorCode, 'E0000068')
  t.equal((await emuFetch(emu, 'GET', `/api/v1/users/${victim.userId}`)).body.status, 'LOCKED_OUT', "the flood did not reset the victim's count: the 5th failure locks")

  const flood0 = (await emuFetch(emu, 'GET', '/api/v1/users/flood0@example.com')).body.id
  await emuFetch(emu, 'DELETE', `/api/v1/users/${flood0}`)
  await emuFetch(emu, 'DELETE', `/api/v1/users/${flood0}`)
  t.equal((await emuFetch(emu, 'POST', '/api/v1/users', { profile: { login: 'late@example.com', email: 'late@example.com' } })).status, 200, 'a deleted user frees its place')

  // A real org always has the token's owner: it is made on first use in a full emulator too, one past the cap.
  const me = await emuFetch(emu, 'GET', '/api/v1/users/me')
  t.same([me.status, me.body.status], [200, 'ACTIVE'], 'the token owner exists in a full emulator')
  t.equal((await emuFetch(emu, 'GET', '/api/v1/users/me/factors')).status, 200, 'and its routes answer')
  t.equal((await emuFetch(emu, 'GET', '/api/v1/users')).body.length, 7, 'six users and the owner')
  t.equal((await emuFetch(emu, 'POST', '/api/v1/users', { profile: { login: 'one.more@example.com', email: 'one.more@example.com' } })).status, 400, 'still full for anyone else')
  // One past, never more: the owner renamed is still `me`, and its old login cannot make another user past the cap.
  t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${me.body.id as string}`, { profile: { login: 'renamed@example.com', email: 'renamed@example.com' } })).status, 200)
  const renamed = await emuFetch(emu, 'GET', '/api/v1/users/me')
  t.same([renamed.status, renamed.body.id], [200, me.body.id], 'no second owner: me is the renamed one')
  const login = 'okta-emulator-admin@example.com'
  t.equal((await emuFetch(emu, 'POST', '/api/v1/users', { profile: { login, email: login } })).status, 400, "the owner's old login: still full")
  t.equal((await emuFetch(emu, 'GET', '/api/v1/users')).body.length, 7, 'still seven')
})

await t.test('outbox and push transactions keep the newest entries only', async (t) => {
  const emu = await withEmulator(t, { maxMessages: 3 })
  const id = (await emuFetch(emu, 'POST', '/api/v1/users', { profile: { login: 'o@example.com', email: 'o@example.com' } })).body.id
  const sms = (await emuFetch(emu, 'POST', `/api/v1/users/${id}/factors`, { factorType: 'sms', provider: 'OKTA', profile: { phoneNumber: '+15550001111' } })).body
  for (let i = 0; i < 5; i++) {
    emu.clock.advance(30_000)
    t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${id}/factors/${sms.id}/resend`)).status, 200)
  }
  const kept = emu.messages()
  t.equal(kept.length, 3, 'six codes sent, three kept')
  t.same(kept.map((m) => m.id), ['msg4', 'msg5', 'msg6'], 'the newest ones')
  t.equal((await emuFetch(emu, 'GET', '/__emulator/messages')).body.length, 3)
  t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${id}/factors/${sms.id}/lifecycle/activate`, { passCode: kept[2]!.code })).status, 200, 'the latest code still works')

  const push = (await emuFetch(emu, 'POST', `/api/v1/users/${id}/factors`, { factorType: 'push', provider: 'OKTA' })).body
  emu.activatePush(push.id)
  const polls: string[] = []
  for (let i = 0; i < 25; i++) polls.push(new URL((await emuFetch(emu, 'POST', `/api/v1/users/${id}/factors/${push.id}/verify`)).body._links.poll.href).pathname)
  const alive: number[] = []
  for (const p of polls) alive.push((await emuFetch(emu, 'GET', p)).status)
  t.same(alive, [...Array(5).fill(404), ...Array(20).fill(200)], '20 waiting pushes per factor are kept, the oldest dropped')
})

await t.test('inputs are bounded before they reach a store', async (t) => {
  const emu = await withEmulator(t)
  const long = (n: number): string => 'a'.repeat(n)
  const create = (profile: Record<string, unknown>, credentials?: unknown) => emuFetch(emu, 'POST', '/api/v1/users', { profile, ...(credentials === undefined ? {} : { credentials }) })
  const ok = { login: 'b@example.com', email: 'b@example.com' }
  t.equal((await create({ login: `${long(96)}@x.io`, email: 'c@example.com' })).body.errorCode, 'E0000001', 'a login over 100 characters')
  t.equal((await create({ ...ok, title: long(1025) })).body.errorCode, 'E0000001', 'a profile value over 1024 characters')
  t.equal((await create(ok, { password: { value: long(1025) } })).body.errorCode, 'E0000001', 'a password over 1024 characters')
  t.equal((await create(ok, { recovery_question: { question: 'q', answer: long(1025) } })).body.errorCode, 'E0000001', 'a recovery answer over 1024 characters')
  t.equal((await emuFetch(emu, 'GET', '/api/v1/users')).body.length, 0, 'none of them was stored')
  const id = (await create({ ...ok, title: long(1024) })).body.id
  t.type(id, 'string', '1024 characters are fine')
  const F = `/api/v1/users/${id}/factors`
  t.equal((await emuFetch(emu, 'POST', F, { factorType: 'question', provider: 'OKTA', profile: { question: 'disliked_food', answer: long(1025) } })).body.errorCode, 'E0000001', 'a security answer over 1024 characters')
  t.equal((await emuFetch(emu, 'POST', F, { factorType: 'email', provider: 'OKTA', profile: { email: `${long(1100)}@x.io` } })).body.errorCode, 'E0000001', 'an email over 1024 characters')
  // And at least 4 characters, not counting the spaces around them.
  for (const answer of ['abc', '  ab  ']) {
    t.equal((await emuFetch(emu, 'POST', F, { factorType: 'question', provider: 'OKTA', profile: { question: 'disliked_food', answer } })).body.errorCode, 'E0000001', `a security answer ${JSON.stringify(answer)}`)
  }
  t.same((await emuFetch(emu, 'GET', F)).body, [], 'no factor stored')
  const q = (await emuFetch(emu, 'POST', F, { factorType: 'question', provider: 'OKTA', profile: { question: 'disliked_food', answer: 'mayonnaise' } })).body
  const huge = await emuFetch(emu, 'POST', `${F}/${q.id}/verify`, { answer: long(100_000) })
  t.same([huge.status, huge.body.errorCode], [403, 'E0000068'], 'a huge answer is just wrong')
  t.equal((await emuFetch(emu, 'GET', `/api/v1/users/${id}/factors/${long(600)}`)).status, 404, 'an over-long factor id never reaches a lookup')
})
