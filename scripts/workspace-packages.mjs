// The publishable packages: every directory under packages/ that has a package.json (none is hard-coded, so a
// new package gets packed, linted and tested like the others).
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root. */
export const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/** `{ dir, name, version, manifest }` of each package under packages/, sorted by directory. */
export function workspacePackages () {
  const base = join(root, 'packages')
  return readdirSync(base).sort()
    .map((d) => join(base, d))
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
      return { dir, name: manifest.name, version: manifest.version, manifest }
    })
}

/** The file name `pnpm pack` gives a package's tarball. */
export function tarballName ({ name, version }) {
  return `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`
}
