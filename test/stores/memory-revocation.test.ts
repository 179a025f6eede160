// Guards the memory bound of MemoryRevocationStore: expired entries are swept to make room, and when a map (sessions,
// users: each capped at maxEntries on its own) is full of live entries no revocation is ever dropped (the overflow
// may over-revoke, never forget) while the exact maps stay at maxEntries. Also its option checks. The shared behaviour
// is in contract.test.ts; the overflow's generations and a long life in memory-revocation-overflow.test.ts.
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import t from 'tap'
import { MemoryRevocationStore, forgetRememberedDevices } from '@okta-mfa/core'
import { fakeClock } from '../helpers/store-contract.js'

const HOUR = 3600_000

await t.test('expired entries are swept to make room before anything overflows', async (t) => {
  const clock = fakeClock()
  const store = new MemoryRevocationStore({ clock: clock.now, maxEntries: 2 })
  await store.revokeSession('a', 1000)
  await store.revokeSession('b', 1000)
  await store.revokeUser('u', clock.now(), 1000)
  await store.revokeUser('v', clock.now(), 1000)
  t.equal(store.size, 4, 'two sessions and two user marks: each map at its own bound')
  await clock.advance(2000)
  await store.revokeSession('c', HOUR)
  t.equal(store.size, 3, 'the two expired sessions were swept (the user marks when their map needs room)')
  await store.revokeUser('w', clock.now(), HOUR)
  t.equal(store.size, 2, 'the two expired user marks were swept')
  t.equal(store.overflowCount, 0, 'nothing overflowed')
  t.equal(await store.isRevoked('c', undefined, clock.now()), true)
  t.equal(await store.isRevoked('x', 'w', clock.now()), true)
})

await t.test('full of live entries: new revocations overflow, none is dropped, memory stays bounded', async (t) => {
  const clock = fakeClock()
  const store = new MemoryRevocationStore({ clock: clock.now, maxEntries: 10 })
  const issued = clock.now() - 1000
  for (let i = 0; i < 10; i++) await store.revokeSession(`live-${i}`, HOUR)
  for (let i = 0; i < 500; i++) await store.revokeSession(`flood-${i}`, HOUR)
  t.equal(store.size, 10, 'the sessions map never grows past maxEntries')
  t.equal(store.overflowCount, 500, 'the rest went to the overflow')
  await store.revokeUser('alice', clock.now(), HOUR)
  t.equal(store.overflowCount, 500, 'a user mark has a map of its own: the sessions filling theirs do not push it out')
  for (let i = 0; i < 9; i++) await store.revokeUser(`user-${i}`, clock.now(), HOUR)
  await store.revokeUser('carol', clock.now(), HOUR)
  t.equal(store.size, 20, 'maxEntries sessions and maxEntries user marks')
  t.equal(store.overflowCount, 501, 'the user mark past its own bound went to the overflow')
  let missed = 0
  for (let i = 0; i < 10; i++) if (!await store.isRevoked(`live-${i}`, undefined, issued)) missed++
  for (let i = 0; i < 500; i++) if (!await store.isRevoked(`flood-${i}`, undefined, issued)) missed++
  t.equal(missed, 0, 'every revoked session is still refused')
  t.equal(await store.isRevoked('any', 'alice', issued), true, 'the user revocation in the overflow holds')
  t.equal(await store.isRevoked('any', 'alice', clock.now() + 1), false, 'a session issued after the user mark is fine')
  t.equal(await store.isRevoked('any', 'carol', issued), true, 'the user revocation in the overflow holds')
  t.equal(await store.isRevoked('any', 'carol', clock.now()), true, 'for sessions issued until its `before`')
  t.equal(await store.isRevoked('any', 'carol', clock.now() + 1), false, 'not for one issued after it')
  let falsePositives = 0
  for (let i = 0; i < 1000; i++) if (await store.isRevoked(`never-revoked-${i}`, 'bob', issued)) falsePositives++
  t.ok(falsePositives <= 1, `innocent sessions are (almost) never refused: ${falsePositives} in 1000`)
  await store.revokeSession('live-0', 2 * HOUR)
  t.equal(store.overflowCount, 501, 'renewing an exact entry does not overflow')

  await clock.advance(HOUR + 1)
  t.equal(await store.isRevoked('flood-7', undefined, issued), false, 'the overflow is cleared once all of it expired')
  t.equal(await store.isRevoked('any', 'carol', issued), false)
  t.equal(store.overflowCount, 0)
  t.equal(await store.isRevoked('live-0', undefined, issued), true, 'the renewed entry lives on')
})

await t.test('a full store sweeps at most once a second (no O(n) scan per revocation)', async (t) => {
  const clock = fakeClock()
  const store = new MemoryRevocationStore({ clock: clock.now, maxEntries: 2 })
  await store.revokeSession('short', 10)
  await store.revokeSession('long', HOUR)
  await store.revokeSession('first-overflow', HOUR) // sweeps now: 'short' is still live
  await clock.advance(20) // 'short' expired, but the last sweep was 20 ms ago
  await store.revokeSession('second-overflow', HOUR)
  t.equal(store.overflowCount, 2, 'no second sweep within the second')
  await clock.advance(1000)
  await store.revokeSession('exact-again', HOUR)
  t.equal(store.overflowCount, 2, 'a sweep a second later made room for an exact entry')
  t.equal(store.size, 2)
})

await t.test('device marks are kept without their padding, and stay apart from user keys that look like them', async (t) => {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  const clock = fakeClock()
  const store = new MemoryRevocationStore({ clock: clock.now })
  const user = (i: number): { id: string } => ({ id: `00u${String(i).padStart(17, '0')}` })
  const key = (u: unknown): string => (u as { id: string }).id
  const n = 20_000
  gc()
  const before = process.memoryUsage().heapUsed
  for (let i = 0; i < n; i++) await forgetRememberedDevices(store, user(i), { userKey: key, clock: clock.now })
  gc()
  const perMark = (process.memoryUsage().heapUsed - before) / n
  t.equal(store.size, n)
  // Padded to 528 characters each, a mark held about 750 bytes; without the padding, about 250.
  t.ok(perMark < 350, `a device mark of a 20-character user key takes ${perMark.toFixed(0)} bytes of heap`)

  // The compacted form of a's mark is a possible user key: signing it out touches no device, and a's mark signs no one out.
  const issued = clock.now() - 1
  const padded = (id: string): string => `device:${id.length}:${id}:`.padEnd(512 + 16, '#')
  await store.revokeUser(padded('abc'), clock.now(), HOUR)
  t.equal(await store.isRevoked('s', 'device:3:abc:', issued), false, 'a user key shaped like a compacted mark is not hit')
  t.equal(await store.isRevoked('s', padded('abc'), issued), true)
  await store.revokeUser('device:3:xyz:', clock.now(), HOUR)
  t.equal(await store.isRevoked('s', padded('xyz'), issued), false, 'a sign-out is not a device mark')
  // A long key that is not a device mark's form is kept exactly: one '#' more or less is another key.
  const odd = 'x'.repeat(520) + '##'
  await store.revokeUser(odd, clock.now(), HOUR)
  t.equal(await store.isRevoked('s', odd, issued), true)
  t.equal(await store.isRevoked('s', odd.slice(0, -1), issued), false)
  t.equal(await store.isRevoked('s', padded('abc') + '#', issued), false, 'a padded mark with one pad too many is another key')
})

await t.test('options are checked at construction', async (t) => {
  t.throws(() => new MemoryRevocationStore({ maxEntries: 0 }), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"maxEntries"/ })
  t.throws(() => new MemoryRevocationStore({ maxEntries: 1.5 }), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"maxEntries"/ })
  t.throws(() => new MemoryRevocationStore({ clock: 5 as unknown as () => number }), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"clock"/ })
  const store = new MemoryRevocationStore()
  await store.revokeSession('s', 1000)
  t.equal(await store.isRevoked('s', undefined, Date.now()), true, 'the defaults work (real clock)')
})
