// Not a benchmark (run.ts skips it): a quick loop for profiling the gateway. Starts the emulator, the gateway and the
// minimal proxy as the gateway bench does (its children), drives each with autocannon for a few seconds in turns and
// prints each server's CPU µs per verify. With `--cpu-prof DIR` the gateway runs under `node --cpu-prof` and writes
// its profile into DIR on exit; summarize it with `node bench/dist/cpuprofile-summary.js FILE`.
//   node bench/dist/profile-gateway.js [--cpu-prof DIR] [--seconds N] [--rounds N] [--gateway-flags '--node-flag ...']
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { SERVER_ENV } from './gateway.bench.js'

type Msg = { type: string, [k: string]: unknown }
const BENCH = fileURLToPath(new URL('gateway.bench.js', import.meta.url))
const USER_ID = '00ubench000000000001'
const FACTOR_ID = 'ostbench000000000001'

function arg (name: string): string | undefined {
  const i = process.argv.indexOf(name)
  return i === -1 ? undefined : process.argv[i + 1]
}

interface Child { proc: ChildProcess, info: Msg, ask: (type: string) => Promise<Msg> }

async function start (role: string, env: Record<string, string> = {}, execArgv: string[] = []): Promise<Child> {
  const proc = fork(BENCH, ['--bench-child', role], { env: { ...process.env, ...SERVER_ENV, ...env }, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const waiting = new Map<string, (m: Msg) => void>()
  proc.on('message', (m: Msg) => { waiting.get(m.type)?.(m); waiting.delete(m.type) })
  const ask = async (type: string): Promise<Msg> => await new Promise((resolve) => { waiting.set(type, resolve); proc.send({ type }) })
  const info = await new Promise<Msg>((resolve) => { waiting.set('ready', resolve) })
  return { proc, info, ask }
}

async function stop (child: Child): Promise<void> {
  await new Promise<void>((resolve) => { child.proc.once('exit', () => { resolve() }); child.proc.send({ type: 'exit' }) })
}

const seconds = Number(arg('--seconds') ?? 3)
const rounds = Number(arg('--rounds') ?? 3)
const profDir = arg('--cpu-prof')
const emulator = await start('emulator')
const env = { ORG_URL: String(emulator.info.url), TOKEN: String(emulator.info.token) }
const gatewayFlags = (arg('--gateway-flags') ?? '').split(' ').filter((f) => f !== '')
const gateway = await start('gateway', env, [...gatewayFlags, ...(profDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profDir])])
const proxy = await start('proxy', env, profDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', `${profDir}/proxy`])
const login = await fetch(`${String(gateway.info.url)}/bench/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!
const mutation = 'mutation V($f: ID!, $p: String!) { verifyFactor(factorId: $f, passCode: $p) { result } }'
const cases = [
  { name: 'gateway', child: gateway, url: `${String(gateway.info.url)}/graphql`, headers: { 'content-type': 'application/json', cookie }, body: (code: string) => JSON.stringify({ query: mutation, variables: { f: FACTOR_ID, p: code } }) },
  { name: 'proxy', child: proxy, url: `${String(proxy.info.url)}/verify`, headers: { 'content-type': 'application/json' }, body: (code: string) => JSON.stringify({ passCode: code }) },
]
const totals = cases.map(() => ({ requests: 0, cpu: 0, sys: 0, seconds: 0, p99: 0, non2xx: 0 }))
for (let round = 0; round <= rounds; round++) {
  const code = String((await emulator.ask('code')).code)
  for (const [k, c] of cases.entries()) {
    const before = await c.child.ask('stats')
    const r = await autocannon({ url: c.url, method: 'POST', headers: c.headers, body: c.body(code), connections: 50, duration: seconds })
    const after = await c.child.ask('stats')
    if (round === 0) continue // warm-up
    const t = totals[k]!
    t.requests += r.requests.total
    t.seconds += r.duration
    t.cpu += Number(after.cpuMicros) - Number(before.cpuMicros)
    t.sys += Number(after.systemMicros) - Number(before.systemMicros)
    t.p99 = Math.max(t.p99, r.latency.p99)
    t.non2xx += r.non2xx
  }
}
for (const [k, c] of cases.entries()) {
  const t = totals[k]!
  const rss = Number((await c.child.ask('stats')).maxRssBytes) / 2 ** 20
  console.log(`${c.name}: ${Math.round(t.requests / t.seconds)} req/s, ${(t.cpu / t.requests).toFixed(1)} µs CPU/req (${(t.sys / t.requests).toFixed(1)} system), p99 ${t.p99} ms, peak RSS ${rss.toFixed(0)} MiB, non-2xx ${t.non2xx}`)
}
console.log(`CPU gateway / proxy: ${((totals[0]!.cpu / totals[0]!.requests) / (totals[1]!.cpu / totals[1]!.requests)).toFixed(2)}`)
for (const c of [gateway, proxy, emulator]) await stop(c)
void USER_ID
