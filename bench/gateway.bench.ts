// verifyFactor through @okta-mfa/gateway (memory stores, and Redis stores over a local redis-server started here),
// beside the same verify sent straight to the emulator, beside an Apollo Server 4 gateway on the official
// @okta/okta-sdk-nodejs. Each server runs in its own child process so its peak RSS is its own; autocannon drives them
// one after the other from this process, 50 connections, a few seconds each. BENCH_QUICK=1: a short run that prints
// its figures and leaves BENCHMARKS.md alone (to check the bench works on a busy machine).
import { fork, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import type autocannonType from 'autocannon'
import { startRedis } from './redis-server.js'
import { machine, writeSection } from './report.js'

const SELF = fileURLToPath(import.meta.url)
const QUICK = process.env.BENCH_QUICK === '1'
const CONNECTIONS = 50
const SLICES = QUICK ? 2 : 5
const SLICE_S = 1
const WARMUP_S = QUICK ? 1 : 3
const USER_ID = '00ubench000000000001'
const FACTOR_ID = 'ostbench000000000001'
const SECRET = 'JBSWY3DPEHPK3PXP'

type Msg = { type: string, [k: string]: unknown }

/**
 * Every server child runs as it would be deployed: `NODE_ENV=production` (graphql-js drops its development-only
 * checks, Apollo its landing page; Fastify and undici do not read it). The same for every case.
 */
export const SERVER_ENV = Object.freeze({ NODE_ENV: 'production' })

// ---------------------------------------------------------------- child processes

async function emulatorChild (): Promise<void> {
  const { startEmulator } = await import('@okta-mfa/emulator')
  const emu = await startEmulator({
    port: 0,
    quiet: true,
    // Every request does the same work: no rate limits, no lockout, and an accepted code may be accepted again.
    rateLimits: false,
    lockoutThreshold: 0,
    rejectReplayedCodes: false,
    seed: [{ id: USER_ID, login: 'bench@example.com', factors: [{ id: FACTOR_ID, factorType: 'token:software:totp', sharedSecret: SECRET }] }],
  })
  serve({ url: emu.url, token: emu.token }, (msg) => msg.type === 'code' ? { code: emu.totpCode(FACTOR_ID, Date.now()) } : undefined)
}

async function gatewayChild (env: Record<string, string>): Promise<void> {
  const { buildGatewayServer, loadServerConfig } = await import('@okta-mfa/gateway')
  const config = loadServerConfig({
    OKTA_ORG_URL: env.ORG_URL!,
    OKTA_API_TOKEN: env.TOKEN!,
    OKTA_ALLOW_INSECURE_HTTP: 'true',
    SESSION_KEY: randomBytes(32).toString('hex'),
    SESSION_COOKIE_SECURE: 'false',
    LOG_LEVEL: 'warn',
    // Set for the Redis case: attempt counters and revocation checks in Redis instead of this process.
    ...(env.BENCH_REDIS_URL === undefined ? {} : { REDIS_URL: env.BENCH_REDIS_URL }),
  })
  // A permissive attempt limit: the bench measures the verify path, not the lockout.
  const app = await buildGatewayServer(config, { gateway: { maxAttempts: 1_000_000_000 } })
  const { startSession } = await import('@okta-mfa/core')
  app.post('/bench/login', async (request) => {
    // What an app's login does: the user into the session, then the session's identity (the READMEs' startSession
    // step; without it the gateway would give each replayed copy of this cookie a new identity, a random id per
    // request). The app keeps the Okta user id on its user, so no login lookup happens per request.
    const user = { id: 'bench', oktaUserId: USER_ID }
    const session = (request as unknown as { session: { get: (k: string) => unknown, set: (k: string, v: unknown) => void } }).session
    session.set('user', user)
    startSession(request as unknown as Parameters<typeof startSession>[0], { user })
    return { ok: true }
  })
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  serve({ url }, () => undefined)
}

async function apolloChild (env: Record<string, string>): Promise<void> {
  const { ApolloServer } = await import('@apollo/server')
  const { startStandaloneServer } = await import('@apollo/server/standalone')
  const sdkModule = await import('@okta/okta-sdk-nodejs')
  // CommonJS: under ESM the exports sit on `default`.
  const okta = ((sdkModule as unknown as { default?: typeof sdkModule }).default ?? sdkModule)
  const sdk = new okta.Client({ orgUrl: env.ORG_URL!, token: env.TOKEN! })
  const server = new ApolloServer({
    typeDefs: 'type Query { ok: Boolean } type Mutation { verifyFactor(factorId: ID!, passCode: String!): String! }',
    resolvers: {
      Mutation: {
        async verifyFactor (_: unknown, args: { factorId: string, passCode: string }) {
          const result = await sdk.userFactorApi.verifyFactor({ userId: USER_ID, factorId: args.factorId, body: { passCode: args.passCode } })
          return result.factorResult
        },
      },
    },
  })
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } })
  serve({ url }, () => undefined)
}

// ---------------------------------------------------------------- the minimal proxy (issue 15)

/**
 * The floor for any gateway: a bare Fastify route that forwards the same TOTP verify to the emulator over an undici
 * Pool (the same two HTTP hops as the gateway, and nothing else: no GraphQL, no session, no limiter, no logging).
 */
async function proxyChild (env: Record<string, string>): Promise<void> {
  const { default: Fastify } = await import('fastify')
  const { Pool } = await import('undici')
  const origin = new URL(env.ORG_URL!)
  const pool = new Pool(origin.origin, { connections: CONNECTIONS })
  const path = `/api/v1/users/${USER_ID}/factors/${FACTOR_ID}/verify`
  const headers = { authorization: `SSWS ${env.TOKEN!}`, 'content-type': 'application/json', accept: 'application/json' }
  const app = Fastify({ logger: false })
  app.post('/verify', async (request, reply) => {
    const { passCode } = request.body as { passCode: string }
    const res = await pool.request({ method: 'POST', path, headers, body: JSON.stringify({ passCode }) })
    const answer = await res.body.json() as { factorResult?: string }
    return await reply.code(res.statusCode).send({ result: answer.factorResult })
  })
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  serve({ url }, () => undefined)
}

/** The proxy's case: the same verify as the others, as `{ passCode }` JSON. */
function proxyCase (proxy: Child): [Case, Child] {
  return [{
    name: 'minimal proxy (Fastify route + undici Pool)',
    url: `${String(proxy.info.url)}/verify`,
    headers: { 'content-type': 'application/json' },
    body: (code) => JSON.stringify({ passCode: code }),
    ok: (text) => text.includes('"SUCCESS"'),
  }, proxy]
}

/** Child side of the IPC: announce readiness, answer `rss` (peak RSS so far) and role-specific requests. */
function serve (ready: Record<string, unknown>, answer: (msg: Msg) => Record<string, unknown> | undefined): void {
  process.on('message', (msg: Msg) => {
    if (msg.type === 'stats') {
      const cpu = process.cpuUsage()
      process.send!({ type: 'stats', maxRssBytes: process.resourceUsage().maxRSS * 1024, cpuMicros: cpu.user + cpu.system, systemMicros: cpu.system })
    }
    else if (msg.type === 'exit') process.exit(0)
    else process.send!({ type: msg.type, ...answer(msg) })
  })
  process.on('disconnect', () => process.exit(0)) // the parent is gone: do not linger
  process.send!({ type: 'ready', ...ready })
}

// ---------------------------------------------------------------- parent

interface Child { proc: ChildProcess, info: Record<string, unknown>, ask: (type: string) => Promise<Msg> }

async function start (role: string, env: Record<string, string> = {}, execArgv: string[] = []): Promise<Child> {
  const proc = fork(SELF, ['--bench-child', role], { env: { ...process.env, ...SERVER_ENV, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [...process.execArgv, ...execArgv] })
  const waiting = new Map<string, (m: Msg) => void>()
  proc.on('message', (m: Msg) => { waiting.get(m.type)?.(m); waiting.delete(m.type) })
  const ask = async (type: string): Promise<Msg> => await new Promise((resolve) => { waiting.set(type, resolve); proc.send({ type }) })
  const info = await new Promise<Msg>((resolve, reject) => {
    waiting.set('ready', resolve)
    proc.once('exit', (code) => reject(new Error(`${role} child exited with ${String(code)}`)))
  })
  return { proc, info, ask }
}

interface Case { name: string, url: string, headers: Record<string, string>, body: (code: string) => string, ok: (text: string) => boolean }
interface Figures { name: string, rps: number, p50: number, p99: number, rssMiB: number, cpuMicrosPerRequest: number, non2xx: number, errors: number }

// autocannon is loaded in the parent only: every server child forks this file, and autocannon in each of them
// would add its own ~20 MiB to the peak RSS the bench reports for that server.
let loaded: typeof autocannonType | undefined
async function autocannon (opts: autocannonType.Options): Promise<autocannonType.Result> {
  loaded ??= (await import('autocannon')).default
  return await loaded(opts)
}

function optsOf (c: Case, code: string): autocannonType.Options {
  return { url: c.url, method: 'POST', headers: c.headers, body: c.body(code), connections: CONNECTIONS }
}

/** One sanity request (must answer SUCCESS), then the warm-up. */
async function warmUp (c: Case, code: string): Promise<void> {
  const check = await fetch(c.url, { method: 'POST', headers: c.headers, body: c.body(code) })
  const text = await check.text()
  if (!check.ok || !c.ok(text)) throw new Error(`${c.name}: the sanity request failed: ${check.status} ${text.slice(0, 200)}`)
  await autocannon({ ...optsOf(c, code), duration: WARMUP_S })
}

interface Tally { requests: number, seconds: number, p50s: number[], p99s: number[], cpuMicros: number, non2xx: number, errors: number }

/** One slice of one case, added to its tally (the server's own CPU time is read around it). */
async function slice (c: Case, code: string, target: Child, tally: Tally): Promise<void> {
  const before = await target.ask('stats')
  const r = await autocannon({ ...optsOf(c, code), duration: SLICE_S })
  const after = await target.ask('stats')
  tally.requests += r.requests.total
  tally.seconds += r.duration
  tally.p50s.push(r.latency.p50)
  tally.p99s.push(r.latency.p99)
  tally.cpuMicros += Number(after.cpuMicros) - Number(before.cpuMicros)
  tally.non2xx += r.non2xx
  tally.errors += r.errors + r.timeouts
}

function figures (name: string, t: Tally, maxRssBytes: number): Figures {
  const p50s = [...t.p50s].sort((a, b) => a - b)
  return {
    name,
    rps: t.requests / t.seconds,
    p50: p50s[Math.floor(p50s.length / 2)] ?? 0,
    p99: Math.max(...t.p99s),
    rssMiB: maxRssBytes / 2 ** 20,
    cpuMicrosPerRequest: t.cpuMicros / Math.max(1, t.requests),
    non2xx: t.non2xx,
    errors: t.errors,
  }
}

/** The machine's 1-minute load average when the run started (other work on the machine skews req/s and p99). */
let loadAtStart = 0

/** Runs the cases (direct, gateway, Apollo + SDK, minimal proxy) and writes the `gateway` section of BENCHMARKS.md. */
export async function run (): Promise<void> {
  loadAtStart = loadavg()[0] ?? 0
  const children: Child[] = []
  const started = async (role: string, env?: Record<string, string>): Promise<Child> => {
    const child = await start(role, env)
    children.push(child)
    return child
  }
  let redis: { url: string, proc: ChildProcess } | undefined
  try {
    redis = await startRedis()
    const emulator = await started('emulator')
    const env = { ORG_URL: String(emulator.info.url), TOKEN: String(emulator.info.token) }
    const gateway = await started('gateway', env)
    const gatewayRedis = await started('gateway', { ...env, BENCH_REDIS_URL: redis.url })
    const apollo = await started('apollo', env)
    const cookieOf = async (child: Child): Promise<string> => {
      const login = await fetch(`${String(child.info.url)}/bench/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
      return (login.headers.get('set-cookie') ?? '').split(';')[0]!
    }
    const cookie = await cookieOf(gateway)
    const redisCookie = await cookieOf(gatewayRedis)
    const proxy = await started('proxy', env)
    const mutation = 'mutation V($f: ID!, $p: String!) { verifyFactor(factorId: $f, passCode: $p) { result } }'
    const cases: Array<[Case, Child]> = [
      [{
        name: 'emulator, direct',
        url: `${env.ORG_URL}/api/v1/users/${USER_ID}/factors/${FACTOR_ID}/verify`,
        headers: { authorization: `SSWS ${env.TOKEN}`, 'content-type': 'application/json', accept: 'application/json' },
        body: (code) => JSON.stringify({ passCode: code }),
        ok: (text) => text.includes('"SUCCESS"'),
      }, emulator],
      [{
        name: '@okta-mfa/gateway (Fastify + Mercurius + @okta-mfa/client)',
        url: `${String(gateway.info.url)}/graphql`,
        headers: { 'content-type': 'application/json', cookie },
        body: (code) => JSON.stringify({ query: mutation, variables: { f: FACTOR_ID, p: code } }),
        ok: (text) => text.includes('"SUCCESS"'),
      }, gateway],
      [{
        name: '@okta-mfa/gateway, Redis stores (REDIS_URL)',
        url: `${String(gatewayRedis.info.url)}/graphql`,
        headers: { 'content-type': 'application/json', cookie: redisCookie },
        body: (code) => JSON.stringify({ query: mutation, variables: { f: FACTOR_ID, p: code } }),
        ok: (text) => text.includes('"SUCCESS"'),
      }, gatewayRedis],
      [{
        name: 'Apollo Server 4 + @okta/okta-sdk-nodejs',
        url: String(apollo.info.url),
        headers: { 'content-type': 'application/json' },
        body: (code) => JSON.stringify({ query: 'mutation V($f: ID!, $p: String!) { verifyFactor(factorId: $f, passCode: $p) }', variables: { f: FACTOR_ID, p: code } }),
        ok: (text) => text.includes('"SUCCESS"'),
      }, apollo],
      proxyCase(proxy),
    ]
    let code = String((await emulator.ask('code')).code)
    for (const [c] of cases) await warmUp(c, code)
    const tallies = cases.map((): Tally => ({ requests: 0, seconds: 0, p50s: [], p99s: [], cpuMicros: 0, non2xx: 0, errors: 0 }))
    for (let i = 0; i < SLICES; i++) {
      // A fresh code per round keeps it inside the ±1 step window; the order alternates (ABCDE, EDCBA, ...) so that
      // background load on the machine falls on every case alike.
      code = String((await emulator.ask('code')).code)
      const order = cases.map((_, k) => i % 2 === 0 ? k : cases.length - 1 - k)
      for (const k of order) await slice(cases[k]![0], code, cases[k]![1], tallies[k]!)
    }
    const results: Figures[] = []
    for (const [k, [c, target]] of cases.entries()) {
      results.push(figures(c.name, tallies[k]!, Number((await target.ask('stats')).maxRssBytes)))
      const f = results.at(-1)!
      console.log(`${c.name}: ${Math.round(f.rps)} req/s, p99 ${f.p99} ms, ${Math.round(f.cpuMicrosPerRequest)} µs CPU/req, ${f.rssMiB.toFixed(0)} MiB`)
    }
    const [, memory, withRedis] = results as [Figures, Figures, Figures]
    console.log(`Redis / memory stores: ${(withRedis.rps / memory.rps).toFixed(2)} of the throughput (aim: at least 0.85)`)
    if (QUICK) console.log('BENCH_QUICK: a short run, BENCHMARKS.md left as it was')
    else await writeSection('gateway', report(results))
  } finally {
    for (const child of children) child.proc.kill()
    redis?.proc.kill('SIGKILL')
  }
}

/** Issue 15's goals, against the minimal proxy (the floor for any gateway) and Apollo + SDK. */
function proxyRatios (gw: Figures, apollo: Figures, proxy: Figures): string {
  const cpu = gw.cpuMicrosPerRequest / proxy.cpuMicrosPerRequest
  const rps = gw.rps / apollo.rps
  const p99 = gw.p99 / Math.max(1, proxy.p99)
  const mark = (ok: boolean): string => ok ? 'met' : 'NOT met'
  return `- **gateway CPU / minimal proxy CPU: ${cpu.toFixed(2)}×** per verify (goal: at most 2×, ${mark(cpu <= 2)}).
- **gateway req/s / Apollo + SDK req/s: ${rps.toFixed(2)}×** (goal: at least 3×, ${mark(rps >= 3)}).
- **gateway p99 / minimal proxy p99: ${p99.toFixed(2)}×** (goal: at most 2×, ${mark(p99 <= 2)}); gateway peak RSS
  **${gw.rssMiB.toFixed(0)} MiB** (goal: at most 128 MiB, ${mark(gw.rssMiB <= 128)}).`
}

function report (r: Figures[]): string {
  const [direct, gw, gwRedis, apollo, proxy] = r as [Figures, Figures, Figures, Figures, Figures]
  const rows = r.map((f) => `| ${f.name} | ${Math.round(f.rps)} | ${f.p50.toFixed(1)} | ${f.p99.toFixed(1)} | ${f.rssMiB.toFixed(0)} | ${Math.round(f.cpuMicrosPerRequest)} | ${f.non2xx} | ${f.errors} |`)
  return `## gateway: verifyFactor over GraphQL

${machine()}, 1-minute load average ${loadAtStart.toFixed(2)} at the start. autocannon, ${CONNECTIONS} connections, loopback. Each case is warmed up for ${WARMUP_S} s, then measured for
${SLICES} × ${SLICE_S} s slices taken in turns (ABCDE, EDCBA, ...) so that other load on the machine hits every case alike: req/s over all
slices, p50 the median slice's p50, p99 the worst slice's p99.

| server under load | req/s | p50 ms | p99 ms | peak RSS MiB | its CPU µs/req | non-2xx | errors |
|---|---|---|---|---|---|---|---|
${rows.join('\n')}

- **gateway / direct: ${(gw.rps / direct.rps).toFixed(2)}** of the emulator's own throughput (aim: at least 0.5).
- **gateway / Apollo + SDK: ${(gw.rps / apollo.rps).toFixed(2)}×** (aim: at least 4×).
- **Redis stores / memory stores: ${(gwRedis.rps / gw.rps).toFixed(2)}** of the throughput (aim: at least 0.85, i.e. Redis costs
  at most 15%); CPU per request ${Math.round(gwRedis.cpuMicrosPerRequest)} µs against ${Math.round(gw.cpuMicrosPerRequest)} µs. With \`REDIS_URL\` each verify
  makes three Redis round trips on one connection (the revocation check, one Lua script reading the session and user marks; the attempt count, another;
  the take-back after the right code, a third) to a redis-server on the same machine, sharing its CPUs.
${proxyRatios(gw, apollo, proxy)}
- CPU per request, the steadier figure when other processes share the machine: the gateway ${Math.round(gw.cpuMicrosPerRequest)} µs
  (on top of the emulator's ${Math.round(direct.cpuMicrosPerRequest)} µs it calls), Apollo + SDK ${Math.round(apollo.cpuMicrosPerRequest)} µs:
  **Apollo + SDK / gateway ${(apollo.cpuMicrosPerRequest / gw.cpuMicrosPerRequest).toFixed(2)}×** the CPU for the same verify.

Why the first ratio is far from 0.5 here: a request through the gateway costs a whole inbound HTTP request, a GraphQL
execution and a session decrypt/encrypt *plus* a whole outbound HTTP request to the emulator and the emulator's own
work, while the direct case costs the emulator's work alone; on ${cpus().length} vCPUs shared by autocannon, the emulator and the
gateway (and whatever else runs on the machine), throughput follows total CPU per request. The gateway's share is
several times the emulator's, so half the direct throughput is out of reach on this machine.

What each request does: a TOTP \`verifyFactor\` with a correct code that answers SUCCESS. The emulator runs with
\`rejectReplayedCodes: false\`, \`lockoutThreshold: 0\` and \`rateLimits: false\`, so the same code is accepted every
time and every request does the same work (the happy path, not the cheaper wrong-code path). Through the gateway each
request also passes the CSRF check and the query-limit rules, resolves the session user from an encrypted session
cookie in @fastify/secure-session's format (read and written by the gateway server's own session-cookie.ts; the app
keeps \`oktaUserId\` on its user, so no login lookup; the bench's login gave the session its identity with
\`startSession\`, as an app's login does), counts and clears an
attempt in the AttemptLimiter (in memory, or in Redis for the Redis case; limit set to 1e9 for the bench), checks the
session against the revocation store (same), calls Okta through @okta-mfa/client with the
request id, records the MFA step and sends back a re-encrypted session cookie; logging at \`warn\`. The Apollo gateway
does less: no session, no CSRF content-type rule, no limiter, a fixed user id, only the SDK call. The minimal proxy
(issue 15) is the floor for any gateway: a Fastify route that takes \`{ passCode }\` and forwards the same verify to the
emulator over an undici Pool of ${CONNECTIONS} connections, nothing else (no GraphQL, session, limiter or logging); the same
two HTTP hops as the gateway on the same cores. Where the gateway's CPU goes is in the profile notes below. Each server runs
in its own child process, with \`NODE_ENV=production\` (graphql-js drops its development checks, Apollo its landing
page), and reports its own CPU time around every slice and its peak RSS
(\`process.resourceUsage().maxRSS\`) at the end; the emulator's peak includes serving the other cases. autocannon runs
in the parent process only (the server children do not load it), on the same machine.`
}

// A forked child runs one server role instead of being a benchmark.
const childAt = process.argv.indexOf('--bench-child')
if (childAt !== -1) {
  const role = process.argv[childAt + 1]
  const env = process.env as Record<string, string>
  const main = role === 'emulator' ? emulatorChild() : role === 'gateway' ? gatewayChild(env) : role === 'proxy' ? proxyChild(env) : apolloChild(env)
  main.catch((err: unknown) => {
    console.error(`bench child ${String(role)} failed:`, err)
    process.exit(1)
  })
}
