// The cost of sharing MFA state: attempt increments and revocation checks on the memory stores beside the Redis
// stores over a local redis-server (started here: persistence off, loopback, killed at the end), same run. Latency is
// one call at a time (p50/p99 of 2000 calls after 200 warm-up); throughput is 20000 calls with 50 in flight.
import { performance } from 'node:perf_hooks'
import { createRedisStores, MemoryAttemptStore, MemoryRevocationStore, type AttemptStore, type RevocationStore } from '@okta-mfa/core'
import { startRedis } from './redis-server.js'
import { machine, writeSection } from './report.js'

const WARMUP = 200
const SEQUENTIAL = 2000
const PARALLEL = 20_000
const IN_FLIGHT = 50

/** Latency (µs, one at a time) and throughput (calls/s, IN_FLIGHT at a time) of `op`. */
async function measure (op: (i: number) => Promise<unknown>): Promise<{ p50: number, p99: number, perSecond: number }> {
  for (let i = 0; i < WARMUP; i++) await op(i)
  const times: number[] = []
  for (let i = 0; i < SEQUENTIAL; i++) {
    const start = performance.now()
    await op(i)
    times.push((performance.now() - start) * 1000)
  }
  times.sort((a, b) => a - b)
  let next = 0
  const start = performance.now()
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < PARALLEL) await op(next++)
  }))
  const seconds = (performance.now() - start) / 1000
  return { p50: times[Math.floor(SEQUENTIAL * 0.5)]!, p99: times[Math.floor(SEQUENTIAL * 0.99)]!, perSecond: PARALLEL / seconds }
}

export async function run (): Promise<void> {
  const server = await startRedis()
  const rows: string[] = []
  try {
    const redis = createRedisStores(server.url, { prefix: 'bench:' })
    await redis.ping()
    const attemptStores: Array<[string, AttemptStore]> = [['memory', new MemoryAttemptStore()], ['Redis', redis.attempts]]
    const revocationStores: Array<[string, RevocationStore]> = [['memory', new MemoryRevocationStore()], ['Redis', redis.revocations]]
    for (const [, store] of revocationStores) await store.revokeUser('user-1', Date.now() - 60_000, 3600_000)
    const cases: Array<[string, string, (i: number) => Promise<unknown>]> = [
      ...attemptStores.map(([name, store]): [string, string, (i: number) => Promise<unknown>] =>
        [name, 'attempts.increment (100 users)', async (i) => await store.increment(`user-${i % 100}`, 900_000, Date.now())]),
      ...revocationStores.map(([name, store]): [string, string, (i: number) => Promise<unknown>] =>
        [name, 'revocations.isRevoked (session + user)', async (i) => await store.isRevoked(`session-${i}`, `user-${i % 100}`, Date.now())]),
    ]
    for (const [name, op, fn] of cases) {
      const r = await measure(fn)
      console.log(`${name} ${op}: p50 ${r.p50.toFixed(1)} µs, p99 ${r.p99.toFixed(1)} µs, ${Math.round(r.perSecond)}/s`)
      rows.push(`| ${op} | ${name} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${Math.round(r.perSecond).toLocaleString('en-US')} |`)
    }
    await redis.close()
  } finally {
    server.proc.kill('SIGKILL')
  }
  await writeSection('redis-store', `## Stores: memory vs Redis

${machine()}; redis-server on loopback, no persistence. Latency: one call at a time, ${SEQUENTIAL} calls after ${WARMUP}
warm-up. Throughput: ${PARALLEL} calls, ${IN_FLIGHT} in flight. Redis costs a network round trip per call; what that
costs a verify (which also waits for Okta) is measured through the gateway.

| Operation | Store | p50 µs | p99 µs | calls/s |
| --- | --- | ---: | ---: | ---: |
${rows.join('\n')}`)
}
