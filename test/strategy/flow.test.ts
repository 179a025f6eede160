// Guards the second step end to end on both stacks (Express + passport + express-session, Fastify +
// @fastify/passport + secure-session) against the emulator: login, MFA required (page redirect with
// returnTo, API 401), wrong code, right code surviving passport's login, protected page, replayed code,
// step-up after maxAgeSeconds, logout clearing MFA, and a session whose user changes losing MFA; revoked sessions
// signed out, also after the app's user key changed (a deploy with another `userKey`, a rename of the login used as key).
import t, { type Test } from 'tap'
import { MemoryRevocationStore, StoreUnavailableError, createRedisStores, type RevocationStore } from '@okta-mfa/core'
import { withEmulator } from '../helpers/emulator.js'
import type { CookieJar } from '../helpers/http.js'
import { withRedis } from '../helpers/redis.js'
import { totp } from '../helpers/totp.js'
import { FACTORS, STACKS, USERS, passwordLogin, seedUsers, startFastifyStack, wrongCode, type StackUser } from '../helpers/strategy-stacks.js'

const [ada, bob] = USERS as [typeof USERS[0], typeof USERS[1]]
const PAGE = { accept: 'text/html,application/xhtml+xml' }

for (const start of STACKS) {
  await t.test(`${start.name}: the MFA flow`, async (t) => {
    const emu = await withEmulator(t, { seed: seedUsers() })
    const stack = await start(t, {
      strategy: { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true, clock: emu.clock.now },
      guard: { redirectTo: '/mfa', maxAgeSeconds: 300, clock: emu.clock.now },
    })
    const code = (at = emu.clock.now()): string => totp(FACTORS.ada.secret, at)

    await t.test('without a login the guard answers 401 UNAUTHENTICATED', async (t) => {
      const jar = stack.jar()
      const api = await jar.fetch('/api/data')
      t.equal(api.status, 401)
      t.equal(api.json().code, 'UNAUTHENTICATED')
      const mfa = await jar.fetch('/api/mfa', { form: { passCode: code() } })
      t.equal(mfa.status, 401, 'the strategy fails 401 without a primary login')
      t.equal(mfa.json().code, 'UNAUTHENTICATED')
    })

    const jar = stack.jar()
    await t.test('after the password login, MFA is required: pages redirect, APIs get 401', async (t) => {
      await passwordLogin(jar, ada)
      const page = await jar.fetch('/account?tab=2', { headers: PAGE })
      t.equal(page.status, 302)
      t.equal(page.location, '/mfa')
      const api = await jar.fetch('/api/data')
      t.equal(api.status, 401)
      t.same(api.json(), { code: 'MFA_REQUIRED', message: api.json().message, stepUp: false })
    })

    await t.test('a wrong code is refused with INVALID_PASSCODE and the page shows why', async (t) => {
      const res = await jar.fetch('/mfa', { form: { passCode: wrongCode(code()) } })
      t.equal(res.status, 302)
      t.equal(res.location, '/mfa')
      const page = await jar.fetch('/mfa')
      t.match(page.text, /didn&#39;t match|didn't match/)
      t.equal((await jar.fetch('/api/data')).status, 401, 'still no MFA')
    })

    await t.test('the right code completes MFA, survives the login and returns to the remembered page', async (t) => {
      const res = await jar.fetch('/mfa', { form: { passCode: code() } })
      t.equal(res.status, 302)
      t.equal(res.location, '/account?tab=2', 'returnTo carried across the session regeneration')
      const page = await jar.fetch('/account?tab=2', { headers: PAGE })
      t.equal(page.status, 200)
      t.equal(page.text, 'account of ada')
      const api = await jar.fetch('/api/data')
      t.equal(api.status, 200)
      t.match(api.json(), { user: 'ada', mfa: { userKey: 'u1', factorId: FACTORS.ada.id, method: 'form', completedAt: emu.clock.now() } })
    })

    await t.test('the same code again is refused as replayed', async (t) => {
      const other = stack.jar()
      await passwordLogin(other, ada)
      const res = await other.fetch('/api/mfa', { form: { passCode: code() } })
      t.equal(res.status, 401)
      t.equal(res.json().code, 'PASSCODE_REPLAYED')
      t.equal((await other.fetch('/api/data')).status, 401)
    })

    await t.test('after maxAgeSeconds the guard asks again (step-up)', async (t) => {
      emu.clock.advance(299_000)
      t.equal((await jar.fetch('/api/data')).status, 200, 'still fresh just before the limit')
      emu.clock.advance(1_000)
      t.equal((await jar.fetch('/api/data')).status, 200, 'exactly maxAgeSeconds old is not older: still counts')
      emu.clock.advance(1)
      const api = await jar.fetch('/api/data')
      t.equal(api.status, 401)
      t.match(api.json(), { code: 'MFA_REQUIRED', stepUp: true })
      const page = await jar.fetch('/account', { headers: PAGE })
      t.equal(page.location, '/mfa')
      const again = await jar.fetch('/api/mfa', { form: { passCode: code() } })
      t.equal(again.status, 200)
      t.equal(again.json().mfa.completedAt, emu.clock.now())
      t.equal((await jar.fetch('/api/data')).status, 200)
    })

    await t.test('logout clears the MFA state', async (t) => {
      t.equal((await jar.fetch('/logout', { method: 'POST' })).status, 200)
      t.equal((await jar.fetch('/api/data')).json().code, 'UNAUTHENTICATED')
      emu.clock.advance(30_000)
      await passwordLogin(jar, ada)
      t.equal((await jar.fetch('/api/data')).json().code, 'MFA_REQUIRED', 'a new login starts without MFA')
    })

    await t.test('a session whose user changes loses the MFA state', async (t) => {
      const shared = stack.jar()
      await passwordLogin(shared, ada)
      emu.clock.advance(30_000)
      t.equal((await shared.fetch('/api/mfa', { form: { passCode: code() } })).status, 200)
      t.equal((await shared.fetch('/api/data')).status, 200)
      // keepSessionInfo keeps every session field, the MFA state of ada included: it must not count for bob.
      const login = await shared.fetch('/login-keep', { form: { username: bob.username, password: bob.password } })
      t.equal(login.status, 302)
      const api = await shared.fetch('/api/data')
      t.equal(api.status, 401)
      t.equal(api.json().code, 'MFA_REQUIRED')
      // ada signing in again in that session: her step is lost, not only ignored while bob was signed in.
      t.equal((await shared.fetch('/login-keep', { form: { username: ada.username, password: ada.password } })).status, 302)
      t.equal((await shared.fetch('/api/data')).json().code, 'MFA_REQUIRED', "ada's step did not come back")
      t.equal((await shared.fetch('/login-keep', { form: { username: bob.username, password: bob.password } })).status, 302)
      // The strategy drops another user's step too, on any attempt: bob only sends an empty code here.
      const again = stack.jar()
      await passwordLogin(again, ada)
      emu.clock.advance(30_000)
      t.equal((await again.fetch('/api/mfa', { form: { passCode: code() } })).status, 200)
      t.equal((await again.fetch('/login-keep', { form: { username: bob.username, password: bob.password } })).status, 302)
      t.equal((await again.fetch('/api/mfa', { form: { passCode: '' } })).json().code, 'PASSCODE_MISSING')
      t.equal((await again.fetch('/login-keep', { form: { username: ada.username, password: ada.password } })).status, 302)
      t.equal((await again.fetch('/api/data')).json().code, 'MFA_REQUIRED', "ada's step did not come back after bob's attempt")
      const own = await shared.fetch('/api/mfa', { form: { passCode: totp(FACTORS.bob.secret, emu.clock.now()) } })
      t.equal(own.status, 200)
      t.equal(own.json().mfa.userKey, 'u2')
    })

    t.same(stack.errors, [], 'nothing reached the error handler')
  })
}

for (const start of STACKS) {
  await t.test(`${start.name}: revoked sessions are signed out (logout, sign out of all sessions, store down)`, async (t) => {
    const emu = await withEmulator(t, { seed: seedUsers() })
    const memory = new MemoryRevocationStore({ clock: emu.clock.now })
    let down: false | 'coded' | 'plain' = false
    const revocations: RevocationStore = {
      revokeSession: async (...args) => { await memory.revokeSession(...args) },
      revokeUser: async (...args) => { await memory.revokeUser(...args) },
      isRevoked: async (...args) => {
        if (down === 'coded') throw new StoreUnavailableError()
        if (down === 'plain') throw new Error('connect ECONNREFUSED redis://:hunter2@10.0.0.5:6379') // a store of your own
        return await memory.isRevoked(...args)
      },
    }
    const stack = await start(t, {
      strategy: { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true, clock: emu.clock.now },
      guard: { clock: emu.clock.now },
      revocations,
    })
    const signedIn = async (user: typeof ada, secret: string): Promise<ReturnType<typeof stack.jar>> => {
      const jar = stack.jar()
      await passwordLogin(jar, user)
      const res = await jar.fetch('/api/mfa', { form: { passCode: totp(secret, emu.clock.now()) } })
      if (res.status !== 200) throw new Error(`mfa: ${res.status} ${res.text}`)
      emu.clock.advance(30_000)
      return jar
    }
    const copyOf = (jar: ReturnType<typeof stack.jar>): ReturnType<typeof stack.jar> => {
      const copy = stack.jar()
      for (const [k, v] of jar.cookies) copy.cookies.set(k, v)
      return copy
    }

    const jar = await signedIn(ada, FACTORS.ada.secret)
    t.equal((await jar.fetch('/api/data')).status, 200, 'signed in with MFA')
    const copied = copyOf(jar)
    t.equal((await jar.fetch('/logout', { method: 'POST' })).status, 200)
    const replay = await copied.fetch('/api/data')
    t.equal(replay.status, 401, 'a cookie copied before logout is refused after it')
    t.equal(replay.json().code, 'UNAUTHENTICATED')
    t.equal((await copied.fetch('/api/mfa', { form: { passCode: totp(FACTORS.ada.secret, emu.clock.now()) } })).json().code, 'UNAUTHENTICATED', 'the strategy too')

    const first = await signedIn(ada, FACTORS.ada.secret)
    const second = await signedIn(ada, FACTORS.ada.secret)
    const third = await signedIn(ada, FACTORS.ada.secret)
    const fourth = await signedIn(ada, FACTORS.ada.secret)
    const other = await signedIn(bob, FACTORS.bob.secret)
    const firstCopy = copyOf(first) // a cookie copied before the revocation
    t.equal((await second.fetch('/logout-everywhere', { method: 'POST' })).status, 200)
    t.equal((await first.fetch('/api/data')).json().code, 'UNAUTHENTICATED', 'sign out of all sessions: the other session of the user')
    t.equal((await second.fetch('/api/data')).json().code, 'UNAUTHENTICATED', 'and this one')
    t.equal((await other.fetch('/api/data')).status, 200, "another user's session is untouched")
    emu.clock.advance(1000)
    // The revoked browser signs in again with the password, keeping the session's data (keepSessionInfo): it starts
    // over, with a code, and is not refused for as long as the revocation lasts.
    t.equal((await first.fetch('/login-keep', { form: { username: ada.username, password: ada.password } })).status, 302)
    t.equal((await first.fetch('/api/data')).json().code, 'MFA_REQUIRED', 'the password alone does not bring back the revoked MFA step')
    const code = await first.fetch('/api/mfa', { form: { passCode: totp(FACTORS.ada.secret, emu.clock.now()) } })
    t.equal(code.status, 200, `the right code is taken after the new login (${code.text.slice(0, 80)})`)
    t.equal((await first.fetch('/api/data')).status, 200, 'and the session is served')
    t.equal((await firstCopy.fetch('/api/data')).json().code, 'UNAUTHENTICATED', 'a copy of the revoked cookie stays refused after its owner signed in again')
    t.equal((await firstCopy.fetch('/api/mfa', { form: { passCode: totp(FACTORS.ada.secret, emu.clock.now()) } })).json().code, 'UNAUTHENTICATED', 'the strategy too')
    // The strategy, not a guard, is the first to see a revoked session: it refuses it and signs it out, so the next
    // password login (keepSessionInfo, no startSession) starts clean.
    t.equal((await fourth.fetch('/api/mfa', { form: { passCode: totp(FACTORS.ada.secret, emu.clock.now()) } })).json().code, 'UNAUTHENTICATED', 'the strategy refuses a revoked session')
    t.equal((await fourth.fetch('/login-keep', { form: { username: ada.username, password: ada.password } })).status, 302)
    t.equal((await fourth.fetch('/api/data')).json().code, 'MFA_REQUIRED', 'and signed it out: the next login is not refused')
    // With the README's startSession at login, straight after the revocation (no guarded request in between).
    emu.clock.advance(30_000)
    t.equal((await third.fetch('/login-start', { form: { username: ada.username, password: ada.password } })).status, 302)
    t.equal((await third.fetch('/api/data')).json().code, 'MFA_REQUIRED', 'a new login with startSession asks for the code again')
    t.equal((await third.fetch('/api/mfa', { form: { passCode: totp(FACTORS.ada.secret, emu.clock.now()) } })).status, 200)
    t.equal((await third.fetch('/api/data')).status, 200)
    emu.clock.advance(30_000)
    const again = await signedIn(ada, FACTORS.ada.secret)
    t.equal((await again.fetch('/api/data')).status, 200, 'a new login after it works')

    for (const mode of ['coded', 'plain'] as const) {
      down = mode
      const refused = await again.fetch('/api/data')
      t.equal(refused.status, 503, `a revocation store that cannot answer (${mode} error): refused, not let through`)
      t.equal(refused.json().code, 'STORE_UNAVAILABLE')
      const mfa = await again.fetch('/api/mfa', { form: { passCode: totp(FACTORS.ada.secret, emu.clock.now()) } })
      t.equal(mfa.status, 503, `the strategy too (${mode} error)`)
      t.match(mfa.text, /STORE_UNAVAILABLE/)
      t.notMatch(refused.text + mfa.text, /hunter2|ECONNREFUSED/, 'the store\'s own message is not echoed')
    }
    down = false
    t.equal((await again.fetch('/api/data')).status, 200, 'and served again when it answers')
  })
}

/**
 * Sessions of ada from before a change of her user key (`deploy`: v1 keys users by id, v2 by the lowercased email, as
 * the README's normalizing `userKey`; `rename`: the username is the key and ada renames hers), asked for after it.
 */
async function afterKeyChange (t: Test, start: typeof STACKS[number], change: 'deploy' | 'rename', store?: RevocationStore): Promise<void> {
  const emu = await withEmulator(t, { seed: seedUsers() })
  const users = USERS.map((u) => ({ ...u }))
  const ada = users[0] as StackUser
  let deployed = false
  const userKey = (u: unknown): string => change === 'rename' ? (u as StackUser).username : deployed ? (u as StackUser).email.toLowerCase() : (u as StackUser).id
  const stack = await start(t, {
    strategy: { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true, clock: emu.clock.now, userKey },
    guard: { clock: emu.clock.now, userKey },
    revocations: store ?? new MemoryRevocationStore({ clock: emu.clock.now }),
    users,
  })
  const code = (): { form: Record<string, string> } => ({ form: { passCode: totp(FACTORS.ada.secret, emu.clock.now()) } })
  const signedIn = async (): Promise<CookieJar> => {
    const jar = stack.jar()
    await passwordLogin(jar, ada)
    const res = await jar.fetch('/api/mfa', code())
    if (res.status !== 200) throw new Error(`mfa: ${res.status} ${res.text}`)
    emu.clock.advance(30_000)
    return jar
  }
  const copyOf = (jar: CookieJar): CookieJar => { const copy = stack.jar(); for (const [k, v] of jar.cookies) copy.cookies.set(k, v); return copy }
  const post = async (jar: CookieJar, path: string): Promise<void> => { t.equal((await jar.fetch(path, { method: 'POST' })).status, 200, path) }
  const refused = async (jar: CookieJar, what: string): Promise<void> => {
    const res = await jar.fetch('/api/data')
    t.same([res.status, res.json().code], [401, 'UNAUTHENTICATED'], what)
  }

  // Under the old key (no copy is used before the change: a guard would sign it out).
  const everywhere = await signedIn()
  const everywhereCopy = copyOf(everywhere)
  await post(everywhere, '/logout-everywhere')
  emu.clock.advance(1000)
  const out = await signedIn()
  const [outCopy, outCopy2] = [copyOf(out), copyOf(out)]
  await post(out, '/logout')
  const live = await signedIn()
  const liveCopy = copyOf(live)
  const idle = await signedIn()
  if (change === 'deploy') deployed = true
  else ada.username = 'ada.l'
  emu.clock.advance(1000)

  await refused(outCopy, `${change}: a cookie copied before logout stays refused`)
  t.equal((await outCopy2.fetch('/api/mfa', code())).json().code, 'UNAUTHENTICATED', `${change}: the strategy refuses it too`)
  await refused(everywhereCopy, `${change}: "sign out of all sessions" under the old key still covers its sessions`)
  // A live session goes on under the new key; its MFA step, bound to the old key, is asked for again.
  t.equal((await live.fetch('/api/data')).json().code, 'MFA_REQUIRED', `${change}: a live session is not revoked, its old MFA step does not count`)
  t.equal((await live.fetch('/api/mfa', code())).status, 200)
  t.equal((await live.fetch('/api/data')).status, 200)
  emu.clock.advance(30_000)
  // It kept its session id: its logout revokes the copy of its cookie that still holds the old key.
  await post(live, '/logout')
  await refused(liveCopy, `${change}: a logout after the change revokes a copy of the cookie made before it`)
  // And its issued-at time: "sign out of all sessions" under the new key covers a session signed in before the change.
  await post(await signedIn(), '/logout-everywhere')
  emu.clock.advance(1000)
  await refused(idle, `${change}: "sign out of all sessions" under the new key covers a session of the old key`)
  t.equal((await (await signedIn()).fetch('/api/data')).status, 200, `${change}: a login after it is served`)
  t.same(stack.errors, [], 'nothing reached the error handler')
}

for (const start of STACKS) {
  for (const change of ['deploy', 'rename'] as const) {
    await t.test(`${start.name}: a change of the user key (${change}) forgets no revocation`, async (t) => { await afterKeyChange(t, start, change) })
  }
}

for (const start of STACKS) {
  await t.test(`${start.name}: signOutRevoked (the README's hook): a revoked session an unguarded page writes is signed out first, so it stays out once the store forgets the revocation`, async (t) => {
    const emu = await withEmulator(t, { seed: seedUsers() })
    const memory = new MemoryRevocationStore({ clock: emu.clock.now }) // its clock moves the revocation's 25 h on
    let down = false
    const revocations: RevocationStore = {
      revokeSession: async (...args) => { await memory.revokeSession(...args) },
      revokeUser: async (...args) => { await memory.revokeUser(...args) },
      isRevoked: async (...args) => {
        if (down) throw new Error('connect ECONNREFUSED redis://:hunter2@10.0.0.5:6379') // a store of the app's own
        return await memory.isRevoked(...args)
      },
    }
    for (const signOutRevoked of [false, true]) {
      const stack = await start(t, {
        strategy: { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true, clock: emu.clock.now },
        guard: { clock: emu.clock.now },
        revocations,
        signOutRevoked,
      })
      const jar = stack.jar()
      await passwordLogin(jar, ada)
      if (signOutRevoked) {
        // A session not yet given its identity (no startSession at this login), the store down: refused, not written.
        const saves = stack.sessionWrites?.()
        down = true
        const first = await jar.fetch('/note')
        down = false
        t.equal(first.status, 503, 'a session without an identity while the store cannot answer')
        if (saves === undefined) t.equal(first.headers['set-cookie'], undefined, 'its cookie is not written (renewed) on the refusal')
        else t.equal(stack.sessionWrites?.(), saves, 'its record is not saved (renewed) on the refusal')
        stack.errors.length = 0
      }
      t.equal((await jar.fetch('/api/mfa', { form: { passCode: totp(FACTORS.ada.secret, emu.clock.now()) } })).status, 200)
      emu.clock.advance(30_000)
      // While the store cannot answer, the hook fails the request as the guards do (503), before the page writes.
      down = true
      const unjudged = await jar.fetch('/note')
      down = false
      t.equal(unjudged.status, signOutRevoked ? 503 : 200, `hook ${signOutRevoked}: a page while the store cannot answer`)
      if (signOutRevoked) {
        t.same(unjudged.json(), { error: 'STORE_UNAVAILABLE' }, 'the error handler got StoreUnavailableError, not the page')
        t.equal(stack.errors.length, 1)
        t.equal((stack.errors[0] as Error).name, 'StoreUnavailableError')
        t.notMatch((stack.errors[0] as Error).message, /hunter2/, 'its message quotes nothing of the store\'s own error')
        stack.errors.length = 0
      }
      const copy = stack.jar()
      for (const [k, v] of jar.cookies) copy.cookies.set(k, v)
      // "Sign out of all sessions" from another browser: the copy's session is revoked, not destroyed (nor, with cookie
      // sessions, could it be).
      const other = stack.jar()
      await passwordLogin(other, ada)
      emu.clock.advance(1000)
      t.equal((await other.fetch('/logout-everywhere', { method: 'POST' })).status, 200)
      emu.clock.advance(1000)
      const note = await copy.fetch('/note') // a page no guard runs on writes the copy's session
      t.equal(note.json().user, signOutRevoked ? null : 'ada', `hook ${signOutRevoked}: ${signOutRevoked ? 'signed out first' : 'the page sees the revoked user'}`)
      emu.clock.advance(25 * 60 * 60_000 + 60_000) // the revocation is forgotten
      // Without the hook the copy (renewed by the page) is let in again: what the README's hook is for.
      t.equal((await copy.fetch('/api/data')).status, signOutRevoked ? 401 : 200, `hook ${signOutRevoked}: the copy once the store forgot the revocation`)
      t.same(stack.errors, [], `hook ${signOutRevoked}: nothing else reached the error handler`)
    }
    // Registered before passport's session middleware it would see no user and let every revoked session through:
    // a signed-in request fails loudly instead, an anonymous one goes on.
    const early = await start(t, {
      strategy: { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true, clock: emu.clock.now },
      revocations,
      signOutRevoked: 'too early',
    })
    t.equal((await early.jar().fetch('/note')).json().user, null, 'too early: an anonymous request is served')
    const misplaced = early.jar()
    await passwordLogin(misplaced, ada)
    t.not((await misplaced.fetch('/note')).status, 200, 'too early: a signed-in request is refused')
    t.match(early.errors, [{ name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /^signOutRevoked\(\) found no req\.user in a signed-in session: register it right after passport\.session\(\) \(Express\) or passport\.secureSession\(\) \(Fastify\), with passport's userProperty left as "user"$/ }])
  })
}

await t.test('a change of the user key forgets no revocation in a Redis store', async (t) => {
  const redis = await withRedis(t)
  const stores = createRedisStores(redis.url)
  t.teardown(async () => { await stores.close() })
  await afterKeyChange(t, startFastifyStack, 'deploy', stores.revocations)
})
