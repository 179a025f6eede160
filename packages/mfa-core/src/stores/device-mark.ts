// The key of RememberedDevices' "forget remembered devices" mark in a RevocationStore, and how a store tells such a
// mark from a user's "sign out of all sessions" (which the memory store keeps apart: they live 400 days, not a day).
import { MAX_USER_KEY_LENGTH } from '../session-state.js'

/** The length of every device mark: more than any user key's. */
const MARK_LENGTH = MAX_USER_KEY_LENGTH + 16

/**
 * The user mark of "forget remembered devices" in the revocation store: longer than any user key (at most
 * MAX_USER_KEY_LENGTH), so no user's "sign out of all sessions" can hit another user's devices, and length-prefixed,
 * so two users never share one.
 */
export function deviceMarkKey (userKey: string): string {
  return `device:${userKey.length}:${userKey}:`.padEnd(MARK_LENGTH, '#')
}

/** Whether a user mark's key is a device mark: no user key is that long. */
export function isDeviceMarkKey (key: string): boolean {
  return key.length > MAX_USER_KEY_LENGTH
}

const DEVICE_MARK_HEAD = /^device:(\d{1,3}):/

/**
 * The same mark without its padding, for a store that keeps marks as map keys (the padding only keeps device marks
 * apart from user keys; a store that holds them apart itself needs none of it). `own: true` returns a fresh flat
 * copy, so a key kept in a map does not pin the padded string it was sliced from (V8 slices share their parent).
 * A long key that is not exactly deviceMarkKey's form (a custom caller's) comes back unchanged.
 */
export function compactDeviceMarkKey (key: string, own: boolean): string {
  const head = key.length === MARK_LENGTH ? DEVICE_MARK_HEAD.exec(key) : null
  if (head === null) return key
  const end = head[0].length + Number(head[1]) + 1
  if (end > key.length || key.charCodeAt(end - 1) !== 0x3a) return key
  for (let i = end; i < key.length; i++) if (key.charCodeAt(i) !== 0x23) return key
  const compact = key.slice(0, end)
  return own ? Buffer.from(compact, 'utf16le').toString('utf16le') : compact
}
