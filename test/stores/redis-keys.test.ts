// Guards what the Redis stores leave in Redis and how they are set up: every key under its prefix, hashed (no login or
// session id in key names), with a TTL; prefixes isolate apps; two clients (two instances) share one atomic counter;
// createRedisStores and the store constructors refuse bad options with a TypeError naming the option.
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import t from 'tap'
import { Redis } from 'ioredis'
import { attemptKey, createRedisStores, RedisAttemptStore, RedisRevocationStore, DEFAULT_REDIS_PREFIX, redisUrlProblem, STORE_UNAVAILABLE } from '@okta-mfa/core'
import { withRedis } from '../helpers/redis.js'

const redis = await withRedis(t)
const admin = new Redis(redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0 })
t.teardown(() => admin.disconnect())
await new Promise((resolve) => admin.once('ready', resolve))

async function keysOf (pattern: string): Promise<string[]> {
  const found: string[] = []
  let cursor = '0'
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
    found.push(...keys)
    cursor = next
  } while (cursor !== '0')
  return found.sort()
}

await t.test('keys: under the prefix, hashed, each with a TTL no longer than asked', async (t) => {
  const stores = createRedisStores(redis.url)
  t.teardown(stores.close)
  await stores.ping()
  const now = Date.now()
  await stores.attempts.increment('alice@example.org', 60_000, now)
  await stores.revocations.revokeSession('secret-session-id', 30_000)
  await stores.revocations.revokeUser('alice@example.org', now, 45_000)

  const keys = await keysOf('*')
  t.equal(keys.length, 3, 'three keys, nothing else')
  t.ok(keys.every((k) => k.startsWith(DEFAULT_REDIS_PREFIX)), `all under ${DEFAULT_REDIS_PREFIX}`)
  t.notOk(keys.some((k) => /alice|example|secret/.test(k)), 'no login or session id in a key name')
  t.same(keys, [
    stores.revocations.sessionKeyOf('secret-session-id'),
    stores.revocations.userKeyOf('alice@example.org'),
    stores.attempts.keyOf('alice@example.org'),
  ].sort())
  // The key names are a stored format: a release that hashed differently would orphan every live counter and revocation.
  const sha = (text: string): string => createHash('sha256').update(text, 'utf8').digest('base64url')
  t.equal(stores.attempts.keyOf('alice@example.org'), `${DEFAULT_REDIS_PREFIX}att:${sha('alice@example.org')}`)
  t.equal(stores.revocations.sessionKeyOf('secret-session-id'), `${DEFAULT_REDIS_PREFIX}{rev}:s:${sha('secret-session-id')}`)
  t.equal(stores.revocations.userKeyOf('alice@example.org'), `${DEFAULT_REDIS_PREFIX}{rev}:u:${sha('alice@example.org')}`)
  t.equal(attemptKey('mfa', 'ädä'), `mfa:${sha('ädä')}`, "the limiter's key, as the README's table gives it")
  t.equal(await admin.get(stores.revocations.userKeyOf('alice@example.org')), String(now), 'the user mark holds the time, nothing else')
  const ttls = Object.fromEntries(await Promise.all(keys.map(async (k) => [k, await admin.pttl(k)] as const)))
  t.ok(ttls[stores.attempts.keyOf('alice@example.org')]! > 55_000 && ttls[stores.attempts.keyOf('alice@example.org')]! <= 60_000, 'attempt TTL = window')
  t.ok(ttls[stores.revocations.sessionKeyOf('secret-session-id')]! <= 30_000, 'session TTL as asked')
  t.ok(ttls[stores.revocations.userKeyOf('alice@example.org')]! <= 45_000, 'user TTL as asked')
  t.ok(Object.values(ttls).every((ms) => ms > 0), 'every key expires')
  await stores.attempts.reset('alice@example.org')
  t.equal((await keysOf(`${DEFAULT_REDIS_PREFIX}att:*`)).length, 0, 'reset deletes the key')
  await admin.flushall()
})

await t.test('prefixes isolate two apps on one Redis', async (t) => {
  const client = new Redis(redis.url, { enableOfflineQueue: false })
  t.teardown(() => client.disconnect())
  await new Promise((resolve) => client.once('ready', resolve))
  const a = new RedisAttemptStore(client, { prefix: 'app-a:' })
  const b = new RedisAttemptStore(client, { prefix: 'app-b:' })
  const ra = new RedisRevocationStore(client, { prefix: 'app-a:' })
  const rb = new RedisRevocationStore(client, { prefix: 'app-b:' })
  const now = Date.now()
  await a.increment('alice', 60_000, now)
  await a.increment('alice', 60_000, now)
  t.equal((await b.increment('alice', 60_000, now)).count, 1, 'app-b counts from 1')
  await ra.revokeSession('s1', 60_000)
  await ra.revokeUser('alice', now, 60_000)
  t.equal(await rb.isRevoked('s1', 'alice', now - 1), false, 'app-b sees no revocation of app-a')
  t.equal(await ra.isRevoked('s1', 'alice', now - 1), true)
  t.equal((await keysOf('app-a:*')).length, 3)
  t.equal((await keysOf('app-b:*')).length, 1)
  await admin.flushall()
})

await t.test("an ACL user with the README's keys and commands runs every store call; without a command a script runs, NOPERM", async (t) => {
  const PW = 'acl-user-pw'
  await admin.call('ACL', 'SETUSER', 'mfa-stores', 'on', `>${PW}`, '~okta-mfa:*', '-@all', '+evalsha', '+eval', '+get', '+set', '+del', '+pttl', '+pexpire', '+exists', '+info', '+select')
  t.teardown(async () => { await admin.call('ACL', 'DELUSER', 'mfa-stores', 'mfa-no-pttl') })
  const url = `redis://mfa-stores:${PW}@127.0.0.1:${redis.port}/3`
  const stores = createRedisStores(url)
  t.teardown(stores.close)
  await stores.ping()
  const now = Date.now()
  t.equal((await stores.attempts.increment('acl-user', 60_000, now)).count, 1)
  t.equal((await stores.attempts.increment('acl-user', 60_000, now)).count, 2)
  await stores.attempts.decrement('acl-user')
  t.equal((await stores.attempts.get('acl-user', now))?.count, 1, 'counted, taken back and read')
  await stores.attempts.settle('acl-user')
  await stores.attempts.subtract('acl-user', 1)
  await stores.attempts.reset('acl-user')
  t.equal(await stores.attempts.get('acl-user', now), undefined, 'and reset')
  await stores.revocations.revokeSession('acl-session', 60_000)
  await stores.revocations.revokeUser('acl-user', now, 60_000)
  t.equal(await stores.revocations.isRevoked('acl-session', undefined, now), true)
  t.equal(await stores.revocations.isRevoked('other-session', 'acl-user', now - 1), true)

  // One command short (PTTL, which the counting script runs): every count refused, and said why.
  await admin.call('ACL', 'SETUSER', 'mfa-no-pttl', 'on', `>${PW}`, '~okta-mfa:*', '-@all', '+evalsha', '+eval', '+get', '+set', '+del', '+pexpire', '+exists', '+info', '+select')
  const short = createRedisStores(`redis://mfa-no-pttl:${PW}@127.0.0.1:${redis.port}/3`)
  t.teardown(short.close)
  await short.ping()
  const err = await short.attempts.increment('acl-user', 60_000, now).then(() => undefined, (e: unknown) => e)
  t.match(err, { code: STORE_UNAVAILABLE, reason: 'NOPERM' }, 'NOPERM, not ERR: the word an operator looks up')
  t.notMatch((err as Error).message, /script|executing|@user_script/, 'and the rest of the reply is not in the message')
})

await t.test('two clients (two instances) share one counter: 60 parallel attempts get exactly 1..60', async (t) => {
  const clients = [new Redis(redis.url, { enableOfflineQueue: false }), new Redis(redis.url, { enableOfflineQueue: false })]
  t.teardown(() => { for (const c of clients) c.disconnect() })
  await Promise.all(clients.map(async (c) => await new Promise((resolve) => c.once('ready', resolve))))
  const stores = clients.map((c) => new RedisAttemptStore(c))
  const counts = await Promise.all(Array.from({ length: 60 }, async (_, i) => (await stores[i % 2]!.increment('bob', 60_000, Date.now())).count))
  t.same(counts.sort((x, y) => x - y), Array.from({ length: 60 }, (_, i) => i + 1))
  t.equal(await admin.pttl(stores[0]!.keyOf('bob')) <= 60_000, true, 'one window, set once')
  const revocations = clients.map((c) => new RedisRevocationStore(c))
  await revocations[0]!.revokeSession('s9', 60_000)
  t.equal(await revocations[1]!.isRevoked('s9', undefined, Date.now()), true, 'a logout on one instance is seen on the other')
  await admin.flushall()
})

await t.test('a counter written in the last millisecond of its window (PTTL 0) never outlives it, whichever call wrote it', async (t) => {
  const stores = createRedisStores(redis.url)
  t.teardown(stores.close)
  await stores.ping()
  const { attempts } = stores
  // Each call below is made over and over until its counter's 25 ms window is gone: some land in the window's last
  // millisecond, when Redis still serves the key with PTTL 0. A counter written then without a TTL kept its count for
  // ever: the next window began with the last one's attempts (a user locked out for a second window).
  const calls: Record<string, (key: string) => Promise<unknown>> = {
    increment: async (key) => await attempts.increment(key, 25, Date.now()),
    decrement: async (key) => await attempts.decrement(key),
    settle: async (key) => await attempts.settle(key),
    subtract: async (key) => await attempts.subtract(key, 0),
  }
  for (const [name, call] of Object.entries(calls)) {
    let persistent = 0
    for (let round = 0; round < 12; round++) {
      const key = `edge-${name}-${round}`
      for (let i = 0; i < 40; i++) await attempts.increment(key, 25, Date.now())
      const started = Date.now()
      while (Date.now() - started < 200 && await admin.exists(attempts.keyOf(key)) === 1) {
        await call(key)
        if (await admin.pttl(attempts.keyOf(key)) === -1) {
          persistent++
          await admin.del(attempts.keyOf(key))
        }
      }
    }
    t.equal(persistent, 0, `${name}: no counter left without a TTL`)
  }
  // The count itself: the first increment of the next window counts 1, whenever it lands, as in the memory store. The
  // counter is set as the store writes it (40 attempts, 25 ms left), so a slow machine cannot spend the window first.
  const key = 'edge-count'
  const firsts: Array<number | undefined> = []
  for (let round = 0; round < 40; round++) {
    await admin.set(attempts.keyOf(key), '40', 'PX', 25)
    let last = 40
    let first: number | undefined
    const started = Date.now()
    while (first === undefined && Date.now() - started < 2000) {
      const { count } = await attempts.increment(key, 25, Date.now())
      if (count < last) first = count
      last = count
    }
    firsts.push(first)
    await attempts.reset(key)
  }
  t.same(firsts, Array.from({ length: 40 }, () => 1), "every new window starts at 1, never with the last one's count")
  await admin.flushall()
})

await t.test('a key of ours holding a value that is not ours fails closed: never a huge negative count, never "not revoked"', async (t) => {
  const stores = createRedisStores(redis.url)
  t.teardown(stores.close)
  await stores.ping()
  const now = Date.now()
  const refused = async (name: string, call: () => Promise<unknown>): Promise<void> => {
    const err = await call().then(() => undefined, (e: unknown) => e)
    t.equal((err as { code?: unknown } | undefined)?.code, STORE_UNAVAILABLE, `${name}: STORE_UNAVAILABLE`)
  }
  // Lua reads 'nan', '1e309' or INT64_MAX as a number Redis answers as -9223372036854775808: "not paused".
  // Nor a settled form that is not three counts: '1:2', '1:-1:0', '1:2:3:4', a part too long to be a count.
  for (const value of ['abc', '', '-5', 'nan', '1e309', '9223372036854775807', '{"count":1}', '1:2', '1:-1:0', '1:2:3:4', `1:${'9'.repeat(16)}:0`]) {
    await admin.set(stores.attempts.keyOf('carol'), value, 'PX', 60_000)
    await refused(`get over ${JSON.stringify(value)}`, () => stores.attempts.get('carol', now))
    await refused(`increment over ${JSON.stringify(value)}`, () => stores.attempts.increment('carol', 60_000, now))
  }
  // A key written before `settle` existed (a plain count) is read as it was, and one that has answered codes keeps its window.
  await admin.set(stores.attempts.keyOf('carol'), '2', 'PX', 60_000)
  t.same(await stores.attempts.increment('carol', 60_000, now).then((c) => [c.count, c.settled]), [3, 0], 'a plain count goes on')
  await stores.attempts.settle('carol')
  t.equal(await admin.get(stores.attempts.keyOf('carol')), '3:1:0', 'stored as count:settled:taken')
  const kept = await admin.pttl(stores.attempts.keyOf('carol'))
  t.ok(kept > 50_000 && kept <= 60_000, 'the window is kept')
  t.same(await stores.attempts.get('carol', now).then((c) => c?.count), 3)
  // A negative counter without a TTL: refused (never -4 attempts, five more guesses), and it now ends with the window.
  await admin.set(stores.attempts.keyOf('carol'), '-5')
  await refused('increment over -5 without a TTL', () => stores.attempts.increment('carol', 60_000, now))
  t.ok(await admin.pttl(stores.attempts.keyOf('carol')) > 0, 'the key now expires')
  // Values INCR itself refuses, and keys of another type, without a TTL: refused, and they end with the window too
  // (not a lockout that lasts until someone deletes the key by hand).
  const foreign: Array<[string, () => Promise<unknown>]> = [
    ...['abc', 'nan', '3.5', '9223372036854775807', ''].map((v): [string, () => Promise<unknown>] => [JSON.stringify(v), async () => await admin.set(stores.attempts.keyOf('dave'), v)]),
    ['a hash', async () => await admin.hset(stores.attempts.keyOf('dave'), 'count', '1')],
    ['a list', async () => await admin.rpush(stores.attempts.keyOf('dave'), '1')],
  ]
  for (const [what, put] of foreign) {
    await admin.del(stores.attempts.keyOf('dave'))
    await put()
    t.equal(await admin.pttl(stores.attempts.keyOf('dave')), -1, `${what}: no TTL to start with`)
    await refused(`increment over ${what} without a TTL`, () => stores.attempts.increment('dave', 60_000, now))
    const left = await admin.pttl(stores.attempts.keyOf('dave'))
    t.ok(left > 0 && left <= 60_000, `${what}: now ends with the window`)
  }

  for (const value of ['abc', '', '{"before":1}']) {
    await admin.set(stores.revocations.userKeyOf('carol'), value, 'PX', 60_000)
    await refused(`isRevoked over a user mark ${JSON.stringify(value)}`, () => stores.revocations.isRevoked('s1', 'carol', now))
    await stores.revocations.revokeUser('carol', now, 60_000)
    t.equal(await admin.get(stores.revocations.userKeyOf('carol')), String(now), `revokeUser replaces ${JSON.stringify(value)}`)
    t.equal(await stores.revocations.isRevoked('s1', 'carol', now), true)
  }
  // '0x10' and '1e3' are numbers to Number() and to Lua's tonumber, but no mark revokeUser writes: refused, then replaced.
  for (const value of ['0x10', '1e3', ' 12']) {
    await admin.set(stores.revocations.userKeyOf('erin'), value, 'PX', 60_000)
    await refused(`isRevoked over a user mark ${JSON.stringify(value)}`, () => stores.revocations.isRevoked('s1', 'erin', now))
    await stores.revocations.revokeUser('erin', 5, 60_000)
    t.equal(await admin.get(stores.revocations.userKeyOf('erin')), '5', `revokeUser replaces ${JSON.stringify(value)}, not keeping it as a later mark`)
    await admin.del(stores.revocations.userKeyOf('erin'))
  }
  // A user mark of another type: MGET would read it as nil ("not revoked"), and GET in revokeUser fails on it.
  for (const [what, put] of [
    ['a hash', async () => await admin.hset(stores.revocations.userKeyOf('frank'), 'x', '1')],
    ['a list', async () => await admin.rpush(stores.revocations.userKeyOf('frank'), '1')],
    ['a set', async () => await admin.sadd(stores.revocations.userKeyOf('frank'), '1')],
  ] as Array<[string, () => Promise<unknown>]>) {
    await put()
    await refused(`isRevoked over a user mark that is ${what}`, () => stores.revocations.isRevoked('s1', 'frank', now))
    await stores.revocations.revokeUser('frank', now, 60_000)
    t.equal(await admin.get(stores.revocations.userKeyOf('frank')), String(now), `"sign out of all sessions" replaces ${what}`)
    t.equal(await stores.revocations.isRevoked('s1', 'frank', now), true, 'and is seen')
    await admin.del(stores.revocations.userKeyOf('frank'))
  }
  // A session key of another type is never "not revoked".
  await admin.hset(stores.revocations.sessionKeyOf('s-hash'), 'x', '1')
  t.equal(await stores.revocations.isRevoked('s-hash', undefined, now), true)
  t.equal(await stores.revocations.isRevoked('s-hash', 'frank', now), true)
  t.equal(await stores.revocations.isRevoked('s-other', 'frank', now), false, 'no mark, no revoked session: not revoked')
  await admin.flushall()
})

await t.test('bad options and arguments are programmer mistakes: TypeError naming them', async (t) => {
  t.throws(() => createRedisStores('http://127.0.0.1:1'), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"url"/ })
  // A database that is not a number: ioredis would send SELECT NaN (an unhandled rejection, then database 0) or
  // SELECT 3 for 3.5. The message never repeats the URL, which may hold a password.
  for (const db of ['/abc', '/3.5', '/-1', '/1e2', '/%33', '/3/', '/3/x', '?db=abc', '/2?db=x']) {
    t.throws(() => createRedisStores(`redis://:s3cret@127.0.0.1:6379${db}`), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /^"url": the database after the host must be a number/ }, `database ${db}`)
    t.throws(() => createRedisStores(`redis://:s3cret@127.0.0.1:6379${db}`), { message: /^(?!.*s3cret)/ }, `${db}: no password in the message`)
  }
  for (const db of ['', '/', '/0', '/1', '?db=1']) {
    const stores = createRedisStores(`${redis.url}${db}`)
    await stores.ping()
    await stores.close()
    t.pass(`database "${db}" is taken`)
  }
  t.throws(() => createRedisStores('redis://:s3cret@[::1'), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /^"url" must be redis:\/\/\[user:password@\]host\[:port\]\[\/db\] or rediss:\/\/… \(its value is not shown/ }, 'an unparsable URL')
  t.throws(() => createRedisStores('redis://:s3cret@127.0.0.1:6379?family=6'), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /^"url" must be redis:/ }, 'another ioredis option in the query')
  for (const bad of ['redis://:pw%ZZs3cret@127.0.0.1:6379', 'redis://us%Er:s3cret@127.0.0.1:6379', 'redis://:s3cret%@127.0.0.1:6379']) {
    t.throws(() => createRedisStores(bad), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /^"url" must be redis:.*\(its value is not shown(?!.*s3cret)/ }, `a malformed escape in the user or password: ${bad}`)
    t.match(redisUrlProblem(bad), /^REDIS_URL must be/, 'named at start by the servers that read REDIS_URL')
  }
  t.equal(redisUrlProblem('redis://:p%40ss%2Fword@127.0.0.1:6379'), undefined, 'a well-formed escape is fine')
  // What the URL parser drops silently and ioredis does not: refused, named, never shown.
  for (const pasted of [' redis://:s3cret@127.0.0.1:6379', '\tredis://:s3cret@127.0.0.1:6379', 'redis://:s3cret@127.0.0.1:6379\n', 'redis://:s3c\tret@127.0.0.1:6379', '\u0000redis://:s3cret@127.0.0.1:6379']) {
    t.match(redisUrlProblem(pasted), /^REDIS_URL holds a space, a tab, a line break or another control character(?!.*s3cret)/, `refused at start: ${JSON.stringify(pasted)}`)
    t.throws(() => createRedisStores(pasted), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /^"url" holds a space(?!.*s3cret)/ }, `and by createRedisStores: ${JSON.stringify(pasted)}`)
  }
  // Two databases: ioredis would take the path's and drop the other without a word.
  t.throws(() => createRedisStores('redis://:s3cret@127.0.0.1:6379/2?db=3'), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /^"url" names its database twice.*\(its value is not shown(?!.*s3cret)/ })
  t.match(redisUrlProblem('redis://127.0.0.1:6379/2?db=2'), /^REDIS_URL names its database twice/, 'even the same one twice')
  t.equal(redisUrlProblem('redis://127.0.0.1:6379/?db=3'), undefined, 'a bare / with ?db= is one database')
  t.match(redisUrlProblem('redis://:s3cret@127.0.0.1:6379/0#x'), /^REDIS_URL must be redis:(?!.*s3cret)/, 'a fragment')
  for (const hostless of ['redis:///0', 'redis://', 'rediss:///']) t.match(redisUrlProblem(hostless), /^REDIS_URL must be redis:/, `no host (ioredis would quietly take localhost): ${hostless}`)
  t.match(redisUrlProblem('http://127.0.0.1:6379'), /^REDIS_URL must be redis:/, 'another scheme')
  for (const named of ['/2', '?db=2', '/?db=2']) {
    t.throws(() => createRedisStores(`redis://:s3cret@127.0.0.1:6379${named}`, { redisOptions: { db: 3 } }), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /^"redisOptions\.db" option: the URL names a database already; keep one$/ }, `the URL's ${named} and redisOptions.db`)
  }
  t.throws(() => createRedisStores(redis.url, { redisOptions: { db: 'abc' as unknown as number } }), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"redisOptions.db"/ })
  t.throws(() => createRedisStores(redis.url, { redisOptions: { db: 1.5 } }), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"redisOptions.db"/ })
  t.throws(() => createRedisStores(redis.url, { commandTimeoutMs: 0 }), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"commandTimeoutMs"/ })
  // A timer over 2^31 - 1 ms fires after 1 ms: every command would have failed as timed out.
  t.throws(() => createRedisStores(redis.url, { commandTimeoutMs: Number.MAX_SAFE_INTEGER }), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"commandTimeoutMs" option must be a positive integer of at most 2147483647/ })
  t.throws(() => createRedisStores(redis.url, { connectTimeoutMs: 2 ** 31 }), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"connectTimeoutMs" option must be a positive integer of at most/ })
  t.throws(() => new RedisAttemptStore(admin, { commandTimeoutMs: 2 ** 40 }), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"commandTimeoutMs" option must be a positive integer of at most/ })
  t.throws(() => createRedisStores(redis.url, { connectTimeoutMs: 1.5 }), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"connectTimeoutMs"/ })
  t.throws(() => createRedisStores(redis.url, { maxReconnectDelayMs: -1 }), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"maxReconnectDelayMs"/ })
  t.throws(() => createRedisStores(redis.url, { prefix: 42 as unknown as string }), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"prefix"/ })
  t.throws(() => new RedisAttemptStore(admin, { prefix: 'p'.repeat(201) }), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"prefix" option must be a string of at most 200 characters/ }, 'every key carries the prefix: it is bounded')
  t.equal(new RedisAttemptStore(admin, { prefix: 'p'.repeat(200) }).keyOf('k').startsWith('p'.repeat(200)), true, '200 characters are fine')
  t.throws(() => createRedisStores(redis.url, { onError: 'log' as unknown as () => void }), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"onError"/ })
  t.throws(() => createRedisStores(redis.url, { onStatusChange: 'log' as unknown as () => void }), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"onStatusChange"/ })
  // A misspelt prefix would put this app's keys under the shared default: refused, before any connection.
  t.throws(() => createRedisStores(redis.url, { prefx: 'app1:' } as never), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /^"prefx" is not an option of createRedisStores$/ })
  const lazy = new Redis(redis.url, { lazyConnect: true })
  t.teardown(() => lazy.disconnect())
  t.throws(() => new RedisAttemptStore(lazy, { prefx: 'app1:' } as never), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"prefx" is not an option of the Redis stores/ })
  t.throws(() => new RedisRevocationStore(lazy, { comandTimeoutMs: 5 } as never), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"comandTimeoutMs" is not an option/ })
  t.throws(() => new RedisAttemptStore({} as never), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"client"/ })
  t.throws(() => new RedisRevocationStore(admin, { commandTimeoutMs: Number.NaN }), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"commandTimeoutMs"/ })
  const store = new RedisAttemptStore(admin)
  await t.rejects(store.increment('x', 0, Date.now()), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"windowMs"/ })
  // Redis refuses the PEXPIRE of a window beyond 64 bits, after the INCR: refused before anything is sent.
  await t.rejects(store.increment('x', 1e19, Date.now()), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"windowMs" must be a positive number of ms, at most/ })
  t.equal(await admin.exists(store.keyOf('x')), 0, 'no key without a TTL was left')
})

await t.test('in an app without ioredis (an optional peer), createRedisStores throws a coded IoredisMissingError', async (t) => {
  // An app whose node_modules has @okta-mfa/core (a copy, so that ioredis is looked for from there) and its client,
  // but no ioredis: outside the workspace, where ioredis is installed.
  const app = mkdtempSync(join(tmpdir(), 'okta-mfa-no-ioredis-'))
  t.teardown(() => rmSync(app, { recursive: true, force: true }))
  const core = fileURLToPath(new URL('../../packages/mfa-core/', import.meta.url))
  mkdirSync(join(app, 'node_modules', '@okta-mfa'), { recursive: true })
  cpSync(join(core, 'package.json'), join(app, 'node_modules/@okta-mfa/core/package.json'))
  cpSync(join(core, 'dist'), join(app, 'node_modules/@okta-mfa/core/dist'), { recursive: true })
  symlinkSync(fileURLToPath(new URL('../../packages/okta-client', import.meta.url)), join(app, 'node_modules/@okta-mfa/client'), 'dir')
  const script = `import { createRedisStores, IoredisMissingError } from '@okta-mfa/core'
try { createRedisStores(${JSON.stringify(redis.url)}); console.log('created') } catch (err) {
  console.log(JSON.stringify([err.code, err instanceof IoredisMissingError, err.name, err.message]))
}`
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: app })
  t.same(JSON.parse(stdout), ['OKTA_MFA_IOREDIS_MISSING', true, 'IoredisMissingError', 'createRedisStores needs the "ioredis" package: npm install ioredis'])
})
