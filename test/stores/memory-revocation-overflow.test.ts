// Guards MemoryRevocationStore over a long life (audit 13, F3): 400-day "forget remembered devices" marks filling
// their bound never push session revocations (25 h) into the overflow; the overflow comes in generations that are
// dropped once their own entries expired, so sustained logouts beyond the bound keep wrong refusals of fresh sessions
// rare instead of rising for ever; and no revocation, exact or in the overflow, of a session or a user, is forgotten
// before its TTL. The bound's basics are in memory-revocation.test.ts.
import t from 'tap'
import { MemoryRevocationStore, RememberedDevices } from '@okta-mfa/core'
import { fakeClock } from '../helpers/store-contract.js'

const HOUR = 3600_000
const DAY = 24 * HOUR
/** Entries a generation of the overflow takes before the next one opens (revocation-overflow.ts). */
const GENERATION = 65_536
/** Every `step`-th of `items`, the last one included: checking all of several hundred thousand would be slow. */
function sample<T> (items: T[], step: number): T[] {
  const out = items.filter((_, i) => i % step === 0)
  if (items.length > 0 && (items.length - 1) % step !== 0) out.push(items.at(-1)!)
  return out
}

await t.test('400-day user marks filling their bound leave every session revocation exact, for months', async (t) => {
  const clock = fakeClock()
  const store = new MemoryRevocationStore({ clock: clock.now, maxEntries: 200 })
  // RememberedDevices.forgetAll writes a user mark kept 400 days for each factor activated or removed: 200 users enroll
  // over 20 days, filling the user marks' bound.
  const forgets: Array<{ key: string, before: number }> = []
  for (let i = 0; i < 200; i++) {
    if (i % 10 === 0) await clock.advance(DAY)
    forgets.push({ key: `forget-${i}`, before: clock.now() })
    await store.revokeUser(`forget-${i}`, clock.now(), 400 * DAY)
  }
  // Then 60 days of 150 logouts a day (25 h each): fewer than maxEntries live at any time.
  let refused = 0
  for (let day = 0; day < 60; day++) {
    for (let i = 0; i < 150; i++) {
      await store.revokeSession(`logout-${day}-${i}`, 25 * HOUR)
      await clock.advance(DAY / 150)
    }
    for (let i = 0; i < 50; i++) if (await store.isRevoked(`fresh-${day}-${i}`, `user-${i}`, clock.now())) refused++
  }
  t.equal(store.overflowCount, 0, 'no session revocation went to the overflow')
  t.equal(refused, 0, 'no fresh session was refused')
  t.equal(await store.isRevoked('logout-59-149', undefined, clock.now()), true, 'the last logout holds')
  let kept = 0
  for (const { key, before } of forgets) if (await store.isRevoked('device', key, before)) kept++
  t.equal(kept, 200, 'every 400-day mark still holds')
})

await t.test('a "sign out of all sessions" never shares a map or an overflow with the devices\' 400-day marks, whatever its TTL', async (t) => {
  for (const signOutTtl of [25 * HOUR, 45 * DAY]) {
    const clock = fakeClock()
    const store = new MemoryRevocationStore({ clock: clock.now, maxEntries: 20 })
    const devices = new RememberedDevices({ secret: 'a-secret-of-at-least-32-bytes-for-the-hkdf', store, clock: clock.now, activeFactorIds: async () => [] })
    // The devices' mark of a user, as RememberedDevices writes it (checked below to be the one it writes).
    const deviceMark = (id: string): string => `device:${id.length}:${id}:`.padEnd(512 + 16, '#')
    // More users set up a factor than the bound holds: their device marks overflow.
    for (let i = 0; i < 40; i++) await devices.forgetAll({ id: `u${i}` })
    t.ok(await store.isRevoked('device', deviceMark('u39'), clock.now()), 'the mark the test names is the one RememberedDevices writes')
    t.equal(store.overflowCount, 20, 'the device marks past their bound are in their overflow')
    // grace signs out of all her sessions; her own sign-in after it must pass, however many factors others set up later.
    await clock.advance(1000)
    await store.revokeUser('grace', clock.now(), signOutTtl)
    await clock.advance(1000)
    const signedInAgain = clock.now()
    t.ok(await store.isRevoked('old-session', 'grace', signedInAgain - 2000), 'her sessions from before the sign-out are revoked')
    let refused = 0
    for (let i = 40; i < 80; i++) {
      await clock.advance(60_000)
      await devices.forgetAll({ id: `u${i}` })
      if (await store.isRevoked('new-session', 'grace', signedInAgain)) refused++
    }
    t.equal(refused, 0, `TTL ${signOutTtl / HOUR} h: her new session passes, whoever sets up a factor after`)
    // Sign-outs past their own bound go to their own overflow, gone after their TTL while the device marks live on.
    for (let i = 0; i < 25; i++) await store.revokeUser(`signout-${i}`, clock.now(), signOutTtl)
    const at = clock.now()
    t.ok(await store.isRevoked('s', 'signout-24', at - 1), 'a sign-out in the overflow holds')
    await clock.advance(signOutTtl)
    t.notOk(await store.isRevoked('s', 'signout-24', at - 1), 'and is gone after its TTL')
    t.ok(await store.isRevoked('d', deviceMark('u79'), at - 1), 'a device mark in the overflow still holds')
  }
})

await t.test('the overflow comes in generations: a full one refuses more, and is dropped once its entries expired', async (t) => {
  const clock = fakeClock()
  const store = new MemoryRevocationStore({ clock: clock.now, maxEntries: 1 })
  await store.revokeSession('exact', 3 * HOUR)
  const old = Array.from({ length: 3 * GENERATION }, (_, i) => `old-${i}`)
  for (const id of old) await store.revokeSession(id, 2 * HOUR)
  await clock.advance(1000)
  // The three first generations are full; the fourth, the last one allowed, takes every further entry.
  const late = Array.from({ length: GENERATION + 100_000 }, (_, i) => `late-${i}`)
  for (const id of late) await store.revokeSession(id, HOUR)
  t.equal(store.overflowCount, 4 * GENERATION + 100_000, 'nothing dropped')
  let missed = 0
  for (const id of [...sample(old, 7), ...sample(late, 7)]) if (!await store.isRevoked(id, undefined, 0)) missed++
  t.equal(missed, 0, 'every revoked session is refused')
  const wrong: string[] = []
  for (let i = 0; i < 10_000; i++) if (await store.isRevoked(`fresh-${i}`, undefined, clock.now())) wrong.push(`fresh-${i}`)
  t.ok(wrong.length > 0 && wrong.length < 100, `an over-full generation refuses some fresh sessions: ${wrong.length} in 10 000`)

  await clock.advance(HOUR - 1)
  t.equal(await store.isRevoked('late-0', undefined, 0), true, 'held until the last ms of its TTL')
  t.equal(store.overflowCount, 4 * GENERATION + 100_000)
  await clock.advance(1)
  t.equal(store.overflowCount, 3 * GENERATION, 'the over-full generation is dropped once its own entries expired')
  let stillWrong = 0
  for (const id of wrong) if (await store.isRevoked(id, undefined, clock.now())) stillWrong++
  t.equal(stillWrong, 0, 'the fresh sessions it refused are no longer refused')
  t.equal(await store.isRevoked('late-0', undefined, 0), false, 'nor its own (expired) entries')
  missed = 0
  for (const id of sample(old, 7)) if (!await store.isRevoked(id, undefined, 0)) missed++
  t.equal(missed, 0, 'the generations still live keep every entry')
  await store.revokeSession('after', 2 * HOUR)
  t.equal(store.overflowCount, 3 * GENERATION + 1, 'a new generation takes the next one')
  t.equal(await store.isRevoked('after', undefined, 0), true)

  await clock.advance(HOUR - 1001)
  t.equal(await store.isRevoked(old.at(-1)!, undefined, 0), true, 'held until the last ms of its TTL')
  await clock.advance(1001)
  t.equal(store.overflowCount, 1, 'the three older generations are dropped once theirs expired')
  t.equal(await store.isRevoked('old-0', undefined, 0), false)
  t.equal(await store.isRevoked('after', undefined, 0), true, 'the newest lives on')
  t.equal(await store.isRevoked('exact', undefined, 0), true, 'and the exact entry')
})

await t.test('a user mark in the overflow counts up to the latest `before` of its own generation', async (t) => {
  const clock = fakeClock()
  const store = new MemoryRevocationStore({ clock: clock.now, maxEntries: 1 })
  await store.revokeUser('exact', clock.now(), DAY)
  const first = clock.now()
  await store.revokeUser('alice', first, DAY)
  for (let i = 1; i < GENERATION; i++) await store.revokeUser(`early-${i}`, first, DAY)
  await clock.advance(HOUR)
  const second = clock.now()
  await store.revokeUser('bob', second, 30 * DAY) // a longer sign-out mark, of the same (short-lived) kind
  t.equal(store.overflowCount, GENERATION + 1, 'two generations of user marks')
  t.equal(await store.isRevoked('s', 'alice', first), true, "alice's sessions issued until her mark are refused")
  t.equal(await store.isRevoked('s', 'alice', first + 1), false, 'not those issued after it, though a later generation holds later marks')
  t.equal(await store.isRevoked('s', 'bob', second), true)
  t.equal(await store.isRevoked('s', 'bob', second + 1), false)
  t.equal(await store.isRevoked('s', 'carol', first), false, 'a user never revoked is not refused')

  await clock.advance(first + DAY - 1 - clock.now())
  t.equal(await store.isRevoked('s', 'alice', first), true, 'held until the last ms of its TTL')
  await clock.advance(1)
  t.equal(store.overflowCount, 1, "the first generation is dropped once its marks expired, whatever the second's 30 days")
  t.equal(await store.isRevoked('s', 'alice', first), false)
  t.equal(await store.isRevoked('s', 'bob', second), true, "bob's 30-day mark holds")
  await clock.advance(second + 30 * DAY - 1 - clock.now())
  t.equal(await store.isRevoked('s', 'bob', second), true, 'until the last ms of its TTL')
  await clock.advance(1)
  t.equal(await store.isRevoked('s', 'bob', second), false)
  t.equal(store.overflowCount, 0)

  // A mark with an earlier `before` arriving later (an instance whose clock is behind) never lowers its generation's.
  const late = new MemoryRevocationStore({ clock: clock.now, maxEntries: 1 })
  await late.revokeUser('exact', clock.now(), DAY)
  const dan = clock.now()
  await late.revokeUser('dan', dan, DAY)
  await late.revokeUser('eve', dan - HOUR, DAY)
  t.equal(await late.isRevoked('s', 'dan', dan), true, "dan's sessions stay refused after a mark with an earlier time")
})

await t.test('sustained revocations beyond both bounds: none forgotten before its TTL, fresh sessions rarely refused', async (t) => {
  const clock = fakeClock()
  const store = new MemoryRevocationStore({ clock: clock.now, maxEntries: 100 })
  const sessions: Array<{ id: string, expiresAt: number }> = []
  const users: Array<{ key: string, before: number, expiresAt: number }> = []
  let refused = 0
  let samples = 0
  let maxOverflow = 0
  // 4000 logouts an hour (TTLs 1 to 25 h) and 100 user marks (25 h or 400 days) for 6 days.
  for (let hour = 1; hour <= 6 * 24; hour++) {
    for (let i = 0; i < 4000; i++) {
      const id = `s-${hour}-${i}`
      const ttl = HOUR + ((i * 7919 + hour) % 25) * HOUR
      sessions.push({ id, expiresAt: clock.now() + ttl })
      await store.revokeSession(id, ttl)
      if (i % 40 === 0) {
        const ttl = i % 80 === 0 ? 25 * HOUR : 400 * DAY
        const key = `u-${hour}-${i}`
        users.push({ key, before: clock.now(), expiresAt: clock.now() + ttl })
        await store.revokeUser(key, clock.now(), ttl)
      }
      if (i % 400 === 0) await clock.advance(HOUR / 10)
    }
    maxOverflow = Math.max(maxOverflow, store.overflowCount)
    if (hour % 12 !== 0) continue
    const now = clock.now()
    let missed = 0
    for (const { id, expiresAt } of sample(sessions, 13)) if (expiresAt > now && !await store.isRevoked(id, undefined, 0)) missed++
    for (const { key, before, expiresAt } of sample(users, 3)) if (expiresAt > now && !await store.isRevoked('s', key, before)) missed++
    t.equal(missed, 0, `hour ${hour}: every live revocation is refused`)
    if (hour < 48) continue
    for (let i = 0; i < 2000; i++, samples++) if (await store.isRevoked(`fresh-${hour}-${i}`, `fresh-${hour}-${i}`, now - HOUR)) refused++
  }
  t.ok(maxOverflow < 4 * GENERATION, `expired generations make room: at most ${maxOverflow} held at once`)
  // One filter for the whole life (the design before) held all 576 000 logouts at the end and refused 39 in 18 000
  // here, more every day.
  t.ok(refused <= samples / 5000, `fresh sessions refused: ${refused} in ${samples}`)
})
