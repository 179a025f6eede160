// Writes one benchmark's figures into its own section of BENCHMARKS.md, leaving the others as they were,
// so each benchmark can be re-run alone.
import { readFile, writeFile } from 'node:fs/promises'
import { cpus, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'

const FILE = fileURLToPath(new URL('../../BENCHMARKS.md', import.meta.url))
const HEADER = '# Benchmarks\n\nWritten by `pnpm bench` (bench/). Every comparison in a section ran side by side in the same run, on the machine named in it.\n'

/** A line naming the machine and Node version, for the top of a section. */
export function machine (): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU'
  return `${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`
}

/** Replaces (or appends) the section `name` of BENCHMARKS.md with `markdown`. */
export async function writeSection (name: string, markdown: string): Promise<void> {
  let text: string
  try {
    text = await readFile(FILE, 'utf8')
  } catch {
    text = HEADER
  }
  const start = `<!-- bench:${name} -->`
  const end = `<!-- /bench:${name} -->`
  const block = `${start}\n${markdown.trim()}\n${end}`
  const i = text.indexOf(start)
  const j = text.indexOf(end)
  text = i !== -1 && j > i ? text.slice(0, i) + block + text.slice(j + end.length) : `${text.trimEnd()}\n\n${block}\n`
  await writeFile(FILE, text)
}
