#!/usr/bin/env node
// pnpm check:packages [--packs DIR]: publint and @arethetypeswrong/cli on the tarball of every package, as npm would
// publish it (packed into a temp folder, or the tarballs `pnpm pack:all --out DIR` already wrote to DIR).
//
// attw runs with `--ignore-rules cjs-resolves-to-esm` and nothing else ignored. The packages are ESM-only and
// require Node 20.19+ or 22.12+ (engines), where require() of an ES module works unflagged (and TypeScript >= 5.8 types it
// under module nodenext; not node16 or node18), so attw's "CommonJS consumers will need a dynamic import" warning does not hold for any
// supported Node; test/packaging proves it by require()-ing every installed package. Every other attw check (node10,
// node16 from CJS and from ESM, bundler: types found, no masquerading, no false ESM/CJS) still applies.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { root, tarballName, workspacePackages } from './workspace-packages.mjs'

const i = process.argv.indexOf('--packs')
const given = i > 0 ? process.argv[i + 1] : undefined
const out = given ?? mkdtempSync(join(tmpdir(), 'okta-mfa-check-'))
let failed = 0
try {
  if (given === undefined) execFileSync(process.execPath, [join(root, 'scripts/pack-all.mjs'), '--out', out], { stdio: ['ignore', 'ignore', 'inherit'] })
  for (const pkg of workspacePackages()) {
    const tgz = join(out, tarballName(pkg))
    for (const [tool, args] of [
      ['publint', ['--strict', tgz]],
      ['attw', [tgz, '--ignore-rules', 'cjs-resolves-to-esm', '--format', 'table-flipped']],
    ]) {
      try {
        execFileSync('pnpm', ['--silent', 'exec', tool, ...args], { cwd: root, stdio: 'inherit' })
      } catch {
        failed++
        console.error(`${tool} failed for ${pkg.name}`)
      }
    }
  }
} finally {
  if (given === undefined) rmSync(out, { recursive: true, force: true })
}
if (failed > 0) {
  console.error(`check:packages: ${failed} check(s) failed`)
  process.exit(1)
}
console.log('check:packages: publint and attw clean for every package')
