// A redis-server of the benchmarks' own, as the tests start one: a free loopback port, persistence off, killed by the
// caller. REDIS_SERVER_PATH overrides the binary.
import { spawn, type ChildProcess } from 'node:child_process'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'

async function freePort (): Promise<number> {
  return await new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => { resolve(typeof address === 'object' && address !== null ? address.port : 0) })
    })
  })
}

async function pings (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('error', () => { resolve(false) })
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (d) => { socket.destroy(); resolve(d.toString().startsWith('+PONG')) })
  })
}

/** Starts redis-server and waits until it answers PING; `proc` is the caller's to kill. */
export async function startRedis (): Promise<{ url: string, proc: ChildProcess }> {
  const port = await freePort()
  const proc = spawn(process.env.REDIS_SERVER_PATH ?? 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmpdir()], { stdio: 'ignore' })
  for (let i = 0; !await pings(port); i++) {
    if (i > 250 || proc.exitCode !== null) {
      proc.kill('SIGKILL')
      throw new Error('redis-server did not start')
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return { url: `redis://127.0.0.1:${port}`, proc }
}
