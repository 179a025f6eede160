// TOTP verify against @okta-mfa/emulator beside a bare Fastify route that returns the same JSON,
// same run, same load. Each server runs in its own child process (so autocannon, here, does not
// share its CPU); 10 connections, 5 s per server and case after a 1 s warm-up, taken as five 1-s
// slices in alternating order so that load from anything else on the machine falls on every
// server alike. A third server (bare route + Okta's five response headers) splits the gap.
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { machine, writeSection } from './report.js'

const SELF = fileURLToPath(import.meta.url)
const CONNECTIONS = 10
const SLICES = 5
const SLICE_S = 1
const DURATION_S = SLICES * SLICE_S
const WARMUP_S = 1
const USER_ID = '00uEmuBench000000001'
const FACTOR_ID = 'ostEmuBench000000001'
const SECRET = 'JBSWY3DPEHPK3PXP'
// A fixed clock: the same code stays valid for the whole run.
const NOW = Date.UTC(2030, 0, 1, 12, 0, 0)
const PATH = `/api/v1/users/${USER_ID}/factors/${FACTOR_ID}/verify`
const TOKEN = 'bench-token'

type Kind = 'emulator' | 'bare' | 'bare-headers'

async function child (kind: Kind): Promise<void> {
  // The parent asks for this process's CPU time around each slice: CPU µs per request is far less
  // disturbed by other load on the machine than requests/s.
  process.on('message', (m) => {
    if (m === 'cpu') {
      const u = process.cpuUsage()
      process.send!({ cpu: u.user + u.system })
    }
  })
  let url: string
  if (kind === 'emulator') {
    const { startEmulator } = await import('@okta-mfa/emulator')
    const emu = await startEmulator({
      port: 0,
      token: TOKEN,
      quiet: true,
      clock: () => NOW,
      rateLimits: false,
      lockoutThreshold: 0,
      rejectReplayedCodes: false,
      seed: [{ id: USER_ID, login: 'bench@example.com', factors: [{ id: FACTOR_ID, factorType: 'token:software:totp', sharedSecret: SECRET }] }],
    })
    url = emu.url
    process.send!({ url, code: emu.totpCode(FACTOR_ID, NOW) })
  } else {
    const { default: Fastify } = await import('fastify')
    const app = Fastify()
    if (kind === 'bare-headers') {
      // The same route plus the five headers Okta (and so the emulator) puts on every response.
      let n = 0
      app.addHook('onRequest', (_req, reply, done) => {
        reply.headers({ 'x-okta-request-id': `benchbenchbench${++n}`, date: new Date(NOW).toUTCString(), 'x-rate-limit-limit': 1000, 'x-rate-limit-remaining': 1000, 'x-rate-limit-reset': Math.ceil(NOW / 1000) + 60 })
        done()
      })
    }
    const success = { factorResult: 'SUCCESS' }
    const wrong = {
      errorCode: 'E0000068',
      errorSummary: 'Invalid Passcode/Answer',
      errorLink: 'E0000068',
      errorId: 'oaeBenchBenchBenchBench12',
      errorCauses: [{ errorSummary: "Your passcode doesn't match our records. Please try again." }],
    }
    app.post('/api/v1/users/:id/factors/:factorId/verify', async (req, reply) => {
      const { passCode } = req.body as { passCode: string }
      if (passCode === '000000') return reply.code(403).send(wrong)
      return success
    })
    url = await app.listen({ port: 0, host: '127.0.0.1' })
    process.send!({ url })
  }
}

interface Server { proc: ChildProcess, url: string, code?: string }

/** CPU time (µs) the server process has used so far. */
function cpuOf (server: Server): Promise<number> {
  return new Promise((resolve) => {
    const onMsg = (m: unknown): void => {
      if (typeof m === 'object' && m !== null && 'cpu' in m) {
        server.proc.off('message', onMsg)
        resolve((m as { cpu: number }).cpu)
      }
    }
    server.proc.on('message', onMsg)
    server.proc.send('cpu')
  })
}

async function spawnServer (kind: Kind): Promise<Server> {
  const proc = fork(SELF, [], { env: { ...process.env, EMULATOR_BENCH_CHILD: kind }, stdio: 'inherit' })
  const msg = await new Promise<{ url: string, code?: string }>((resolve, reject) => {
    proc.once('message', (m) => resolve(m as { url: string, code?: string }))
    proc.once('exit', (code) => reject(new Error(`${kind} server exited ${code}`)))
  })
  return { proc, ...msg }
}

interface Result { rps: number, p50: number, p99: number, non2xx: number, errors: number, total: number, seconds: number, cpuUs: number }

async function load (server: Server, passCode: string, seconds: number): Promise<Result> {
  const cpu0 = await cpuOf(server)
  const r = await autocannon({
    url: server.url + PATH,
    method: 'POST',
    connections: CONNECTIONS,
    duration: seconds,
    headers: { authorization: `SSWS ${TOKEN}`, 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ passCode }),
  })
  const cpuUs = (await cpuOf(server)) - cpu0
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors, total: r.requests.total, seconds: r.duration, cpuUs }
}

/** Merges slices: requests/s over the whole time, p50 = median of the slices' p50, p99 = the worst slice's p99. */
function merge (slices: Result[]): Result {
  const p50s = slices.map((s) => s.p50).sort((a, b) => a - b)
  const total = slices.reduce((n, s) => n + s.total, 0)
  const seconds = slices.reduce((n, s) => n + s.seconds, 0)
  return {
    rps: total / seconds,
    p50: p50s[Math.floor(p50s.length / 2)]!,
    p99: Math.max(...slices.map((s) => s.p99)),
    non2xx: slices.reduce((n, s) => n + s.non2xx, 0),
    errors: slices.reduce((n, s) => n + s.errors, 0),
    total,
    seconds,
    cpuUs: slices.reduce((n, s) => n + s.cpuUs, 0),
  }
}

/** SLICES slices per server, the order reversed every other round (ABC CBA …). */
async function compare (servers: Server[], passCode: string): Promise<Result[]> {
  const slices: Result[][] = servers.map(() => [])
  for (let i = 0; i < SLICES; i++) {
    const order = servers.map((_, j) => (i % 2 === 0 ? j : servers.length - 1 - j))
    for (const j of order) slices[j]!.push(await load(servers[j]!, passCode, SLICE_S))
  }
  return slices.map(merge)
}

/** Runs the comparison and writes the `emulator` section of BENCHMARKS.md. */
export async function run (): Promise<void> {
  const servers: Server[] = []
  try {
    const emu = await spawnServer('emulator')
    servers.push(emu)
    const bare = await spawnServer('bare')
    servers.push(bare)
    const bareHeaders = await spawnServer('bare-headers')
    servers.push(bareHeaders)
    const valid = emu.code!
    const rows: string[] = []
    const ratios: Record<string, number> = {}
    for (const [name, code, expect2xx] of [['valid code (200 SUCCESS, replay check off)', valid, true], ['wrong code (403 E0000068, lockout off)', '000000', false]] as const) {
      for (const server of [bare, bareHeaders, emu]) await load(server, code, WARMUP_S)
      const [b, h, e] = await compare([bare, bareHeaders, emu], code) as [Result, Result, Result]
      for (const [who, r] of [['bare', b], ['bare + headers', h], ['emulator', e]] as const) {
        const bad = expect2xx ? r.non2xx : 0
        if (r.errors > 0 || bad > 0) throw new Error(`${who} ${name}: ${r.errors} errors, ${bad} unexpected statuses`)
      }
      ratios[name] = e.rps / b.rps
      const bc = b.cpuUs / b.total
      const ec = e.cpuUs / e.total
      const hc = h.cpuUs / h.total
      rows.push(`| ${name} | bare Fastify route | ${Math.round(b.rps)} | ${b.p50} | ${b.p99} | | ${bc.toFixed(1)} | |`)
      rows.push(`| ${name} | bare route + Okta's 5 headers | ${Math.round(h.rps)} | ${h.p50} | ${h.p99} | ${(h.rps / b.rps).toFixed(2)} | ${hc.toFixed(1)} | ${(bc / hc).toFixed(2)} |`)
      rows.push(`| ${name} | emulator verify | ${Math.round(e.rps)} | ${e.p50} | ${e.p99} | **${(e.rps / b.rps).toFixed(2)}** | ${ec.toFixed(1)} | **${(bc / ec).toFixed(2)}** |`)
      console.log(`${name}: bare ${Math.round(b.rps)} req/s ${bc.toFixed(1)} µs CPU/req, emulator ${Math.round(e.rps)} req/s ${ec.toFixed(1)} µs CPU/req, ratio ${(e.rps / b.rps).toFixed(2)} (CPU ${(bc / ec).toFixed(2)})`)
    }
    await writeSection('emulator', [
      '## Emulator: TOTP verify vs a bare Fastify route',
      '',
      machine(),
      '',
      `\`POST /api/v1/users/{id}/factors/{fid}/verify\` with \`{"passCode"}\`, ${CONNECTIONS} connections, ${DURATION_S} s per server and case after a ${WARMUP_S} s warm-up,`,
      `run as ${SLICES} slices of ${SLICE_S} s per server in alternating order so other load on the machine hits all alike; req/s over`,
      'all slices, p50 the median slice p50, p99 the worst slice p99. autocannon runs in the parent process, each server in',
      'its own child process. The bare route is Fastify 5 with its',
      'default JSON parser answering the same JSON (200 `{"factorResult":"SUCCESS"}` or the same 403 envelope).',
      '',
      'A code is single-use, so one valid code cannot be sent repeatedly as is. Two ways round that, both measured:',
      'the emulator with a fixed clock and `rejectReplayedCodes: false` (the whole success path: auth, the user and',
      'factor lookups, one HMAC-SHA1 (two SHA-1 compressions on precomputed pad states) since the current step is tried first, the response), and a wrong code with',
      '`lockoutThreshold: 0` (three HMAC-SHA1, the whole ±1 window, then the error envelope with a fresh `errorId`).',
      '`rateLimits: false`; the Okta headers are still computed. Latencies are whole milliseconds (autocannon).',
      '',
      'A third server, the bare route plus the five headers Okta puts on every response (`X-Okta-Request-Id`, `Date`,',
      '`X-Rate-Limit-*`, which the emulator must send too), shows how much of the gap is those headers alone.',
      '',
      'Besides requests/s, each server reports its own CPU time around every slice: server CPU µs per request, and its',
      'ratio (bare / emulator), is the steadier figure when other processes share the machine.',
      '',
      '| case | server | req/s | p50 ms | p99 ms | req/s emulator / bare | server CPU µs/req | CPU bare / emulator |',
      '|---|---|---:|---:|---:|---:|---:|---:|',
      ...rows,
      '',
      `Ratios: ${Object.entries(ratios).map(([k, v]) => `${k.split(' (')[0]} ${v.toFixed(2)}`).join(', ')} (target ≥ 0.70).`,
    ].join('\n'))
  } finally {
    for (const s of servers) s.proc.kill()
  }
}

const role = process.env['EMULATOR_BENCH_CHILD']
if (role === 'emulator' || role === 'bare' || role === 'bare-headers') await child(role)
