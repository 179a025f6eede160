// The browser tests drive Debian's Chromium. Installs it with apt-get when it is missing and we may
// (root on a Debian-like machine); otherwise says how, and fails, rather than skipping the browser tests.
import { existsSync } from 'node:fs'
import { spawnSync } from 'node:child_process'

const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
if (existsSync(path)) process.exit(0)

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
const hasApt = existsSync('/usr/bin/apt-get')
if (!isRoot || !hasApt) {
  console.error(`Chromium not found at ${path}. Install it (Debian: sudo apt-get install -y chromium) or set CHROMIUM_PATH.`)
  process.exit(1)
}
console.log('Installing Chromium from Debian packages (about a minute)…')
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
for (const args of [['update', '-qq'], ['install', '-y', '-qq', 'chromium']]) {
  const r = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env })
  if (r.status !== 0) {
    console.error(`apt-get ${args.join(' ')} failed with status ${r.status}`)
    process.exit(1)
  }
}
if (!existsSync(path)) {
  console.error(`Chromium still missing at ${path} after apt-get install`)
  process.exit(1)
}
