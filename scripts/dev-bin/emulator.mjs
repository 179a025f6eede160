#!/usr/bin/env node
// `pnpm emulator [options]`: builds the workspace (quietly; compiler errors are shown) and runs the okta-emulator CLI
// with the same options. A bin rather than a package.json script, because pnpm prints a script's command line before
// its output, while the emulator's first line must be its `okta-emulator listening url=…` line.
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc')
const build = spawnSync(process.execPath, [tsc, '-b'], { cwd: root, encoding: 'utf8' })
if (build.status !== 0) {
  process.stderr.write(`${build.stdout}${build.stderr}emulator: the build failed\n`)
  process.exit(1)
}
await import(pathToFileURL(join(root, 'packages/okta-emulator/dist/cli.js')).href)
