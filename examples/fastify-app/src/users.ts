// The app's own accounts for the primary (password) login: an in-memory list, as a real app would keep in
// its database. Passwords are stored only as scrypt hashes and compared in constant time.
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto'
import { promisify } from 'node:util'
import { normalizeUsername } from 'passport-okta-mfa'

const scryptAsync = promisify(scrypt) as (password: Buffer, salt: Buffer, keylen: number) => Promise<Buffer>

/**
 * A password as scrypt is given it: its SHA-256, always 32 bytes. scrypt keys an HMAC with the password, and HMAC pads
 * a short key with zero bytes, so given as typed "secret" and "secret\0" would be one password.
 */
function passwordKey (password: string): Buffer {
  return createHash('sha256').update(password, 'utf8').digest()
}

/** Length of the derived key; the scrypt cost is Node's default (N = 16384, r = 8, p = 1). */
const KEY_LENGTH = 32

/** One account of the app, as it lives in the session (no password, no hash). */
export interface AppUser {
  /** Stable id of the app's user (what the session stores). */
  id: string
  username: string
  displayName: string
  /** The login of the matching Okta user (an e-mail address). */
  oktaLogin: string
}

/** An account to create, with its password in clear (only at start). */
export interface UserSeed {
  id: string
  username: string
  password: string
  displayName: string
  oktaLogin: string
}

interface StoredUser extends AppUser {
  salt: Buffer
  hash: Buffer
}

/** Demo accounts. alice has no factor (her first sign-in enrolls one), bob has TOTP, carol has sms (emulator only). */
export const DEMO_USERS: readonly UserSeed[] = Object.freeze([
  { id: 'u1', username: 'alice', password: 'correct-horse-battery', displayName: 'Alice Example', oktaLogin: 'alice@example.com' },
  { id: 'u2', username: 'bob', password: 'correct-horse-battery', displayName: 'Bob Example', oktaLogin: 'bob@example.com' },
  { id: 'u3', username: 'carol', password: 'correct-horse-battery', displayName: 'Carol Example', oktaLogin: 'carol@example.com' },
])

/** Users in memory with scrypt-hashed passwords. Build with {@link UserStore.create}. */
export class UserStore {
  private readonly byUsername = new Map<string, StoredUser>()
  private readonly byId = new Map<string, StoredUser>()
  /** A hash to compare against when the username is unknown, so both cases take the same time. */
  private readonly decoy: { salt: Buffer, hash: Buffer }

  private constructor (users: StoredUser[], decoy: { salt: Buffer, hash: Buffer }) {
    for (const user of users) {
      this.byUsername.set(normalizeUsername(user.username), user)
      this.byId.set(user.id, user)
    }
    this.decoy = decoy
  }

  /**
   * Hashes the seeds' passwords and returns the store.
   * @example
   * const users = await UserStore.create(DEMO_USERS)
   */
  static async create (seeds: readonly UserSeed[]): Promise<UserStore> {
    const stored = await Promise.all(seeds.map(async ({ password, ...user }) => ({ ...user, ...await hashPassword(password) })))
    return new UserStore(stored, await hashPassword(randomBytes(16).toString('hex')))
  }

  /** The user whose password matches, or `null`. */
  async verify (username: string, password: string): Promise<AppUser | null> {
    const user = this.byUsername.get(normalizeUsername(username))
    const { salt, hash } = user ?? this.decoy
    const candidate = await scryptAsync(passwordKey(password), salt, KEY_LENGTH)
    const same = timingSafeEqual(candidate, hash)
    return user !== undefined && same ? publicUser(user) : null
  }

  /** The user with this id, or `undefined`. */
  get (id: string): AppUser | undefined {
    const user = this.byId.get(id)
    return user === undefined ? undefined : publicUser(user)
  }

  /** Every user (without hashes). */
  list (): AppUser[] {
    return [...this.byId.values()].map(publicUser)
  }
}

async function hashPassword (password: string): Promise<{ salt: Buffer, hash: Buffer }> {
  const salt = randomBytes(16)
  return { salt, hash: await scryptAsync(passwordKey(password), salt, KEY_LENGTH) }
}

function publicUser ({ id, username, displayName, oktaLogin }: StoredUser): AppUser {
  return { id, username, displayName, oktaLogin }
}
