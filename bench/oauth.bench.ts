// The cost of OAuth on the client's hot path: the same TOTP verify through @okta-mfa/client over
// SSWS, over a cached OAuth Bearer token, and over a cached DPoP-bound token (a fresh ES256 proof
// signed for every request), same run. The emulator runs in a child process (it also verifies
// every proof); the clients run here, CONCURRENCY calls in flight each, in alternating 1-s slices.
// Figures: calls/s, the client's CPU µs per call (the proof's cost shows here), the emulator's.
// `BENCH_QUICK=1` runs 2 short slices and prints without writing BENCHMARKS.md (a check that it works).
import { fork, type ChildProcess } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { createOktaClient, type OktaClient } from '@okta-mfa/client'
import { totpCodeOf } from '@okta-mfa/emulator'
import { machine, writeSection } from './report.js'

const SELF = fileURLToPath(import.meta.url)
const QUICK = process.env['BENCH_QUICK'] === '1'
const CONCURRENCY = 10
const SLICES = QUICK ? 2 : 5
const SLICE_MS = QUICK ? 500 : 1000
const WARMUP_MS = QUICK ? 200 : 1000
const USER_ID = '00uOAuthBench0000001'
const FACTOR_ID = 'ostOAuthBench0000001'
const SECRET = 'JBSWY3DPEHPK3PXP'
const TOKEN = 'bench-token'

async function child (publicJwk: string): Promise<void> {
  process.on('message', (m) => {
    if (m === 'cpu') {
      const u = process.cpuUsage()
      process.send!({ cpu: u.user + u.system })
    }
  })
  const { startEmulator } = await import('@okta-mfa/emulator')
  const jwks = JSON.parse(publicJwk) as Record<string, string>
  const scopes = ['okta.users.read', 'okta.users.manage']
  const emu = await startEmulator({
    port: 0,
    token: TOKEN,
    quiet: true,
    rateLimits: false,
    lockoutThreshold: 0,
    rejectReplayedCodes: false,
    seed: [{ id: USER_ID, login: 'bench@example.com', factors: [{ id: FACTOR_ID, factorType: 'token:software:totp', sharedSecret: SECRET }] }],
    serviceApps: [{ clientId: 'bench-dpop', jwks, scopes, dpop: true }, { clientId: 'bench-bearer', jwks, scopes, dpop: false }],
  })
  process.send!({ url: emu.url })
}

function cpuOf (proc: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const onMsg = (m: unknown): void => {
      if (typeof m === 'object' && m !== null && 'cpu' in m) {
        proc.off('message', onMsg)
        resolve((m as { cpu: number }).cpu)
      }
    }
    proc.on('message', onMsg)
    proc.send('cpu')
  })
}

interface Slice { calls: number, ms: number, clientUs: number, serverUs: number }

/** CONCURRENCY loops of verify for `ms` milliseconds. */
async function drive (client: OktaClient, server: ChildProcess, ms: number): Promise<Slice> {
  const s0 = await cpuOf(server)
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  const end = t0 + ms
  let calls = 0
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (performance.now() < end) {
      const r = await client.verifyFactor(USER_ID, FACTOR_ID, { passCode: totpCodeOf(SECRET) })
      if (r.factorResult !== 'SUCCESS') throw new Error(`unexpected ${r.factorResult}`)
      calls++
    }
  }))
  const elapsed = performance.now() - t0
  const c = process.cpuUsage(c0)
  return { calls, ms: elapsed, clientUs: c.user + c.system, serverUs: (await cpuOf(server)) - s0 }
}

/** Runs the comparison and writes the `oauth` section of BENCHMARKS.md. */
export async function run (): Promise<void> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const jwk = JSON.stringify(publicKey.export({ format: 'jwk' }))
  const server = fork(SELF, [], { env: { ...process.env, OAUTH_BENCH_CHILD: jwk }, stdio: 'inherit' })
  const clients: OktaClient[] = []
  try {
    const { url } = await new Promise<{ url: string }>((resolve, reject) => {
      server.once('message', (m) => resolve(m as { url: string }))
      server.once('exit', (code) => reject(new Error(`emulator exited ${code}`)))
    })
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
    const scopes = ['okta.users.manage']
    const cases: Array<[string, OktaClient]> = [
      ['SSWS API token', createOktaClient({ orgUrl: url, allowInsecureHttp: true, token: TOKEN })],
      ['OAuth Bearer token (cached)', createOktaClient({ orgUrl: url, allowInsecureHttp: true, auth: { clientId: 'bench-bearer', privateKey: pem, scopes } })],
      ['OAuth DPoP token (cached) + a proof per call', createOktaClient({ orgUrl: url, allowInsecureHttp: true, auth: { clientId: 'bench-dpop', privateKey: pem, scopes, dpop: true } })],
    ]
    for (const [, c] of cases) clients.push(c)
    for (const [, c] of cases) await drive(c, server, WARMUP_MS) // fetches and caches the tokens too
    const slices: Slice[][] = cases.map(() => [])
    for (let i = 0; i < SLICES; i++) {
      const order = cases.map((_, j) => (i % 2 === 0 ? j : cases.length - 1 - j))
      for (const j of order) slices[j]!.push(await drive(cases[j]![1], server, SLICE_MS))
    }
    const rows = cases.map(([name], j) => {
      const s = slices[j]!
      const calls = s.reduce((n, x) => n + x.calls, 0)
      const ms = s.reduce((n, x) => n + x.ms, 0)
      return { name, rps: calls / ms * 1000, client: s.reduce((n, x) => n + x.clientUs, 0) / calls, server: s.reduce((n, x) => n + x.serverUs, 0) / calls }
    })
    const base = rows[0]!
    const table = rows.map((r) => `| ${r.name} | ${Math.round(r.rps)} | ${(r.rps / base.rps).toFixed(2)} | ${r.client.toFixed(1)} | ${(r.client - base.client).toFixed(1)} | ${r.server.toFixed(1)} |`)
    for (const r of rows) console.log(`${r.name}: ${Math.round(r.rps)} calls/s, client ${r.client.toFixed(1)} µs CPU/call, emulator ${r.server.toFixed(1)} µs CPU/call`)
    if (QUICK) return
    await writeSection('oauth', [
      '## client: verify over SSWS, a cached Bearer token and a cached DPoP token',
      '',
      machine(),
      '',
      `\`client.verifyFactor\` (TOTP, 200 SUCCESS) through @okta-mfa/client, ${CONCURRENCY} calls in flight, ${SLICES} slices of ${SLICE_MS / 1000} s`,
      'per case in alternating order after a warm-up that also fetched and cached the OAuth tokens (no token request',
      'during the measurement). The emulator runs in a child process with `rejectReplayedCodes: false`, `lockoutThreshold: 0`,',
      '`rateLimits: false`; it verifies every DPoP proof (node:crypto, keys cached) as Okta would. Client CPU is this process (the clients',
      'only); its excess over SSWS is what OAuth costs per request on the client: for DPoP, one ES256 proof (payload',
      'encoding and signature over a header and key prepared once) and the extra header.',
      '',
      '| case | calls/s | vs SSWS | client CPU µs/call | client µs over SSWS | emulator CPU µs/call |',
      '|---|---:|---:|---:|---:|---:|',
      ...table,
    ].join('\n'))
  } finally {
    for (const c of clients) await c.close()
    server.kill()
  }
}

const role = process.env['OAUTH_BENCH_CHILD']
if (role !== undefined) await child(role)
