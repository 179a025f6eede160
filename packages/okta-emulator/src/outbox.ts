// Where sms, call and email codes go instead of a phone or a mailbox: kept in memory for tests
// (`emulator.messages()`, `GET /__emulator/messages`) and echoed on the console so a person
// running the emulator by hand can read the code.
import { DEFAULT_MAX_MESSAGES } from './limits.js'
import type { MessageFilter, OutboxMessage } from './types.js'
import { InvalidOptionError } from './invalid-option.js'

const FILTER_KEYS = new Set(['userId', 'factorId', 'channel'])

/**
 * Throws TypeError, naming the argument, unless `filter` is a {@link MessageFilter}: absent, or an object whose only
 * fields are `userId` and `factorId` (strings) and `channel` (`sms`, `call` or `email`). `where` names the helper.
 */
export function checkFilter (filter: unknown, where: string): asserts filter is MessageFilter | undefined {
  if (filter === undefined) return
  if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) {
    throw new InvalidOptionError(`${where}: "filter" must be an object { userId?, factorId?, channel? } or absent, got ${filter === null ? 'null' : Array.isArray(filter) ? 'an array' : typeof filter}`)
  }
  for (const [key, value] of Object.entries(filter)) {
    if (!FILTER_KEYS.has(key)) throw new InvalidOptionError(`${where}: "filter" has no field ${JSON.stringify(key.slice(0, 64))} (userId, factorId, channel)`)
    if (value === undefined) continue
    if (typeof value !== 'string') throw new InvalidOptionError(`${where}: "filter.${key}" must be a string`)
    if (key === 'channel' && value !== 'sms' && value !== 'call' && value !== 'email') throw new InvalidOptionError(`${where}: "filter.channel" must be sms, call or email`)
  }
}

/** The emulator's outbox. */
export class Outbox {
  private readonly list: OutboxMessage[] = []
  private seq = 0
  private readonly echo: boolean
  private readonly max: number

  /** `max`: most messages kept; the oldest go first (the code itself lives on its factor, so verifying is unaffected). */
  constructor (echo: boolean, max = DEFAULT_MAX_MESSAGES) {
    this.echo = echo
    this.max = max
  }

  /** How many messages are kept. */
  get size (): number {
    return this.list.length
  }

  /** Records a message and echoes it unless quiet. */
  send (msg: Omit<OutboxMessage, 'id'>): OutboxMessage {
    const full: OutboxMessage = { id: `msg${++this.seq}`, ...msg }
    if (this.list.length >= this.max) this.list.shift()
    this.list.push(full)
    if (this.echo) {
      process.stdout.write(`[okta-emulator] ${full.channel} to ${full.to} (user ${full.userId}, factor ${full.factorId}): code ${full.code}\n`)
    }
    return full
  }

  /** Messages matching every field of `filter`, oldest first. */
  find (filter: MessageFilter = {}): OutboxMessage[] {
    return this.list.filter((m) =>
      (filter.userId === undefined || m.userId === filter.userId) &&
      (filter.factorId === undefined || m.factorId === filter.factorId) &&
      (filter.channel === undefined || m.channel === filter.channel))
  }

  /** Empties the outbox. */
  clear (): void {
    this.list.length = 0
  }
}
