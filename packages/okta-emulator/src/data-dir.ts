// The data file's directory, checked when the emulator starts: a save that fails later is undone and answered 500,
// so a directory no save can succeed in is refused at once, naming the path.
import { closeSync, existsSync, linkSync, lstatSync, openSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { DataFileError } from './data-file-error.js'

/**
 * Checks at start that the data file can be written: it is a regular file or does not exist yet, its directory exists,
 * is a directory, and is writable (a write that fails later is undone and answered 500; better to refuse to start).
 * Throws a {@link DataFileError} naming the path.
 */
export function checkDataDir (file: string): void {
  // Each save renames a new file over FILE: a device (`/dev/null`) would be replaced by the state, a symbolic link by
  // a file of its own (its target never written again), and a FIFO would block the start reading it.
  let kind: string | undefined
  try {
    const stat = lstatSync(file)
    kind = stat.isFile() ? undefined : stat.isSymbolicLink() ? 'a symbolic link (give the path of the file itself)' : stat.isDirectory() ? 'a directory' : 'not a regular file'
  } catch { /* no such file yet: the first save makes it */ }
  if (kind !== undefined) throw new DataFileError(`emulator data file ${file} is ${kind}`)
  const dir = dirname(file)
  let isDir: boolean
  try {
    isDir = statSync(dir).isDirectory()
  } catch (err) {
    throw new DataFileError(`emulator data file ${file}: the directory ${dir} does not exist`, { cause: err })
  }
  if (!isDir) throw new DataFileError(`emulator data file ${file}: ${dir} is not a directory`)
  // Proven by writing, as each save does (a temporary file beside it): access(2) says yes to root on a read-only mount
  // or a filesystem such as /proc, where every save would then fail.
  const probe = join(dir, `.${basename(file)}.${process.pid}.probe`)
  try {
    closeSync(openSync(probe, 'wx', 0o600))
    unlinkSync(probe)
  } catch (err) {
    throw new DataFileError(`emulator data file ${file}: the directory ${dir} is not writable`, { cause: err })
  }
  // Each save renames its temporary file over the data file: in a sticky directory (/tmp) that takes owning the file
  // or the directory (or being root).
  if (!mayReplace(file, dir)) throw new DataFileError(`emulator data file ${file}: it belongs to another user in the sticky directory ${dir}`)
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

/** The data files (resolved paths) an emulator of this process holds. */
const held = new Set<string>()

/**
 * Takes the data file for this emulator: one file belongs to one emulator, since each saves its whole state over it and
 * two would erase each other's acknowledged writes. The lock is `FILE.lock`, holding the owner's pid; one whose
 * process no longer runs (a `kill -9`) is taken over, as is one naming this very pid that this process does not hold
 * (a container restarted with the pid it had). Throws a {@link DataFileError} naming the file, and the pid that holds it. Returns the release.
 */
export function lockDataFile (file: string): () => void {
  const path = resolve(file)
  const lock = `${path}.lock`
  if (held.has(path)) throw new DataFileError(`emulator data file ${file} is in use by another emulator of this process (one file belongs to one emulator)`)
  // A takeover in progress ends in a few system calls; a start descheduled in the middle of one, in a moment.
  const until = Date.now() + 2000
  while (Date.now() < until) {
    if (createLock(file, lock) || takeOverStaleLock(file, lock) === true) {
      held.add(path)
      return () => {
        if (!held.delete(path)) return
        try { unlinkSync(lock) } catch { /* removed by hand: nothing left to release */ }
      }
    }
    refuseIfHeld(file, lock)
    pause(5)
  }
  refuseIfHeld(file, lock)
  const holder = lockOwner(`${lock}.takeover`)
  throw new DataFileError(`emulator data file ${file}: could not take its lock file ${lock}${holder === undefined ? '' : ` (${lock}.takeover is held by process ${holder})`}`)
}

/** Throws "in use" when the lock names another process that runs. */
function refuseIfHeld (file: string, lock: string): void {
  const owner = lockOwner(lock)
  if (owner !== undefined && owner !== process.pid && isRunning(owner)) {
    throw new DataFileError(`emulator data file ${file} is in use by another emulator (process ${owner}; one file belongs to one emulator)`)
  }
}

/**
 * Replaces a stale lock (its process gone, or no pid in it) with ours, under a second lock, `FILE.lock.takeover`. A
 * lock is removed by name, so of two starts that read the same stale lock, the second would otherwise remove the
 * lock the first had just made, and both would take the file. Under the takeover the lock is read again, removed only
 * if it is still stale, and ours made before the takeover is given back. True when ours is made; false when the lock
 * is not stale, another start made its lock first, or another start holds the takeover.
 */
function takeOverStaleLock (file: string, lock: string): boolean {
  const takeover = `${lock}.takeover`
  if (!createLock(file, takeover)) {
    clearStaleTakeover(takeover)
    return false
  }
  try {
    if (!existsSync(lock)) return createLock(file, lock)
    const owner = lockOwner(lock)
    if (owner !== undefined && owner !== process.pid && isRunning(owner)) return false
    // Nobody else removes a lock but under the takeover (or its live owner), and nobody makes one while it exists.
    try {
      unlinkSync(lock)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'ENOENT') throw new DataFileError(`emulator data file ${file}: cannot remove its stale lock file ${lock} (${code ?? 'error'})`, { cause: err })
    }
    return createLock(file, lock)
  } finally {
    removeQuietly(takeover)
  }
}

/**
 * Clears a takeover whose start died holding it (a window of a few system calls), which would otherwise hold the file
 * forever. It is moved aside first, atomically, and looked at there: removed by name, a takeover another start had
 * just made in its place would go, and two starts would then replace the lock at once. One that is not stale after
 * all is put back.
 */
function clearStaleTakeover (takeover: string): void {
  const holder = lockOwner(takeover)
  if (holder !== undefined && holder !== process.pid && isRunning(holder)) return
  const aside = `${takeover}.${process.pid}.stale`
  try { renameSync(takeover, aside) } catch { return } // gone already
  const moved = lockOwner(aside)
  if (moved !== undefined && moved !== process.pid && isRunning(moved)) {
    try { linkSync(aside, takeover) } catch { /* another start made one meanwhile: it holds the takeover */ }
  }
  removeQuietly(aside)
}

function removeQuietly (path: string): void {
  try { unlinkSync(path) } catch { /* gone already */ }
}

/** Blocks for `ms` (the start is synchronous; the wait is a few milliseconds at most, and only on a contended lock). */
function pause (ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

/** Creates the lock with our pid in it, atomically (a link, so no one reads it empty); false when it exists. */
function createLock (file: string, lock: string): boolean {
  const tmp = join(dirname(lock), `.${basename(file)}.${process.pid}.locking`)
  try {
    writePidFile(file, lock, tmp, 'w')
    try {
      linkSync(tmp, lock)
      return true
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
      return writePidFile(file, lock, lock, 'wx') // a filesystem without hard links: the lock made in place
    }
  } finally {
    removeQuietly(tmp)
  }
}

/** Writes our pid to a new file at `path`, for the lock `lock`: false when `wx` finds one there already. */
function writePidFile (file: string, lock: string, path: string, flags: 'w' | 'wx'): boolean {
  try {
    const fd = openSync(path, flags, 0o600)
    try { writeSync(fd, `${process.pid}\n`) } finally { closeSync(fd) }
    return true
  } catch (err) {
    if (flags === 'wx' && (err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw new DataFileError(`emulator data file ${file}: cannot create its lock file ${lock} (${(err as Error).message})`, { cause: err })
  }
}

/** The pid a lock file names; undefined when it names none (a stray file, which is taken over). */
function lockOwner (lock: string): number | undefined {
  try {
    const text = readFileSync(lock, 'utf8').trim()
    return /^[1-9]\d{0,9}$/.test(text) ? Number(text) : undefined
  } catch {
    return undefined
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
