// Not a benchmark (run.ts skips it): what each layer of the gateway costs, built up one layer at a time. The same TOTP
// verify as bench/gateway, through servers that each add one layer to the one before, every server in its own child
// process, driven in turns by autocannon (50 connections) with each server's own CPU time read around its slices:
//   route + call      the minimal proxy: a Fastify route forwarding the verify over an undici Pool
//   + GraphQL         the same call from a Mercurius resolver (a one-field schema)
//   + secure-session  @fastify/secure-session decrypting the cookie and encrypting the written session
//   + gateway session the gateway server's secure-session-compatible cookie instead (session-cookie.ts)
//   + client          the call through @okta-mfa/client instead of a bare undici Pool, without any MFA rule
//   + MFA core        @okta-mfa/client and @okta-mfa/core's rules: revocation check, Okta user binding, attempt
//                     counting, the verify with the end user's context, the recorded MFA step
//   gateway           the standalone gateway itself (buildGatewayServer), as in bench/gateway
// Besides CPU it reports the main thread's GC pauses, the bytes allocated and the bytes V8 promotes to the old
// generation per verify (each server runs with --trace-gc-nvp): allocation is what the scavenges cost, old-generation
// garbage is what raises a server's RSS under load.
//   node bench/dist/layers.js [--rounds N] [--seconds N] [--only layer,layer] [--node-flags '--perf-basic-prof ...']
// With --node-flags each server's pid is printed, for `perf record -e cpu-clock -g -p PID`.
import { fork, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { PerformanceObserver } from 'node:perf_hooks'
import { SERVER_ENV } from './gateway.bench.js'

type Msg = { type: string, [k: string]: unknown }
const SELF = fileURLToPath(import.meta.url)
const BENCH = fileURLToPath(new URL('gateway.bench.js', import.meta.url))
const USER_ID = '00ubench000000000001'
const FACTOR_ID = 'ostbench000000000001'
const KEY = randomBytes(32)
const ALL_LAYERS = ['route+call', 'gql+call', 'gql+secure-session+call', 'gql+gateway-session+call', 'gql+gateway-session+client', 'gql+gateway-session+core', 'gateway'] as const
type Layer = typeof ALL_LAYERS[number]
let LAYERS: readonly Layer[] = ALL_LAYERS

interface Session { get: (k: string) => unknown, set: (k: string, v: unknown) => void }

async function layerChild (layer: Layer, orgUrl: string, token: string): Promise<void> {
  const { default: Fastify } = await import('fastify')
  // Each layer loads only what it uses, so that its idle and peak RSS are its own.
  const usesCore = layer.includes('core') || layer.includes('session') || layer === 'gateway'
  const core = usesCore ? await import('@okta-mfa/core') : undefined
  let app
  if (layer === 'gateway') {
    const { buildGatewayServer, loadServerConfig } = await import('@okta-mfa/gateway')
    app = await buildGatewayServer(loadServerConfig({
      OKTA_ORG_URL: orgUrl, OKTA_API_TOKEN: token, OKTA_ALLOW_INSECURE_HTTP: 'true', SESSION_KEY: KEY.toString('hex'), SESSION_COOKIE_SECURE: 'false', LOG_LEVEL: 'warn',
    }), { gateway: { maxAttempts: 1_000_000_000 } })
  } else {
    app = Fastify({ logger: false })
    const cookie = { path: '/', httpOnly: true, sameSite: 'lax' as const }
    if (layer.includes('secure-session')) await app.register((await import('@fastify/secure-session')).default, { key: KEY, cookie })
    // Not exported by the package: the standalone server's own session, loaded from its build.
    if (layer.includes('gateway-session')) await app.register((await import(new URL('../../packages/gateway/dist/session-cookie.js', import.meta.url).href) as typeof import('../packages/gateway/dist/session-cookie.js')).gatewaySessionCookie, { key: [KEY], cookie })
  }
  const { Pool } = await import('undici')
  const pool = new Pool(orgUrl, { connections: 50 })
  const headers = { authorization: `SSWS ${token}`, 'content-type': 'application/json', accept: 'application/json' }
  const client = layer.includes('client') || layer.includes('core')
    ? (await import('@okta-mfa/client')).createOktaClient({ orgUrl, token, allowInsecureHttp: true })
    : undefined
  const limiter = core === undefined ? undefined : new core.AttemptLimiter({ maxAttempts: 1_000_000_000 })
  const revocations = core === undefined ? undefined : new core.MemoryRevocationStore()
  const sessionOf = (request: unknown): Session | undefined => (request as { session?: Session }).session
  const verify = async (passCode: string, request: { id: string, session?: unknown }): Promise<string> => {
    if (layer.includes('client')) {
      const answer = await client!.verifyFactor(USER_ID, FACTOR_ID, { passCode })
      sessionOf(request)?.set('mfa', { factorId: FACTOR_ID, completedAt: Date.now() })
      return answer.factorResult
    }
    if (!layer.includes('core') || core === undefined) {
      const res = await pool.request({ method: 'POST', path: `/api/v1/users/${USER_ID}/factors/${FACTOR_ID}/verify`, headers, body: JSON.stringify({ passCode }) })
      const answer = await res.body.json() as { factorResult: string }
      sessionOf(request)?.set('mfa', { factorId: FACTOR_ID, completedAt: Date.now() })
      return answer.factorResult
    }
    const user = sessionOf(request)?.get('user')
    if (await core.isSessionRevoked(request, revocations!, { user })) throw new Error('revoked')
    const subject = new core.MfaSubject({
      session: request, user, userKey: core.userKeyOf(user), request, client: client!, resolveOktaUser: (u) => ({ id: (u as { oktaUserId: string }).oktaUserId }),
      deadline: new core.RequestDeadline(5000, request.id),
    })
    const r = await core.checkPasscode({ subject, client: client!, limiter: limiter!, passCode, factorId: FACTOR_ID, context: core.endUserContext(request as never), trustFactorId: true })
    if (!r.ok) throw r.error
    core.recordMfa(request, { user, factorId: r.factor.id, method: 'graphql' })
    return 'SUCCESS'
  }
  if (layer === 'route+call') {
    app.post('/graphql', async (request) => ({ data: { verifyFactor: { result: await verify((request.body as { variables: { p: string } }).variables.p, request) } } }))
  } else if (layer !== 'gateway') {
    await app.register((await import('mercurius')).default, {
      schema: 'type Query { ok: Boolean } type VerifyFactorPayload { result: String! } type Mutation { verifyFactor(factorId: ID!, passCode: String!): VerifyFactorPayload! }',
      resolvers: { Mutation: { verifyFactor: async (_: unknown, args: { passCode: string }, ctx: { reply: { request: { id: string } } }) => ({ result: await verify(args.passCode, ctx.reply.request) }) } },
    })
  }
  app.post('/bench/login', async (request) => {
    const user = { id: 'bench', oktaUserId: USER_ID }
    const session = sessionOf(request)
    if (session !== undefined) {
      session.set('user', user)
      core?.startSession(request, { user })
    }
    return {}
  })
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  const idleRssBytes = process.memoryUsage.rss()
  let gcMs = 0
  new PerformanceObserver((list) => { for (const e of list.getEntries()) gcMs += e.duration }).observe({ entryTypes: ['gc'] })
  process.on('message', (msg: Msg) => {
    if (msg.type === 'exit') process.exit(0)
    const cpu = process.cpuUsage()
    process.send!({ type: 'stats', cpuMicros: cpu.user + cpu.system, gcMs, idleRssBytes, maxRssBytes: process.resourceUsage().maxRSS * 1024 })
  })
  process.on('disconnect', () => process.exit(0))
  process.send!({ type: 'ready', url })
}

interface Child {
  proc: ChildProcess
  info: Msg
  ask: (type: string) => Promise<Msg>
  /** Bytes V8 promoted to the old generation in scavenges so far (from `--trace-gc-nvp`, servers only). */
  promoted: () => number
  /** Bytes allocated before each scavenge so far (the nvp line's `allocated=`: allocated since the previous GC). */
  allocated: () => number
}

/**
 * A child process; a server (`traceGc`) runs with `--trace-gc-nvp`, its stdout read for each scavenge's `promoted=` and
 * `allocated=`.
 */
async function start (file: string, args: string[], execArgv: string[] = [], traceGc = false): Promise<Child> {
  const proc = fork(file, args, {
    env: { ...process.env, ...SERVER_ENV },
    execArgv: traceGc ? [...execArgv, '--trace-gc-nvp'] : execArgv,
    stdio: ['ignore', traceGc ? 'pipe' : 'inherit', 'inherit', 'ipc'],
  })
  let promoted = 0
  let allocated = 0
  let rest = ''
  proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n')
    rest = lines.pop()!
    for (const line of lines) {
      if (line.includes(' gc=s ')) {
        promoted += Number(/ promoted=(\d+)/.exec(line)?.[1] ?? 0)
        allocated += Number(/ allocated=(\d+)/.exec(line)?.[1] ?? 0)
      }
      else if (!line.includes(' gc=')) process.stdout.write(`${line}\n`)
    }
  })
  const waiting = new Map<string, (m: Msg) => void>()
  proc.on('message', (m: Msg) => { waiting.get(m.type)?.(m); waiting.delete(m.type) })
  const ask = async (type: string): Promise<Msg> => await new Promise((resolve) => { waiting.set(type, resolve); proc.send({ type }) })
  const info = await new Promise<Msg>((resolve, reject) => {
    waiting.set('ready', resolve)
    proc.once('exit', (code) => { reject(new Error(`${args.join(' ')} exited with ${String(code)}`)) })
  })
  return { proc, info, ask, promoted: () => promoted, allocated: () => allocated }
}

function arg (name: string, fallback: number): number {
  const i = process.argv.indexOf(name)
  return i === -1 ? fallback : Number(process.argv[i + 1])
}

async function main (): Promise<void> {
  // Loaded here, in the parent only: in every server child it would add its own ~20 MiB to that server's RSS.
  const { default: run } = await import('autocannon')
  const only = process.argv.indexOf('--only')
  if (only !== -1) LAYERS = process.argv[only + 1]!.split(',') as Layer[]
  const flagsAt = process.argv.indexOf('--node-flags')
  const flags = flagsAt === -1 ? [] : process.argv[flagsAt + 1]!.split(' ')
  const rounds = arg('--rounds', 4)
  const seconds = arg('--seconds', 2)
  const emulator = await start(BENCH, ['--bench-child', 'emulator'])
  const [orgUrl, token] = [String(emulator.info.url), String(emulator.info.token)]
  const servers: Child[] = []
  const cookies: string[] = []
  for (const layer of LAYERS) {
    const child = await start(SELF, ['--layer', layer, orgUrl, token], flags, true)
    if (flags.length > 0) console.error(`${layer}: pid ${String(child.proc.pid)}`)
    servers.push(child)
    const login = await fetch(`${String(child.info.url)}/bench/login`, { method: 'POST' })
    cookies.push((login.headers.get('set-cookie') ?? '').split(';')[0]!)
  }
  const totals = LAYERS.map(() => ({ requests: 0, cpu: 0, gc: 0, promoted: 0, allocated: 0, seconds: 0, bad: 0 }))
  for (let round = 0; round <= rounds; round++) {
    const code = String((await emulator.ask('code')).code)
    const body = JSON.stringify({ query: 'mutation V($f: ID!, $p: String!) { verifyFactor(factorId: $f, passCode: $p) { result } }', variables: { f: FACTOR_ID, p: code } })
    // Turns in alternating order (ABC…, …CBA) so that other load falls on every layer alike; round 0 warms up.
    const order = LAYERS.map((_, k) => round % 2 === 0 ? k : LAYERS.length - 1 - k)
    for (const k of order) {
      const child = servers[k]!
      const opts = { url: `${String(child.info.url)}/graphql`, method: 'POST' as const, body, headers: { 'content-type': 'application/json', cookie: cookies[k]! }, connections: 50 }
      const before = await child.ask('stats')
      const promotedBefore = child.promoted()
      const allocatedBefore = child.allocated()
      const r = await run({ ...opts, duration: round === 0 ? 1 : seconds })
      const after = await child.ask('stats')
      if (round === 0) continue
      const t = totals[k]!
      t.requests += r.requests.total
      t.seconds += r.duration
      t.cpu += Number(after.cpuMicros) - Number(before.cpuMicros)
      t.gc += (Number(after.gcMs) - Number(before.gcMs)) * 1000
      t.promoted += child.promoted() - promotedBefore
      t.allocated += child.allocated() - allocatedBefore
      t.bad += r.non2xx + r.errors
    }
  }
  const base = totals[0]!.cpu / totals[0]!.requests
  const memory = await Promise.all(servers.map(async (c) => await c.ask('stats')))
  const mib = (bytes: unknown): string => (Number(bytes) / 2 ** 20).toFixed(0)
  console.log('| layers | req/s | CPU µs per verify | × route + call | GC pause µs per verify | KB allocated per verify | bytes promoted per verify | RSS MiB at listen | peak RSS MiB | non-2xx or errors |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
  for (const [k, layer] of LAYERS.entries()) {
    const t = totals[k]!
    const cpu = t.cpu / t.requests
    console.log(`| ${layer} | ${Math.round(t.requests / t.seconds)} | ${cpu.toFixed(1)} | ${(cpu / base).toFixed(2)} | ${(t.gc / t.requests).toFixed(1)} | ${(t.allocated / t.requests / 1024).toFixed(1)} | ${Math.round(t.promoted / t.requests)} | ${mib(memory[k]!.idleRssBytes)} | ${mib(memory[k]!.maxRssBytes)} | ${t.bad} |`)
  }
  for (const c of [...servers, emulator]) c.proc.send({ type: 'exit' })
}

const at = process.argv.indexOf('--layer')
if (at === -1) {
  await main()
} else {
  const [layer, orgUrl, token] = process.argv.slice(at + 1) as [Layer, string, string]
  layerChild(layer, orgUrl, token).catch((err: unknown) => { console.error(`layer ${layer} failed:`, err); process.exit(1) })
}
