// Runs every benchmark in turn (or those named on the command line), each writing its section of BENCHMARKS.md.
import { readdir } from 'node:fs/promises'

const here = new URL('.', import.meta.url)
const wanted = process.argv.slice(2)
const files = (await readdir(here)).filter((f) => f.endsWith('.bench.js')).sort()
for (const file of files) {
  const name = file.replace(/\.bench\.js$/, '')
  if (wanted.length > 0 && !wanted.includes(name)) continue
  console.log(`# bench ${name}`)
  const mod = await import(new URL(file, here).href) as { run: () => Promise<void> }
  await mod.run()
}
