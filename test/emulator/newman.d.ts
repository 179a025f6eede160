// The part of newman's Node API the Postman test uses (newman ships no typings).
declare module 'newman' {
  import type { EventEmitter } from 'node:events'

  interface RunOptions {
    collection: object
    envVar?: Array<{ key: string, value: string }>
    reporters?: string[]
  }
  interface RunSummary { run: { failures: Array<{ error: { message: string } }> } }
  interface RequestArgs {
    item: { name: string }
    request: { url: { toString: () => string } }
    response?: { code: number, stream?: Buffer }
  }
  interface AssertionArgs { assertion: string, item: { name: string } }
  interface Run extends EventEmitter {
    on(event: 'request', listener: (err: Error | null, args: RequestArgs) => void): this
    on(event: 'assertion', listener: (err: Error | null, args: AssertionArgs) => void): this
  }
  function run (options: RunOptions, callback?: (err: Error | null, summary: RunSummary) => void): Run
  const newman: { run: typeof run }
  export default newman
}
