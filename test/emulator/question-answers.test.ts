// Guards how a security question factor's answer is kept: as the salted scrypt hash of the trimmed, lower-cased
// answer (as a recovery answer is), never the answer itself, in memory and so in the --data file: after an
// enrollment, an update (PUT) and a seed. The verify answers as before (SUCCESS, or 403 E0000068), also after a
// restart from the file. A data file from an older emulator, which held the plain answer, still verifies, and is
// written again without it when the emulator starts.
import t, { type Test } from 'tap'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { startEmulator } from '@okta-mfa/emulator'
import { emuFetch, withEmulator, type TestEmulator } from '../helpers/emulator.js'

const ANSWER = 'Mayonnaise-Secret-Answer'

async function dataDir (t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'okta-emu-q-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return join(dir, 'state.json')
}

/** Verifies the question factor with `answer`: [status, body]. */
async function verify (emu: TestEmulator, userId: string, factorId: string, answer: string): Promise<[number, unknown]> {
  const r = await emuFetch(emu, 'POST', `/api/v1/users/${userId}/factors/${factorId}/verify`, { answer })
  return [r.status, r.status === 200 ? r.body : [r.body.errorCode, r.body.errorSummary, r.body.errorCauses]]
}

const SUCCESS: [number, unknown] = [200, { factorResult: 'SUCCESS' }]
const WRONG: [number, unknown] = [403, ['E0000068', 'Invalid Passcode/Answer', [{ errorSummary: "Your answer doesn't match our records. Please try again." }]]]

/** Checks the data file holds no form of `answer`, and each question factor a salted hash. */
async function holdsNoAnswer (t: Test, file: string, answer: string, what: string): Promise<void> {
  const text = await readFile(file, 'utf8')
  for (const form of [answer, answer.toLowerCase(), answer.trim().toLowerCase()]) t.notOk(text.includes(form), `${what}: the file does not hold the answer (${JSON.stringify(form)})`)
  const questions = (JSON.parse(text) as { users: Array<{ factors: Array<Record<string, unknown>> }> }).users.flatMap((u) => u.factors).filter((f) => f['factorType'] === 'question')
  t.ok(questions.length > 0, `${what}: a question factor is stored`)
  for (const f of questions) {
    t.notOk('answer' in f, `${what}: no answer field`)
    t.match(f['answerHash'], /^[\w-]{22}:[\w-]{43}$/, `${what}: a salted hash`)
  }
}

await t.test('enroll and update keep only a salted hash; the answer verifies after a restart from the file', async (t) => {
  const dataFile = await dataDir(t)
  const first = await withEmulator(t, { dataFile })
  const login = 'question@example.com'
  const user = await emuFetch(first, 'POST', '/api/v1/users', { profile: { login, email: login } })
  const U = `/api/v1/users/${user.body.id as string}`
  const q = await emuFetch(first, 'POST', `${U}/factors`, { factorType: 'question', provider: 'OKTA', profile: { question: 'disliked_food', answer: ANSWER } })
  t.equal(q.status, 200)
  t.notOk(JSON.stringify(q.body).toLowerCase().includes(ANSWER.toLowerCase()), 'the enrollment answers no answer')
  await holdsNoAnswer(t, dataFile, ANSWER, 'after enrollment')
  t.same(await verify(first, user.body.id, q.body.id, `  ${ANSWER.toUpperCase()} `), SUCCESS, 'trimmed and case-insensitive, as before')
  t.same(await verify(first, user.body.id, q.body.id, 'ketchup'), WRONG, 'a wrong answer: 403 E0000068')
  t.same(await verify(first, user.body.id, q.body.id, 'x'.repeat(2000)), WRONG, 'an answer over the cap is a wrong answer')
  await first.close()

  const second = await withEmulator(t, { dataFile })
  t.same(await verify(second, user.body.id, q.body.id, ANSWER), SUCCESS, 'the answer verifies after a restart')
  t.same(await verify(second, user.body.id, q.body.id, 'ketchup'), WRONG)
  const updated = await emuFetch(second, 'PUT', `${U}/factors/${q.body.id as string}`, { profile: { question: 'first_award', answer: 'Spelling Bee Trophy' } })
  t.equal(updated.status, 200)
  await holdsNoAnswer(t, dataFile, 'Spelling Bee Trophy', 'after an update')
  await second.close()

  const third = await withEmulator(t, { dataFile })
  t.same(await verify(third, user.body.id, q.body.id, 'spelling bee trophy'), SUCCESS, 'the new answer verifies after a restart')
  t.same(await verify(third, user.body.id, q.body.id, ANSWER), WRONG, 'the old one no longer does')
})

await t.test('a seeded question factor: the seed gives the answer, the emulator keeps its hash', async (t) => {
  const dataFile = await dataDir(t)
  const seed = [{ login: 'seeded@example.com', factors: [{ id: 'ufsSeededQuestion001', factorType: 'question' as const, question: 'disliked_food', answer: 'Seeded Answer' }] }]
  const first = await withEmulator(t, { dataFile, seed })
  const id = (await emuFetch(first, 'GET', '/api/v1/users/seeded@example.com')).body.id as string
  t.same(await verify(first, id, 'ufsSeededQuestion001', 'seeded answer'), SUCCESS)
  t.same(await verify(first, id, 'ufsSeededQuestion001', 'ketchup'), WRONG)
  await holdsNoAnswer(t, dataFile, 'Seeded Answer', 'after a seed')
  await first.close()
  const second = await withEmulator(t, { dataFile, seed })
  t.same(await verify(second, id, 'ufsSeededQuestion001', 'Seeded Answer'), SUCCESS, 'after a restart (the seed skips a user it holds)')
})

await t.test('a data file from an older emulator, with the plain answer: it verifies, and is written again hashed', async (t) => {
  const dataFile = await dataDir(t)
  const first = await withEmulator(t, { dataFile })
  const user = await emuFetch(first, 'POST', '/api/v1/users', { profile: { login: 'old@example.com', email: 'old@example.com' } })
  const q = await emuFetch(first, 'POST', `/api/v1/users/${user.body.id as string}/factors`, { factorType: 'question', provider: 'OKTA', profile: { question: 'disliked_food', answer: 'placeholder' } })
  await first.close()
  // What an older emulator wrote: the same record, with `answer` as enrolled in place of `answerHash`.
  const snapshot = JSON.parse(await readFile(dataFile, 'utf8')) as { version: number, users: Array<{ factors: Array<Record<string, unknown>> }> }
  t.equal(snapshot.version, 2, 'this emulator writes format version 2, which an older one refuses')
  snapshot.version = 1
  const f = snapshot.users[0]!.factors[0]!
  delete f['answerHash']
  f['answer'] = ANSWER
  await writeFile(dataFile, JSON.stringify(snapshot), { mode: 0o600 })
  // The rewrite cannot be made (a directory holds its temporary file's name): the start stops with the coded
  // DataFileError, and the old file is kept as it was, to be written again at the next start.
  const temp = join(dataFile, '..', `.${basename(dataFile)}.${process.pid}.tmp`)
  await mkdir(temp)
  await t.rejects(startEmulator({ port: 0, dataFile }), { name: 'Error', code: 'OKTA_EMULATOR_DATA_FILE', message: `emulator data file ${dataFile} cannot be written again in this version's form`, cause: { code: /EISDIR/ } }, 'coded, with the cause')
  t.equal((JSON.parse(await readFile(dataFile, 'utf8')) as { version: number }).version, 1, 'the old file is kept')
  await rm(temp, { recursive: true })

  const second = await withEmulator(t, { dataFile })
  await holdsNoAnswer(t, dataFile, ANSWER, 'at once on start')
  t.equal((JSON.parse(await readFile(dataFile, 'utf8')) as { version: number }).version, 2, 'and as version 2')
  t.same(await verify(second, user.body.id, q.body.id, ` ${ANSWER.toLowerCase()}`), SUCCESS, 'the plain answer of the old file verifies')
  t.same(await verify(second, user.body.id, q.body.id, 'ketchup'), WRONG)
  await second.close()
  const third = await withEmulator(t, { dataFile })
  t.same(await verify(third, user.body.id, q.body.id, ANSWER), SUCCESS, 'and still after the next restart')
})
