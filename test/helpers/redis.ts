// Starts a real redis-server for one tap test file (persistence off, loopback, a free port) and kills it by PID at
// teardown. stop()/start() take it down and bring it back on the same port; pause()/resume() freeze it (SIGSTOP) so
// that commands hang without the connection dropping. Use: `const redis = await withRedis(t); redis.url`.
import { spawn, type ChildProcess } from 'node:child_process'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { freePort } from './processes.js'

/** A redis-server owned by one test. */
export interface TestRedis {
  port: number
  /** `redis://127.0.0.1:<port>` */
  url: string
  /** PID of the running server, undefined while stopped. */
  readonly pid: number | undefined
  /** Kills the server (SIGKILL: connections drop at once, as in a crash) and waits for it to exit. */
  stop: () => Promise<void>
  /** Starts it again on the same port (empty: no persistence) and waits until it answers PING. */
  start: () => Promise<void>
  /** Freezes the server (SIGSTOP): connections stay open, commands get no answer. */
  pause: () => void
  /** Unfreezes it (SIGCONT). */
  resume: () => void
}

const SERVER = process.env.REDIS_SERVER_PATH ?? 'redis-server'
/** Children alive right now, killed if the test process exits without its teardown. */
const alive = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of alive) {
    try { child.kill('SIGKILL') } catch { /* already gone */ }
  }
})

/** One raw PING over TCP: true when the answer is +PONG. */
async function pings (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    const done = (ok: boolean): void => { socket.destroy(); resolve(ok) }
    socket.setTimeout(500, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')))
  })
}

async function spawnServer (port: number, args: readonly string[]): Promise<ChildProcess> {
  const child = spawn(SERVER, [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--dir', tmpdir(), '--daemonize', 'no', '--loglevel', 'warning', ...args,
  ], { stdio: ['ignore', 'ignore', 'pipe'] })
  alive.add(child)
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { alive.delete(child); resolve(code) }))
  for (let i = 0; i < 250; i++) {
    const status = await Promise.race([exited.then((code) => ({ code })), pings(port).then((ok) => ({ ok }))])
    if ('code' in status) throw new Error(`redis-server exited with ${status.code} on port ${port}: ${stderr.trim()}`)
    if (status.ok) return child
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  child.kill('SIGKILL')
  throw new Error(`redis-server did not answer PING on port ${port}`)
}

async function kill (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGCONT')
  child.kill('SIGKILL')
  await exited
}

/** Starts a redis-server on a free loopback port (`args`: more of its options); registers `t.teardown` to kill it. */
export async function withRedis (t: { teardown: (fn: () => unknown) => void }, args: readonly string[] = []): Promise<TestRedis> {
  let child: ChildProcess | undefined
  let port = 0
  for (let tries = 0; child === undefined; tries++) {
    port = await freePort()
    try {
      child = await spawnServer(port, args)
    } catch (err) {
      if (tries >= 3) throw err // the port was taken between the probe and the spawn; try another
    }
  }
  t.teardown(async () => { if (child !== undefined) await kill(child) })
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid () { return child?.exitCode === null && child.signalCode === null ? child.pid : undefined },
    stop: async () => {
      if (child !== undefined) await kill(child)
    },
    start: async () => {
      if (child !== undefined && child.exitCode === null && child.signalCode === null) return
      child = await spawnServer(port, args)
    },
    pause: () => { child?.kill('SIGSTOP') },
    resume: () => { child?.kill('SIGCONT') },
  }
}

/** Resolves once `stores` take a write again after Redis was down or frozen (their client may reconnect first). */
export async function untilStoresAnswer (stores: { ping: () => Promise<void> }): Promise<void> {
  for (let i = 0; ; i++) {
    try { await stores.ping(); return } catch (err) { if (i > 100) throw err }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
