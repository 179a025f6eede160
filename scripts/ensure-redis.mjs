// The store tests start their own Debian redis-server (persistence off, a free port). Installs it with apt-get when it
// is missing and we may (root on a Debian-like machine); otherwise says how, and fails, rather than skipping the tests.
import { existsSync } from 'node:fs'
import { spawnSync } from 'node:child_process'

const path = process.env.REDIS_SERVER_PATH ?? '/usr/bin/redis-server'
if (existsSync(path)) process.exit(0)

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
const hasApt = existsSync('/usr/bin/apt-get')
if (!isRoot || !hasApt) {
  console.error(`redis-server not found at ${path}. Install it (Debian: sudo apt-get install -y redis-server) or set REDIS_SERVER_PATH.`)
  process.exit(1)
}
console.log('Installing redis-server from Debian packages…')
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
for (const args of [['update', '-qq'], ['install', '-y', '-qq', 'redis-server']]) {
  const r = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env })
  if (r.status !== 0) {
    console.error(`apt-get ${args.join(' ')} failed with status ${r.status}`)
    process.exit(1)
  }
}
if (!existsSync(path)) {
  console.error(`redis-server still missing at ${path} after apt-get install`)
  process.exit(1)
}
