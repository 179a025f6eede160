// The emulator's state: users, their factors, and the indexes that find them. In memory; with a
// data file, `commit()` writes the whole state atomically (temporary file, fsync, rename, fsync
// of the directory) and is called by every write BEFORE its reply is sent, so a `kill -9` right
// after a 200 loses nothing and a half-written file can never replace a good one.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs'
import { dirname, basename, join } from 'node:path'
import type { FactorRecord, UserRecord } from './types.js'

interface Snapshot {
  version: 1
  users: Array<UserRecord & { factors: FactorRecord[] }>
}

/** In-memory state with optional durable snapshotting. */
export class Store {
  /** Users by id, in creation order (the list order). */
  readonly users = new Map<string, UserRecord>()
  private readonly byLogin = new Map<string, string>()
  private readonly factorsByUser = new Map<string, Map<string, FactorRecord>>()
  private readonly factorIndex = new Map<string, FactorRecord>()
  private readonly dataFile: string | undefined

  constructor (dataFile?: string) {
    this.dataFile = dataFile
    if (dataFile !== undefined && existsSync(dataFile)) this.load(dataFile)
  }

  /** A user by id, or by login (case-insensitive) when no id matches. */
  findUser (idOrLogin: string): UserRecord | undefined {
    const byId = this.users.get(idOrLogin)
    if (byId !== undefined) return byId
    const id = this.byLogin.get(idOrLogin.toLowerCase())
    return id === undefined ? undefined : this.users.get(id)
  }

  /** Whether a login is taken (case-insensitive, as Okta compares logins). */
  hasLogin (login: string): boolean {
    return this.byLogin.has(login.toLowerCase())
  }

  /** Stores a new user and indexes its login. */
  addUser (user: UserRecord): void {
    this.users.set(user.id, user)
    this.byLogin.set(String(user.profile['login']).toLowerCase(), user.id)
    this.factorsByUser.set(user.id, new Map())
  }

  /** Removes a user with its factors. */
  deleteUser (user: UserRecord): void {
    for (const f of this.factors(user.id)) this.factorIndex.delete(f.id)
    this.factorsByUser.delete(user.id)
    this.byLogin.delete(String(user.profile['login']).toLowerCase())
    this.users.delete(user.id)
  }

  /** The user's factors in enrollment order. */
  factors (userId: string): FactorRecord[] {
    const m = this.factorsByUser.get(userId)
    return m === undefined ? [] : [...m.values()]
  }

  /** One factor of one user. */
  factor (userId: string, factorId: string): FactorRecord | undefined {
    return this.factorsByUser.get(userId)?.get(factorId)
  }

  /** A factor by id alone (emulator helpers). */
  factorById (factorId: string): FactorRecord | undefined {
    return this.factorIndex.get(factorId)
  }

  /** Stores a factor under its user. */
  addFactor (factor: FactorRecord): void {
    this.factorsByUser.get(factor.userId)?.set(factor.id, factor)
    this.factorIndex.set(factor.id, factor)
  }

  /** Removes one factor. */
  deleteFactor (factor: FactorRecord): void {
    this.factorsByUser.get(factor.userId)?.delete(factor.id)
    this.factorIndex.delete(factor.id)
  }

  /** Makes the current state durable (no-op without a data file). Synchronous on purpose: see the file comment. */
  commit (): void {
    if (this.dataFile === undefined) return
    const snapshot: Snapshot = {
      version: 1,
      users: [...this.users.values()].map((u) => ({ ...u, factors: this.factors(u.id) })),
    }
    const dir = dirname(this.dataFile)
    const tmp = join(dir, `.${basename(this.dataFile)}.${process.pid}.tmp`)
    const fd = openSync(tmp, 'w', 0o600)
    try {
      writeSync(fd, JSON.stringify(snapshot))
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, this.dataFile)
    try {
      const dfd = openSync(dir, 'r')
      try { fsyncSync(dfd) } finally { closeSync(dfd) }
    } catch {
      // Some platforms cannot open a directory for fsync; the rename is still atomic there.
    }
  }

  private load (file: string): void {
    let snapshot: Snapshot
    try {
      snapshot = JSON.parse(readFileSync(file, 'utf8')) as Snapshot
    } catch (err) {
      throw new Error(`cannot read emulator data file ${file}`, { cause: err })
    }
    if (snapshot?.version !== 1 || !Array.isArray(snapshot.users)) {
      throw new Error(`emulator data file ${file} is not an okta-emulator state file`)
    }
    for (const { factors, ...user } of snapshot.users) {
      this.addUser(user)
      for (const f of factors) this.addFactor(f)
    }
  }
}
