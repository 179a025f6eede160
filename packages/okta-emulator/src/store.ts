// The emulator's state: users, their factors, and the indexes that find them. In memory; with a
// data file, `commit()` writes the whole state atomically (temporary file, fsync, rename, fsync
// of the directory) and is called by every write BEFORE its reply is sent, so a `kill -9` right
// after a 200 loses nothing and a half-written file can never replace a good one. A write that
// cannot be made durable is undone in memory too (the state goes back to the last one written) and
// answered 500 E0000009: what was not acknowledged did not happen.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, basename, join } from 'node:path'
import { hashPlainAnswers } from './credentials.js'
import { OktaError, validationError } from './errors.js'
import { checkDataDir, lockDataFile, removeStaleTemps } from './data-dir.js'
import { DataFileError } from './data-file-error.js'
import { parseJsonText } from './json-file.js'
import { snapshotUsersProblem } from './snapshot-check.js'
import { DEFAULT_MAX_USERS } from './limits.js'
import type { FactorRecord, UserRecord } from './types.js'

/**
 * Login of the user who owns the SSWS token (what `/api/v1/users/me` answers). Seed a user with this
 * login to choose its profile; otherwise it is created, ACTIVE, the first time `me` is asked for.
 */
export const TOKEN_OWNER_LOGIN = 'okta-emulator-admin@example.com'

/**
 * The data file's format. 2: question answers kept only as hashes; an emulator that knows only 1 refuses the file,
 * rather than reading answers it cannot compare. A version 1 file is read (its plain answers hashed) and written as 2.
 */
const SNAPSHOT_VERSION = 2

interface Snapshot {
  version: 1 | 2
  users: Array<UserRecord & { factors: FactorRecord[] }>
  /** The id of the token's owner (`me`), once it was asked for. Optional: older files lack it. */
  owner?: string
  /** List places: `live[i]` is `users[i]`'s, `deleted` the deleted users' a cursor may still name. Optional too. */
  places?: { live: number[], deleted: Array<[string, number]> }
}

/** How many deleted users' list positions are kept for page cursors that name them. */
const CURSOR_TOMBSTONES = 10_000

/**
 * A login as Okta compares them: logins differing only in case or diacritical marks are the same login
 * (`Isaac.Brock@example.com`, `isaac.brock@example.com` and `isáàc.bröck@example.com`, Okta's UserProfile.login).
 */
export function loginKey (login: string): string {
  return login.normalize('NFD').replace(DIACRITICS, '').toLowerCase()
}

/**
 * The combining diacritical marks (accents, cedillas, …: U+0300–036F and their extended, supplement, symbol and half
 * blocks), which Okta ignores when it compares logins. Not every mark: a Devanagari or Thai vowel sign is a letter of
 * the word ("किरण" and "करण" are two names).
 */
const DIACRITICS = /[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]/g

/** In-memory state with optional durable snapshotting. */
export class Store {
  /** Users by id, in creation order (the list order). */
  readonly users = new Map<string, UserRecord>()
  private readonly byLogin = new Map<string, string>()
  /** Login shortname (the part before `@`, lower-cased) to the ids of users that have it. */
  private readonly byShortname = new Map<string, Set<string>>()
  private readonly factorsByUser = new Map<string, Map<string, FactorRecord>>()
  private readonly factorIndex = new Map<string, FactorRecord>()
  /** Each user's place in the list, so that a page cursor still works after its user is deleted. */
  private readonly places = new Map<string, number>()
  /** Places of deleted users that a cursor may still name (the newest {@link CURSOR_TOMBSTONES}). */
  private readonly deletedPlaces = new Map<string, number>()
  private nextPlace = 0
  /**
   * The id of the user who owns the API token (`me`), once it was asked for: it stays `me` when its login changes, as
   * the token stays its owner's. Undefined until then, or once that user is deleted.
   */
  ownerId: string | undefined
  private readonly dataFile: string | undefined
  /** Most users held; see {@link addUser}. */
  readonly maxUsers: number

  /** The state as last written to the data file (the JSON of a {@link Snapshot}); a failed write goes back to it. */
  private committed = ''
  /** Releases the data file's lock (see {@link lockDataFile}); a no-op without a data file. */
  private readonly unlock: () => void = () => {}

  constructor (dataFile?: string, maxUsers = DEFAULT_MAX_USERS) {
    this.dataFile = dataFile
    this.maxUsers = maxUsers
    if (dataFile === undefined) return
    checkDataDir(dataFile)
    this.unlock = lockDataFile(dataFile)
    try {
      removeStaleTemps(dataFile)
      if (existsSync(dataFile)) this.load(dataFile)
      this.committed = this.serialize()
    } catch (err) {
      this.release()
      throw err
    }
  }

  /** Gives the data file up (its lock), for another emulator to take; once the server is closed. Idempotent. */
  release (): void {
    this.unlock()
  }

  /**
   * A user by id, else by login (case- and accent-insensitive), else by login shortname (the part before `@`)
   * when exactly one user has it.
   */
  findUser (idOrLogin: string): UserRecord | undefined {
    const byId = this.users.get(idOrLogin)
    if (byId !== undefined) return byId
    const key = loginKey(idOrLogin)
    const id = this.byLogin.get(key)
    if (id !== undefined) return this.users.get(id)
    if (key.includes('@')) return undefined
    const ids = this.byShortname.get(key)
    return ids?.size === 1 ? this.users.get(ids.values().next().value!) : undefined
  }

  /** Whether a login is taken (case- and accent-insensitive, as Okta compares logins). */
  hasLogin (login: string): boolean {
    return this.byLogin.has(loginKey(login))
  }

  /**
   * Stores a new user and indexes its login. A full store refuses (400 E0000001) rather than
   * evicting anyone: eviction would reset the victim's lockout counter. The token's owner may be made one past the
   * cap: a real org always has it, so `/users/me` works in a full emulator too. One past, not uncounted: a login can
   * be changed, and an owner renamed (or a user given its login and renamed) would otherwise add users without end.
   */
  addUser (user: UserRecord): void {
    const isOwner = loginKey(String(user.profile['login'])) === loginKey(TOKEN_OWNER_LOGIN)
    if (this.users.size >= this.maxUsers + (isOwner ? 1 : 0)) {
      throw validationError('newUser', `The emulator holds at most ${this.maxUsers} users (maxUsers).`)
    }
    this.insert(user)
  }

  private insert (user: UserRecord): void {
    this.users.set(user.id, user)
    this.places.set(user.id, this.nextPlace++)
    this.indexLogin(user.id, String(user.profile['login']))
    this.factorsByUser.set(user.id, new Map())
  }

  private indexLogin (id: string, login: string): void {
    const key = loginKey(login)
    this.byLogin.set(key, id)
    const short = key.split('@')[0]!
    let ids = this.byShortname.get(short)
    if (ids === undefined) this.byShortname.set(short, ids = new Set())
    ids.add(id)
  }

  private unindexLogin (id: string, login: string): void {
    const key = loginKey(login)
    this.byLogin.delete(key)
    const short = key.split('@')[0]!
    const ids = this.byShortname.get(short)
    ids?.delete(id)
    if (ids?.size === 0) this.byShortname.delete(short)
  }

  /** Re-indexes a user whose login changed (update or replace). */
  renameLogin (user: UserRecord, oldLogin: string): void {
    this.unindexLogin(user.id, oldLogin)
    this.indexLogin(user.id, String(user.profile['login']))
  }

  /** Removes a user with its factors. */
  deleteUser (user: UserRecord): void {
    for (const f of this.factors(user.id)) this.factorIndex.delete(f.id)
    this.factorsByUser.delete(user.id)
    this.unindexLogin(user.id, String(user.profile['login']))
    this.users.delete(user.id)
    if (this.ownerId === user.id) this.ownerId = undefined
    const place = this.places.get(user.id)
    this.places.delete(user.id)
    if (place !== undefined) {
      this.deletedPlaces.set(user.id, place)
      if (this.deletedPlaces.size > CURSOR_TOMBSTONES) this.deletedPlaces.delete(this.deletedPlaces.keys().next().value!)
    }
  }

  /**
   * The list position a page cursor (`after`, a user id) names: that of a live user or of a recently deleted one,
   * so that paging on while deleting what was listed goes on from the same place. Undefined for an unknown cursor.
   */
  placeOf (id: string): number | undefined {
    return this.places.get(id) ?? this.deletedPlaces.get(id)
  }

  /** The list position of a live user. */
  placeOfUser (user: UserRecord): number {
    return this.places.get(user.id)!
  }

  /** Number of factors held (all users). */
  get factorCount (): number {
    return this.factorIndex.size
  }

  /** The user's factors in enrollment order. */
  factors (userId: string): FactorRecord[] {
    const m = this.factorsByUser.get(userId)
    return m === undefined ? [] : [...m.values()]
  }

  /** How many factors a user has. */
  factorCountOf (userId: string): number {
    return this.factorsByUser.get(userId)?.size ?? 0
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

  private serialize (): string {
    const snapshot: Snapshot = {
      version: SNAPSHOT_VERSION,
      users: [...this.users.values()].map((u) => ({ ...u, factors: this.factors(u.id) })),
      ...(this.ownerId === undefined ? {} : { owner: this.ownerId }),
      places: { live: [...this.users.keys()].map((id) => this.places.get(id)!), deleted: [...this.deletedPlaces] },
    }
    return JSON.stringify(snapshot)
  }

  /**
   * Makes the current state durable (no-op without a data file). Synchronous on purpose: see the file comment.
   * When the file cannot be written, the state goes back to the last one written and this throws 500 E0000009
   * (the reason is logged on stderr): the caller's change is undone, not left in memory unacknowledged.
   */
  commit (): void {
    if (this.dataFile === undefined) return
    const json = this.serialize()
    try {
      this.write(this.dataFile, json)
    } catch (err) {
      this.restore()
      process.stderr.write(`[okta-emulator] could not write the data file ${this.dataFile} (${(err as Error).message}); the change was undone\n`)
      const e = new OktaError(500, 'E0000009', 'Internal Server Error')
      e.cause = err
      throw e
    }
    this.committed = json
  }

  private write (file: string, json: string): void {
    const dir = dirname(file)
    const tmp = join(dir, `.${basename(file)}.${process.pid}.tmp`)
    try {
      const fd = openSync(tmp, 'w', 0o600)
      try {
        // Every byte, or an error: one write(2) may write part of it and say so only by its count (a disk nearly full,
        // a file size limit), and that half a file would then replace the good one.
        writeFileSync(fd, json)
        fsyncSync(fd)
      } finally {
        closeSync(fd)
      }
      renameSync(tmp, file)
    } catch (err) {
      // What was written of it takes no more room.
      rmSync(tmp, { force: true })
      throw err
    }
    try {
      const dfd = openSync(dir, 'r')
      try { fsyncSync(dfd) } finally { closeSync(dfd) }
    } catch {
      // Some platforms cannot open a directory for fsync; the rename is still atomic there.
    }
  }

  /**
   * Goes back to the state last written. List places stay: a user the undone write added loses its place, one it
   * deleted gets its place back, so page cursors mean what they meant.
   */
  private restore (): void {
    const snapshot = JSON.parse(this.committed) as Snapshot
    const keep = new Set(snapshot.users.map((u) => u.id))
    for (const id of this.places.keys()) if (!keep.has(id)) this.places.delete(id)
    for (const id of keep) {
      const place = this.deletedPlaces.get(id)
      if (place !== undefined && !this.places.has(id)) this.places.set(id, place)
      this.deletedPlaces.delete(id)
    }
    this.users.clear()
    this.byLogin.clear()
    this.byShortname.clear()
    this.factorsByUser.clear()
    this.factorIndex.clear()
    this.fill(snapshot)
    this.ownerId = snapshot.owner
  }

  private fill (snapshot: Snapshot): void {
    for (const { factors, ...user } of snapshot.users) {
      this.users.set(user.id, user)
      if (!this.places.has(user.id)) this.places.set(user.id, this.nextPlace++)
      this.indexLogin(user.id, String(user.profile['login']))
      this.factorsByUser.set(user.id, new Map())
      for (const f of factors) this.addFactor(f)
    }
  }

  /**
   * Takes the list places a file kept, so that a page cursor naming a user, live or deleted, goes on where it was
   * after a restart. A file without them, or with places that are not increasing integers, numbers the users afresh.
   */
  private placesOf (snapshot: Snapshot): void {
    const { live, deleted } = snapshot.places ?? {}
    const isPlace = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0
    if (!Array.isArray(live) || live.length !== snapshot.users.length || !Array.isArray(deleted)) return
    if (!live.every((n, i) => isPlace(n) && (i === 0 || n > live[i - 1]!))) return
    const gone = deleted.filter((d): d is [string, number] => Array.isArray(d) && typeof d[0] === 'string' && isPlace(d[1]))
      .slice(-CURSOR_TOMBSTONES)
    snapshot.users.forEach((u, i) => { this.places.set(u.id, live[i]!) })
    for (const [id, place] of gone) if (!this.places.has(id)) this.deletedPlaces.set(id, place)
    this.nextPlace = gone.reduce((max, d) => Math.max(max, d[1]), live.at(-1) ?? -1) + 1
  }

  private load (file: string): void {
    let snapshot: Snapshot
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (err) {
      throw new DataFileError(`cannot read emulator data file ${file}`, { cause: err })
    }
    // An empty file (what mktemp makes) is a fresh state, as a missing one is; the first write fills it.
    if (text.trim() === '') return
    try {
      snapshot = parseJsonText(text) as Snapshot
    } catch (err) {
      throw new DataFileError(`emulator data file ${file} is not an okta-emulator state file (not JSON)`, { cause: err })
    }
    if ((snapshot?.version !== 1 && snapshot?.version !== SNAPSHOT_VERSION) || !Array.isArray(snapshot.users)) {
      throw new DataFileError(`emulator data file ${file} is not an okta-emulator state file`)
    }
    const problem = snapshotUsersProblem(snapshot.users)
    if (problem !== undefined) throw new DataFileError(`emulator data file ${file} is not an okta-emulator state file (${problem})`)
    this.placesOf(snapshot)
    this.fill(snapshot)
    if (typeof snapshot.owner === 'string' && this.users.has(snapshot.owner)) this.ownerId = snapshot.owner
    // An older emulator kept question answers in plain text: the file is written again at once, with hashes only
    // (and as version 2, which such an emulator refuses).
    if (hashPlainAnswers(this.factorIndex.values()) || snapshot.version !== SNAPSHOT_VERSION) {
      try {
        this.write(file, this.serialize())
      } catch (err) {
        throw new DataFileError(`emulator data file ${file} cannot be written again in this version's form (${(err as Error).message})`, { cause: err })
      }
    }
  }
}
