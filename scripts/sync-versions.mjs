#!/usr/bin/env node
// After `changeset version` (run by `pnpm version-packages`): copy @okta-mfa/client's new version into
// src/version.ts, the VERSION it sends in its User-Agent (test/client/options.test.ts keeps the two equal).
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { workspacePackages } from './workspace-packages.mjs'

for (const pkg of workspacePackages()) {
  if (pkg.name !== '@okta-mfa/client') continue
  const file = join(pkg.dir, 'src/version.ts')
  const before = readFileSync(file, 'utf8')
  const after = before.replace(/export const VERSION = '[^']*'/, `export const VERSION = '${pkg.version}'`)
  if (after !== before) {
    writeFileSync(file, after)
    console.log(`${file}: VERSION = '${pkg.version}'`)
  }
}
