import test from 'ava'
import { execFile, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pLimit from 'p-limit'
import { parseAllDocuments } from 'yaml'
import { createLab, type Lab } from './lab/lab.ts'
import { contactCounter, type ContactCounter } from './helpers/contacts.ts'
import { BIN, cleanUp, ROOT } from './helpers/labplay.ts'
import { corpus, type CorpusCase } from './fixtures/faults/corpus.ts'
import type { CaseResult } from './fixtures/faults/corpus-runner.ts'
import { labplayRun, shown } from './fixtures/faults/run.ts'

// Hostile and malformed input: a seeded corpus through the library in bounded child processes, a sample
// through the real CLI (exit 5, ERROR: naming the place, no stack, no host contacted), then injection on a lab.
const RUNNER = join(ROOT, 'test/fixtures/faults/corpus-runner.ts')
// A case may use this much CPU (the machine is shared: CPU time, not wall time, tells a hang)...
const CASE_CPU_MS = 8_000
// ...or, for the cases that build 100 000-host inventories on purpose, this much (GC threads count too).
const HEAVY_CASE_CPU_MS = 20_000
// ...and this much wall time, however busy the machine is.
const CASE_WALL_MS = 60_000
const HEAP_MB = 256

let counter: ContactCounter | undefined
let port = 0
let root = ''
let cases: CorpusCase[] = []
let results: Promise<Map<number, Outcome>>
const dirs: string[] = []

type Outcome = CaseResult | { id: number; outcome: 'hang' | 'died'; message: string; ms: number }

// The corpus in a child process with a heap bound; a case that hangs or kills its process (out of memory)
// is recorded as such and the child restarts after it, so one bad case never hides the others.
function runCorpus(ids: number[], into: Map<number, Outcome>): Promise<void> {
  if (ids.length === 0) return Promise.resolve()
  return new Promise((resolve) => {
    const child = spawn('node', [`--max-old-space-size=${HEAP_MB}`, '--expose-gc', '--import', 'tsx', RUNNER, String(port), ids.join(','), root],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let current = -1
    let startedAt = 0
    let buffered = ''
    let stderr = ''
    let cpuAtStart = 0
    const timer = setInterval(() => {
      if (current < 0 || into.has(current)) return
      const cpu = cpuMs(child.pid!) - cpuAtStart
      const wall = performance.now() - startedAt
      if (cpu < (cases[current]?.heavy ? HEAVY_CASE_CPU_MS : CASE_CPU_MS) && wall < CASE_WALL_MS) return
      into.set(current, { id: current, outcome: 'hang', message: `no result after ${Math.round(cpu)} ms of CPU (${Math.round(wall)} ms)`, ms: wall })
      child.kill('SIGKILL')
    }, 250)
    child.stdout.on('data', (d: Buffer) => {
      buffered += d
      const lines = buffered.split('\n')
      buffered = lines.pop()!
      for (const line of lines) {
        if (line.startsWith('start ')) {
          current = Number(line.slice(6))
          startedAt = performance.now()
          cpuAtStart = cpuMs(child.pid!)
          stderr = ''
        } else if (line.startsWith('result ')) {
          const r = JSON.parse(line.slice(7)) as CaseResult
          into.set(r.id, r)
        }
      }
    })
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d).slice(-4000)))
    child.on('close', () => {
      clearInterval(timer)
      if (current >= 0 && !into.has(current)) {
        const fatal = stderr.split('\n').filter((l) => /FATAL|Error/.test(l)).slice(0, 2).join('\n')
        into.set(current, { id: current, outcome: 'died', message: fatal || stderr.slice(-300), ms: performance.now() - startedAt })
      }
      // A child that could not even start a case would fail again: every case left is reported, no restart.
      if (current < 0) for (const id of ids) into.set(id, { id, outcome: 'died', message: `the runner did not start: ${stderr.slice(-300)}`, ms: 0 })
      resolve(current < 0 ? undefined : runCorpus(ids.slice(ids.indexOf(current) + 1), into))
    })
  })
}

test.before(async () => {
  counter = await contactCounter()
  port = counter.port
  root = mkdtempSync(join(tmpdir(), 'labplay-hostile-'))
  cases = corpus(port)
  const into = new Map<number, Outcome>()
  const ids = cases.map((c) => c.id)
  // Two children (two cores), ids interleaved so the heavy cases at the end are shared.
  results = Promise.all([0, 1].map((k) => runCorpus(ids.filter((id) => id % 2 === k), into))).then(() => into)
})

test.after.always(() => {
  counter?.close()
  if (root) rmSync(root, { recursive: true, force: true })
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

// CPU time (user + system) a process has used, from /proc (clock ticks of 10 ms).
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return 0
  }
}

const cut = (s: string) => (s.length > 600 ? `${s.slice(0, 300)} … ${s.slice(-300)}` : s)
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
const FILE_LEVEL = /bytes, more than|does not exist|cannot be read|is not a file/

// A case the library accepted must really be valid: one YAML document of plays with hosts, and inventory
// hosts that come from the text (not from decoding garbage).
function genuinelyValid(c: CorpusCase, r: CaseResult): string | undefined {
  const text = (name: string) => { const f = readFileSync(join(root, `case-${c.id}`, name)); return new TextDecoder('utf-8', { fatal: true }).decode(f) }
  try {
    const docs = parseAllDocuments(text(c.playbook), { version: '1.1' })
    if (!Array.isArray(docs) || docs.length !== 1 || docs[0]!.errors.length > 0) return 'the playbook is not one well-formed YAML document'
    const plays = docs[0]!.toJS({ maxAliasCount: 100 }) as unknown
    if (!Array.isArray(plays) || plays.length === 0 || !plays.every((p) => p && typeof p === 'object' && typeof (p as { hosts?: unknown }).hosts === 'string')) return 'the playbook is not a list of plays with hosts'
    const inventory = text(c.inventory)
    for (const h of r.hosts ?? []) {
      if (h.includes('\uFFFD')) return `host ${JSON.stringify(h)} was decoded from bytes that are not UTF-8`
      if (c.inventory.endsWith('.ini') && !inventory.includes(h) && !inventory.includes('[')) return `host ${JSON.stringify(h)} is not in the inventory`
    }
  } catch (e) {
    return `not valid text: ${(e as Error).message}`
  }
  return undefined
}

test('the corpus is deterministic and has at least 200 cases', (t) => {
  const again = corpus(port)
  t.true(cases.length >= 200, `${cases.length} cases`)
  t.deepEqual(again.map((c) => c.title), cases.map((c) => c.title))
  const content = (c: CorpusCase) => Object.values(c.files).map((f) => (typeof f === 'function' ? 'lazy' : f.toString('latin1'))).join('|')
  t.deepEqual(again.slice(0, 150).map(content), cases.slice(0, 150).map(content))
})

for (const c of corpus(0)) {
  test(`library #${c.id} ${c.title}`, async (t) => {
    const r = (await results).get(c.id)
    const current = cases[c.id]!
    if (!r) return t.fail('no result: the runner never reached this case')
    if (r.outcome === 'hang' || r.outcome === 'died' || r.outcome === 'crash') return t.fail(`${r.outcome} after ${Math.round(r.ms)} ms: ${cut(r.message)}`)
    if (current.expect !== 'either') t.is(r.outcome, current.expect, cut(r.message))
    if (r.outcome === 'error') {
      const isFile = current.limit === undefined && (current.names in current.files || current.names.startsWith('/'))
      if (isFile) {
        t.true(new RegExp(`^(\\S*/)?${escape(current.names)}(:\\d+(:\\d+)?)?: `).test(r.message), `the error names ${current.names}: ${cut(r.message)}`)
        if (!FILE_LEVEL.test(r.message)) t.true(new RegExp(`^(\\S*/)?${escape(current.names)}:\\d+`).test(r.message), `and the line: ${cut(r.message)}`)
      } else {
        t.true(r.message.includes(current.names), `the error names ${current.names}: ${cut(r.message)}`)
      }
      t.notRegex(r.message, /^\s+at /m, 'no stack trace')
      t.true(r.message.length < 2000, 'a short message')
    } else {
      const invalid = genuinelyValid(current, r as CaseResult)
      t.is(invalid, undefined, `accepted, but ${invalid}`)
    }
  })
}

// Every 25th light case, and the classic attacks by name, through the real CLI with a memory bound.
const SAMPLE = /billion laughs|playbook: non-UTF-8 bytes #1$|playbook: a NUL byte #1|playbook: a UTF-16|range h\[1:99999999\]$|INI inventory: host named "\$\(|YAML inventory: host named "-rf|loop of groups|--limit "~\("|-e an alias bomb/
const limit = pLimit(2)

function cli(dir: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  return limit(() => new Promise((resolve) => {
    const started = performance.now()
    execFile('node', [`--max-old-space-size=${HEAP_MB}`, BIN, ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1', HOME: dir }, timeout: 60_000, killSignal: 'SIGKILL', maxBuffer: 10_000_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr, ms: performance.now() - started })
    })
  }))
}

for (const c of corpus(0).filter((x) => !x.heavy && (x.id % 25 === 0 || SAMPLE.test(x.title)))) {
  test(`CLI #${c.id} ${c.title}`, async (t) => {
    const r = (await results).get(c.id)
    const current = cases[c.id]!
    const dir = join(root, `case-${c.id}`)
    t.true(existsSync(dir), 'the library run wrote the case')
    const args = [current.playbook, '-i', current.inventory, '-T', '2', ...(current.limit !== undefined ? ['-l', current.limit] : []), ...(current.extraVars ?? []).flatMap((e) => ['-e', e])]
    const before = counter!.count()
    if (r?.outcome === 'valid') {
      const listed = await cli(dir, [...args, '--list-hosts'])
      t.is(listed.code, 0, shown(listed))
      t.regex(listed.stdout, /hosts \(\d+\):/)
    } else {
      const out = await cli(dir, args)
      t.is(out.code, 5, cut(shown(out)))
      t.regex(out.stderr, /^ERROR: /)
      if (r?.outcome === 'error') t.is(out.stderr, `ERROR: ${r.message}\n`, 'the same message as the library gives')
      t.notRegex(out.stderr, /^\s+at /m, 'no stack trace')
      t.notRegex(out.stdout, /PLAY RECAP/)
    }
    t.is(counter!.count(), before, 'no host contacted')
  })
}

// ---------------------------------------------------------------------------------------------------
// Injection on real hosts: names, variables and paths full of shell syntax reach the hosts as data.
let lab: Lab

test.before(async () => {
  lab = await createLab({ hosts: 3 })
})

test.after.always(() => cleanUp(lab))

// The first one goes through the retry file, so it has no space (see the next test for names with spaces).
const EVIL_NAMES = ['evil;$(touch${IFS}/tmp/pwn-name1)`id`', '-rf --no-preserve-root', "`touch /tmp/pwn-name3`'q\"|&>x"]
const EVIL_MESSAGE = "$(touch /tmp/pwn-msg1)\n`touch /tmp/pwn-msg2`; touch /tmp/pwn-msg3 #'\"\\ -rf\n$HOME ${PATH} !! *"
const EVIL_DIR = "/srv/inj-$(touch /tmp/pwn-dir1)-`touch /tmp/pwn-dir2`;x'y\"z\nnl -rf *"
// Single-quoted for bash, so a test command can name the evil path.
const sq = (s: string) => `'${s.replaceAll("'", "'\\''")}'`

function yamlInventory(port22: (i: number) => number, names = EVIL_NAMES): string {
  const hosts = lab.hosts.map((h, i) => `        ${JSON.stringify(names[i])}: { ansible_host: ${h.address}, ansible_port: ${port22(i)} }`)
  return `all:\n  children:\n    lab:\n      vars: { ansible_user: root, ansible_ssh_private_key_file: ${JSON.stringify(lab.privateKey)} }\n      hosts:\n${hosts.join('\n')}\n`
}

test.serial('host names, variables and paths holding shell syntax reach the hosts as literal data; nothing runs', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'labplay-inject-'))
  dirs.push(dir)
  writeFileSync(join(dir, 'site.yml'), `- name: inject\n  hosts: lab\n  roles:\n    - role: lab-notice\n      vars:\n        message: "{{ evil_message }}"\n        room: "--help"\n        notice_dir: "{{ evil_dir }}"\n`)
  writeFileSync(join(dir, 'vars.json'), JSON.stringify({ evil_message: EVIL_MESSAGE, evil_dir: EVIL_DIR }))
  // The first host is unreachable at first (port 1), so its name goes through the retry file too.
  writeFileSync(join(dir, 'first.yml'), yamlInventory((i) => (i === 0 ? 1 : 22)))
  writeFileSync(join(dir, 'fixed.yml'), yamlInventory(() => 22))
  const first = await labplayRun(lab, [join(dir, 'site.yml'), '-e', '@vars.json', '-T', '5'], { cwd: dir, inventory: join(dir, 'first.yml') })
  t.is(first.code, 4, shown(first))
  t.is(readFileSync(join(dir, 'site.retry'), 'utf8'), `${EVIL_NAMES[0]}\n`)
  const rerun = await labplayRun(lab, [join(dir, 'site.yml'), '-e', '@vars.json', '-T', '5', '-l', '@site.retry'], { cwd: dir, inventory: join(dir, 'fixed.yml') })
  t.is(rerun.code, 0, shown(rerun))
  t.deepEqual([...rerun.recap.keys()], [EVIL_NAMES[0]])
  for (const [i, h] of lab.hosts.entries()) {
    const notice = await lab.exec(h.name, `cat ${sq(`${EVIL_DIR}/notice`)}; readlink ${sq(`${EVIL_DIR}/motd`)}`)
    t.is(notice.stdout, `${EVIL_MESSAGE}\nroom: --help\nhost: ${EVIL_NAMES[i]}\n${EVIL_DIR}/notice\n`, `${h.name}: the notice holds the literal text`)
    const pwned = await lab.exec(h.name, 'ls -a /tmp /root / /srv /etc/labplay 2>/dev/null | grep -c pwn')
    t.is(pwned.stdout, '0\n', `${h.name}: no marker file`)
  }
  const here = [...readdirSync(tmpdir()), ...readdirSync(dir)].filter((f) => f.includes('pwn'))
  t.deepEqual(here, [], 'no marker file on the controller either')
})

test.serial('a retry file gives back host names holding spaces, so -l @retry reruns exactly them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'labplay-retry-names-'))
  dirs.push(dir)
  const names = ['seat one', 'seat-two', 'seat three']
  writeFileSync(join(dir, 'site.yml'), `- name: names\n  hosts: lab\n  roles:\n    - role: lab-notice\n      vars: { notice_dir: /srv/retry-names }\n`)
  writeFileSync(join(dir, 'first.yml'), yamlInventory((i) => (i === 0 ? 1 : 22), names))
  writeFileSync(join(dir, 'fixed.yml'), yamlInventory(() => 22, names))
  const first = await labplayRun(lab, [join(dir, 'site.yml'), '-T', '5'], { cwd: dir, inventory: join(dir, 'first.yml') })
  t.is(first.code, 4, shown(first))
  t.is(readFileSync(join(dir, 'site.retry'), 'utf8'), 'seat one\n')
  const rerun = await labplayRun(lab, [join(dir, 'site.yml'), '-T', '5', '-l', '@site.retry'], { cwd: dir, inventory: join(dir, 'fixed.yml') })
  t.is(rerun.code, 0, shown(rerun))
  t.deepEqual([...rerun.recap.keys()], ['seat one'], 'the rerun ran the host of the retry file')
  t.is((await lab.exec(lab.hosts[0]!.name, 'cat /srv/retry-names/notice')).stdout, 'This workstation is managed by labplay.\nroom: unknown\nhost: seat one\n')
})
