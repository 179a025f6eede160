// Starts built Node programs (the gateway server, the demo) as real child processes for one test: a free loopback
// port, the environment given, ready when an HTTP path answers, killed at teardown (SIGTERM, then SIGKILL). Output is
// kept so that a failed start says why.
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { request } from 'undici'

/** A running child process serving HTTP on loopback. */
export interface TestProcess {
  name: string
  port: number
  /** `http://127.0.0.1:<port>` */
  url: string
  child: ChildProcess
  /** True while the process has not exited. */
  alive: () => boolean
  /** What it wrote to stdout and stderr so far. */
  output: () => string
}

/** The repository's root directory. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))

const children = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of children) {
    try { child.kill('SIGKILL') } catch { /* already gone */ }
  }
})

/** A free TCP port on 127.0.0.1 (free when probed). */
export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

async function answers (url: string): Promise<boolean> {
  try {
    const res = await request(url, { headersTimeout: 1000, bodyTimeout: 1000 })
    await res.body.dump()
    return res.statusCode < 500
  } catch {
    return false
  }
}

async function stop (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => { child.kill('SIGKILL') }, 3000)
  await exited
  clearTimeout(timer)
}

/**
 * Spawns `node <script>` (a path from the repository root) with `env` plus `PORT`, waits until `GET <readyPath>`
 * answers below 500 (at most `timeoutMs`), and registers `t.teardown` to stop it.
 */
export async function startProcess (
  t: { teardown: (fn: () => unknown) => void },
  name: string,
  script: string,
  env: Record<string, string>,
  opts: { readyPath?: string, timeoutMs?: number } = {},
): Promise<TestProcess> {
  const port = await freePort()
  const child = spawn(process.execPath, [script], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.add(child)
  child.once('exit', () => { children.delete(child) })
  let output = ''
  const keep = (chunk: Buffer): void => { output = (output + chunk.toString()).slice(-20_000) }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  t.teardown(async () => { await stop(child) })
  const url = `http://127.0.0.1:${port}`
  const deadline = performance.now() + (opts.timeoutMs ?? 20_000)
  while (!await answers(url + (opts.readyPath ?? '/'))) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${output}`)
    if (performance.now() > deadline) throw new Error(`${name} did not answer on ${url} in time:\n${output}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return {
    name,
    port,
    url,
    child,
    alive: () => child.exitCode === null && child.signalCode === null,
    output: () => output,
  }
}
