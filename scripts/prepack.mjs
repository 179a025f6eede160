#!/usr/bin/env node
// The prepack script of every package (run by `pnpm pack`, `pnpm publish`, `pnpm pack:all`, `changeset publish`;
// under npm it refuses, see below):
// builds the package with `tsc -b` (its references first), then checks that every file package.json points at (main,
// types, exports, bin) exists. `tsc -b` trusts its build info (dist/.tsbuildinfo), so a dist/ missing one file looks up to date to it; then
// the build is forced once. A package that still misses an entry point is not packed: no tarball without dist.
// Outputs left in dist/ by a source file that no longer exists are removed first: they would ship as dead code.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { root } from './workspace-packages.mjs'

const dir = process.cwd()
const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))

// npm packs and publishes `workspace:` ranges as they are, and such a tarball does not install anywhere
// (EUNSUPPORTEDPROTOCOL). pnpm rewrites them to versions; so only pnpm may pack or publish these packages.
if (/^npm\//.test(process.env.npm_config_user_agent ?? '')) {
  console.error(`prepack ${manifest.name}: npm would pack its workspace: dependency ranges as they are, and the tarball would not install.` +
    '\n  Use pnpm: `pnpm pack` in this folder, `pnpm pack:all` at the root (every package), or `pnpm release` to publish.')
  process.exit(1)
}
const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc')

/** Every relative file path named by main, types, exports (all conditions) and bin. */
function entryPoints (m) {
  const out = []
  const walk = (v) => {
    if (typeof v === 'string') { if (v.startsWith('./') && !v.includes('*')) out.push(v) } else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk)
  }
  walk([m.main, m.types, m.exports, typeof m.bin === 'string' ? m.bin : m.bin && Object.values(m.bin)].map((v) => (typeof v === 'string' && !v.startsWith('./') ? `./${v}` : v)))
  return [...new Set(out)]
}

function build (...flags) {
  const r = spawnSync(process.execPath, [tsc, '-b', ...flags], { cwd: dir, stdio: 'inherit' })
  if (r.status !== 0) {
    console.error(`prepack ${manifest.name}: tsc -b ${flags.join(' ')} failed`)
    process.exit(1)
  }
}

/** Removes dist/X.js, .js.map, .d.ts, .d.ts.map whose src/X.ts is gone. */
function removeStaleOutputs () {
  const dist = join(dir, 'dist')
  if (!existsSync(dist)) return
  for (const entry of readdirSync(dist, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const match = /^(.*)\.(js|js\.map|d\.ts|d\.ts\.map)$/.exec(entry.name)
    if (match === null) continue
    const rel = join(entry.parentPath ?? entry.path, match[1]).slice(dist.length + 1)
    if (!existsSync(join(dir, 'src', `${rel}.ts`))) rmSync(join(entry.parentPath ?? entry.path, entry.name))
  }
}

const missing = () => entryPoints(manifest).filter((f) => !existsSync(join(dir, f)))
removeStaleOutputs()
build()
if (missing().length > 0) build('--force')
const still = missing()
if (still.length > 0) {
  console.error(`prepack ${manifest.name}: built, but these files named by package.json are missing: ${still.join(', ')}`)
  process.exit(1)
}
