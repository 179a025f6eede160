// The behaviour every AttemptStore and RevocationStore must share, as tap subtests over a store factory, so that the
// memory and Redis stores are held to exactly the same cases. A store runs on a ContractClock: a fake clock for memory
// stores, the real clock plus a real wait for Redis (whose TTLs run on its own clock).
import type { Test } from 'tap'
import { AttemptLimiter, MemoryAttemptStore, StoreUnavailableError, attemptKey, type AttemptStore, type RevocationStore } from '@okta-mfa/core'

/** Time as a store under test sees it: `now()` to pass in, `advance(ms)` to let at least `ms` go by. */
export interface ContractClock {
  now: () => number
  advance: (ms: number) => Promise<void>
}

/** A fresh, empty store and its clock, for one subtest. */
export type StoreFactory<S> = () => Promise<{ store: S, clock: ContractClock }> | { store: S, clock: ContractClock }


/** A fake clock for memory stores. */
export function fakeClock (start = Date.UTC(2030, 0, 1)): ContractClock {
  let now = start
  return { now: () => now, advance: async (ms) => { now += ms } }
}

/** The real clock with a real wait, for stores whose TTLs run on a server's clock. */
export function realClock (): ContractClock {
  return { now: Date.now, advance: async (ms) => { await new Promise((resolve) => setTimeout(resolve, ms)) } }
}

// A window long enough that a loaded machine stays well inside it between two calls, short enough to wait out.
const WINDOW = 1000
/** How far a Redis `resetAt` may stray from the exact value: the ms between Redis's clock and ours. */
const SLACK = 250

/** Runs the AttemptStore contract against stores from `factory`. */
export async function attemptStoreContract (t: Test, factory: StoreFactory<AttemptStore>): Promise<void> {
  await t.test('the first attempt opens a window of windowMs from now', async (t) => {
    const { store, clock } = await factory()
    const now = clock.now()
    const first = await store.increment('alice', WINDOW, now)
    t.equal(first.count, 1)
    t.ok(first.resetAt <= now + WINDOW && first.resetAt > now + WINDOW - SLACK, `resetAt ${first.resetAt - now} ms after now`)
    const seen = await store.get('alice', clock.now())
    t.equal(seen?.count, 1, 'get sees the counter')
    t.ok(seen !== undefined && Math.abs(seen.resetAt - first.resetAt) <= SLACK, 'and the same window')
  })

  await t.test('later attempts count up in the same window and never extend it', async (t) => {
    const { store, clock } = await factory()
    const first = await store.increment('alice', WINDOW, clock.now())
    await clock.advance(400)
    const second = await store.increment('alice', WINDOW, clock.now())
    t.equal(second.count, 2)
    t.ok(Math.abs(second.resetAt - first.resetAt) <= SLACK, 'the window still ends where the first attempt put it')
    const third = await store.increment('alice', WINDOW, clock.now())
    t.equal(third.count, 3)
    const seen = await store.get('alice', clock.now())
    t.equal(seen?.count, 3)
  })

  await t.test('once the window has ended the counter is gone and the next attempt starts a new one', async (t) => {
    const { store, clock } = await factory()
    await store.increment('alice', WINDOW, clock.now())
    await store.increment('alice', WINDOW, clock.now())
    await clock.advance(WINDOW + 50)
    t.equal(await store.get('alice', clock.now()), undefined, 'no live counter after the window')
    const now = clock.now()
    const next = await store.increment('alice', WINDOW, now)
    t.equal(next.count, 1, 'a fresh count')
    t.ok(next.resetAt > now + WINDOW - SLACK, 'a fresh window')
  })

  await t.test('reset forgets one key only; keys never share a counter', async (t) => {
    const { store, clock } = await factory()
    await store.increment('alice', WINDOW, clock.now())
    await store.increment('alice', WINDOW, clock.now())
    await store.increment('bob', WINDOW, clock.now())
    await store.increment('alice:x', WINDOW, clock.now())
    t.equal(await store.get('unknown', clock.now()), undefined)
    await store.reset('alice')
    t.equal(await store.get('alice', clock.now()), undefined, 'alice forgotten')
    t.equal((await store.get('bob', clock.now()))?.count, 1, 'bob kept')
    t.equal((await store.get('alice:x', clock.now()))?.count, 1, 'a key that starts with alice kept')
    t.equal((await store.increment('alice', WINDOW, clock.now())).count, 1, 'alice starts again at 1')
    await store.reset('never-counted')
  })

  await t.test('decrement takes back one attempt, never below zero, and keeps the window', async (t) => {
    const { store, clock } = await factory()
    if (store.decrement === undefined) { t.fail('the store has no decrement'); return }
    const first = await store.increment('carol', WINDOW, clock.now())
    await store.increment('carol', WINDOW, clock.now())
    await store.decrement('carol', clock.now())
    const after = await store.get('carol', clock.now())
    t.equal(after?.count, 1, 'two counted, one taken back')
    t.ok(after !== undefined && Math.abs(after.resetAt - first.resetAt) <= SLACK, 'the same window')
    await store.decrement('carol', clock.now())
    await store.decrement('carol', clock.now())
    t.notOk((await store.get('carol', clock.now()))?.count, 'never below zero')
    t.equal((await store.increment('carol', WINDOW, clock.now())).count, 1, 'the next attempt counts from there')
    await store.decrement('never-counted', clock.now())
    t.equal(await store.get('never-counted', clock.now()), undefined, 'nothing is created for an unknown key')
  })

  await t.test('subtract takes back a right code and the wrong codes answered before it; codes in flight stay', async (t) => {
    const { store, clock } = await factory()
    if (store.subtract === undefined || store.settle === undefined) { t.fail('the store has no subtract or settle'); return }
    const first = await store.increment('dave', WINDOW, clock.now()) // a wrong code
    t.equal(first.settled, 0, 'nothing answered yet')
    await store.settle('dave', clock.now()) // Okta answered it: wrong
    await store.increment('dave', WINDOW, clock.now()) // a wrong code sent, not answered yet
    const right = await store.increment('dave', WINDOW, clock.now()) // the right code, the 3rd attempt
    t.equal(right.settled, 1, 'the right code was counted after one answered wrong code')
    await store.increment('dave', WINDOW, clock.now()) // a wrong code counted while it was in flight
    await store.settle('dave', clock.now()) // the one in flight before it is answered now: Okta may have judged it after
    await store.subtract('dave', right.settled ?? 0, clock.now())
    const after = await store.get('dave', clock.now())
    t.equal(after?.count, 2, 'the code in flight when the right one was counted, and the one after it, stay')
    t.ok(after !== undefined && Math.abs(after.resetAt - first.resetAt) <= SLACK, 'the same window')
    const next = await store.increment('dave', WINDOW, clock.now())
    t.equal(next.settled, 2, 'answered wrong codes are never forgotten within the window')
    await store.subtract('dave', next.settled ?? 0, clock.now())
    t.equal((await store.get('dave', clock.now()))?.count, 1, 'the right code after them takes back itself and the one answered since (not the first again)')
    await store.subtract('dave', 99, clock.now())
    t.equal(await store.get('dave', clock.now()), undefined, 'never below zero: at zero the counter is gone')
    t.same(await store.increment('dave', WINDOW, clock.now()).then((c) => [c.count, c.settled]), [1, 0], 'the next attempt counts from there, a new window')

    // Two right codes counted after the same answered wrong code: it is taken back once.
    await store.increment('erin', WINDOW, clock.now())
    await store.settle('erin', clock.now())
    const r1 = await store.increment('erin', WINDOW, clock.now())
    const r2 = await store.increment('erin', WINDOW, clock.now())
    await store.increment('erin', WINDOW, clock.now()) // a wrong code in flight
    await store.subtract('erin', r1.settled ?? 0, clock.now())
    await store.subtract('erin', r2.settled ?? 0, clock.now())
    t.equal((await store.get('erin', clock.now()))?.count, 1, 'the wrong code in flight stays counted')

    await store.subtract('never-counted', 3, clock.now())
    await store.settle('never-counted', clock.now())
    t.equal(await store.get('never-counted', clock.now()), undefined, 'nothing is created for an unknown key')
    await store.increment('fay', WINDOW, clock.now())
    await store.increment('fay', WINDOW, clock.now())
    await store.settle('fay', clock.now())
    await store.decrement?.('fay', clock.now())
    t.same(await store.increment('fay', WINDOW, clock.now()).then((c) => [c.count, c.settled]), [2, 1], 'a refund keeps what was answered')
  })

  await t.test('parallel increments are atomic: 50 at once get exactly 1..50', async (t) => {
    const { store, clock } = await factory()
    const counts = await Promise.all(Array.from({ length: 50 }, async () => (await store.increment('burst', 60_000, clock.now())).count))
    t.same(counts.sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i + 1))
    t.equal((await store.get('burst', clock.now()))?.count, 50)
  })

  // Found by sequences: two codes at once with one attempt left, the first then given back (Okta judged no code). The
  // refused one had stayed counted, so the user was paused for the rest of the window after three codes.
  await t.test('through a limiter: attempts refused in a burst are not counted, so a refund gives the last one back', async (t) => {
    const { store, clock } = await factory()
    const limiter = new AttemptLimiter({ store, maxAttempts: 4, windowMs: 60_000, clock: clock.now })
    for (let i = 0; i < 3; i++) await limiter.consume('dave')
    const burst = await Promise.all(Array.from({ length: 10 }, async () => await limiter.consume('dave')))
    t.equal(burst.filter((d) => d.allowed).length, 1, 'one attempt left: one of ten goes on')
    t.ok(burst.filter((d) => !d.allowed).every((d) => d.remaining === 0 && d.retryAfterSeconds > 0), 'the others are told to wait')
    t.equal((await store.get(attemptKey('mfa', 'dave'), clock.now()))?.count, 4, 'the nine refused are not counted')
    await limiter.refund('dave', burst.find((d) => d.allowed))
    t.match(await limiter.check('dave'), { allowed: true, remaining: 1 }, 'given back: the last attempt is there again')
  })

  // The same one at a time, on a fixed limiter clock: consume, consume, consume (refused), the first given back, and the
  // next attempt goes on. Had the refused one stayed counted, the refund would only have undone it: LOCKED_OUT.
  await t.test('through a limiter: a refused attempt is taken back at once, so a refund of an earlier one makes room', async (t) => {
    const { store, clock } = await factory()
    const now = clock.now()
    const limiter = new AttemptLimiter({ store, maxAttempts: 2, windowMs: 60_000, clock: () => now })
    const first = await limiter.consume('erin')
    t.equal((await limiter.consume('erin')).allowed, true)
    t.match(await limiter.consume('erin'), { allowed: false, remaining: 0 }, 'the third is refused')
    t.equal((await store.get(attemptKey('mfa', 'erin'), now))?.count, 2, 'and not counted')
    await limiter.refund('erin', first)
    t.match(await limiter.consume('erin'), { allowed: true, remaining: 0 }, 'the first given back: the attempt is there again')
  })

  await t.test('any string is a key: long, unicode, with separators', async (t) => {
    const { store, clock } = await factory()
    const keys = ['x'.repeat(10_000), 'émile@exämple.org', 'a:b{c}d', '']
    for (const key of keys) await store.increment(key, WINDOW, clock.now())
    for (const key of keys) t.equal((await store.get(key, clock.now()))?.count, 1)
  })
}

/** Runs the RevocationStore contract against stores from `factory`. */
export async function revocationStoreContract (t: Test, factory: StoreFactory<RevocationStore>): Promise<void> {
  await t.test('a revoked session is revoked, whoever it belongs to; others are not', async (t) => {
    const { store, clock } = await factory()
    t.equal(await store.isRevoked('s1', 'alice', clock.now()), false, 'nothing revoked yet')
    await store.revokeSession('s1', 60_000)
    t.equal(await store.isRevoked('s1', 'alice', clock.now()), true)
    t.equal(await store.isRevoked('s1', undefined, clock.now()), true, 'without a user too')
    t.equal(await store.isRevoked('s2', 'alice', clock.now()), false, 'another session of the same user')
  })

  await t.test('revoking a user revokes the sessions issued at or before the mark, not later ones', async (t) => {
    const { store, clock } = await factory()
    const mark = clock.now()
    await store.revokeUser('alice', mark, 60_000)
    t.equal(await store.isRevoked('old', 'alice', mark - 1000), true, 'issued before')
    t.equal(await store.isRevoked('same', 'alice', mark), true, 'issued at the mark')
    t.equal(await store.isRevoked('new', 'alice', mark + 1), false, 'issued after: a new sign-in works')
    t.equal(await store.isRevoked('old', 'bob', mark - 1000), false, 'another user')
    t.equal(await store.isRevoked('old', undefined, mark - 1000), false, 'no user given: only the session is checked')
  })

  await t.test('a later revocation with an older mark or a shorter TTL never un-revokes', async (t) => {
    const { store, clock } = await factory()
    const mark = clock.now()
    await store.revokeUser('alice', mark, 60_000)
    await store.revokeUser('alice', mark - 5000, 60_000)
    t.equal(await store.isRevoked('s', 'alice', mark - 1000), true, 'the later mark stays')
    await store.revokeSession('s1', 60_000)
    await store.revokeSession('s1', 200)
    await store.revokeUser('bob', mark, 60_000)
    await store.revokeUser('bob', mark, 200)
    await clock.advance(400)
    t.equal(await store.isRevoked('s1', undefined, mark), true, 'the session keeps its longer TTL')
    t.equal(await store.isRevoked('s', 'bob', mark), true, 'the user keeps its longer TTL')
  })

  await t.test('revocations are forgotten once their TTL has run out', async (t) => {
    const { store, clock } = await factory()
    const mark = clock.now()
    await store.revokeSession('s1', 600)
    await store.revokeUser('alice', mark, 600)
    t.equal(await store.isRevoked('s1', undefined, mark), true)
    t.equal(await store.isRevoked('s2', 'alice', mark), true)
    await clock.advance(800)
    t.equal(await store.isRevoked('s1', undefined, mark), false, 'session mark expired')
    t.equal(await store.isRevoked('s2', 'alice', mark), false, 'user mark expired')
  })

  await t.test('a TTL that is not a positive number is a programmer mistake', async (t) => {
    const { store, clock } = await factory()
    await t.rejects(store.revokeSession('s1', 0), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION' })
    await t.rejects(store.revokeUser('alice', clock.now(), Number.NaN), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION' })
    await t.rejects(store.revokeUser('alice', Number.POSITIVE_INFINITY, 1000), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION' })
    t.equal(await store.isRevoked('s1', 'alice', clock.now()), false, 'nothing was written')
  })
}

/**
 * An attempt store over a MemoryAttemptStore whose `increment` can be switched to fail with StoreUnavailableError (a
 * store that is down), as the refusing paths of the limiter's callers need. Starts down.
 */
export function switchableAttemptStore (): { store: AttemptStore, setDown: (down: boolean) => void } {
  const memory = new MemoryAttemptStore()
  let down = true
  const store: AttemptStore = {
    increment: async (...args) => { if (down) throw new StoreUnavailableError(); return await memory.increment(...args) },
    reset: async (key) => { await memory.reset(key) },
    get: async (key, now) => await memory.get(key, now),
  }
  return { store, setDown: (value) => { down = value } }
}
