// The data file's directory, checked when the emulator starts: a save that fails later is undone and answered 500,
// so a directory no save can succeed in is refused at once, naming the path.
import { closeSync, existsSync, lstatSync, openSync, readdirSync, statSync, unlinkSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'

/**
 * Checks at start that the data file can be written: its directory exists, is a directory, and is writable (a write
 * that fails later is undone and answered 500; better to refuse to start). Throws naming the path.
 */
export function checkDataDir (file: string): void {
  const dir = dirname(file)
  let isDir: boolean
  try {
    isDir = statSync(dir).isDirectory()
  } catch {
    throw new Error(`emulator data file ${file}: the directory ${dir} does not exist`)
  }
  if (!isDir) throw new Error(`emulator data file ${file}: ${dir} is not a directory`)
  // Proven by writing, as each save does (a temporary file beside it): access(2) says yes to root on a read-only mount
  // or a filesystem such as /proc, where every save would then fail.
  const probe = join(dir, `.${basename(file)}.${process.pid}.probe`)
  try {
    closeSync(openSync(probe, 'wx', 0o600))
    unlinkSync(probe)
  } catch {
    throw new Error(`emulator data file ${file}: the directory ${dir} is not writable`)
  }
  // Each save renames its temporary file over the data file: in a sticky directory (/tmp) that takes owning the file
  // or the directory (or being root).
  if (!mayReplace(file, dir)) throw new Error(`emulator data file ${file}: it belongs to another user in the sticky directory ${dir}`)
}

function mayReplace (file: string, dir: string): boolean {
  const uid = process.geteuid?.()
  if (uid === undefined || uid === 0 || !existsSync(file)) return true
  const d = statSync(dir)
  return (d.mode & 0o1000) === 0 || d.uid === uid || statSync(file).uid === uid
}

/**
 * Removes the temporary files a crash left beside the data file (`.<name>.<pid>.tmp`, each a whole copy of the state,
 * shared secrets included): those of processes that no longer run. A running writer's is left alone.
 */
export function removeStaleTemps (file: string): void {
  const dir = dirname(file)
  const prefix = `.${basename(file)}.`
  let names: string[]
  try { names = readdirSync(dir) } catch { return }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue
    const pid = name.slice(prefix.length, -'.tmp'.length)
    if (!/^[1-9]\d{0,9}$/.test(pid) || Number(pid) === process.pid || isRunning(Number(pid))) continue
    try {
      // Only a file a save wrote: not a symlink or anything else put there under that name.
      if (lstatSync(join(dir, name)).isFile()) unlinkSync(join(dir, name))
    } catch { /* gone already, or not ours to remove */ }
  }
}

function isRunning (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: it runs, as another user.
    return (err as NodeJS.ErrnoException).code !== 'ESRCH'
  }
}
