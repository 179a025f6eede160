#!/usr/bin/env node
// pnpm pack:all [--out DIR]: one installable tarball per package in DIR (default dist-packs/). `pnpm pack` runs each
// package's prepack (a build) and rewrites workspace: ranges to the versions in the repository, so the tarballs
// install with plain npm: `npm install ./dist-packs/*.tgz`.
import { execFileSync } from 'node:child_process'
import { mkdirSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { root, tarballName, workspacePackages } from './workspace-packages.mjs'

const i = process.argv.indexOf('--out')
const out = i > 0 && process.argv[i + 1] !== undefined ? resolve(process.argv[i + 1]) : join(root, 'dist-packs')
mkdirSync(out, { recursive: true })
for (const pkg of workspacePackages()) {
  rmSync(join(out, tarballName(pkg)), { force: true })
  execFileSync('pnpm', ['--silent', 'pack', '--pack-destination', out], { cwd: pkg.dir, stdio: ['ignore', 'ignore', 'inherit'] })
  console.log(join(out, tarballName(pkg)))
}
