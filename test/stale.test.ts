import test from 'ava'
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLab, type Lab } from './lab/lab.ts'
import { makeImage } from './helpers/image.ts'
import { BIN, cleanUp, parseRecap, ROOT, type Ran } from './helpers/labplay.ts'
import { CAMPUS_LOGIN, SITE_ROLES } from './helpers/site.ts'

// --stale on three seats of room M5 running the real site.yml: right after a full run every role is
// left out; a new running kernel on one seat brings back kvm-module there only; a new image manifest
// brings back udpcast and vm-image everywhere. Each verdict says why.
const NEW_KERNEL = '6.99.0-99-amd64'

let lab: Lab
let dir: string
let records: string
let manifest: string
let image: { name: string; version: string }

interface Json {
  hosts: Array<{
    host: string
    changed: number
    tasks: Array<{ role: string; task: string; status: string; message?: string }>
    selection?: Array<{ role: string; run: boolean; reason: string }>
  }>
}

test.before(async () => {
  lab = await createLab({ hosts: 3, prefix: 'm5' })
  dir = mkdtempSync(join(tmpdir(), 'labplay-stale-'))
  records = join(dir, 'runs.db')
  manifest = join(dir, 'image.json')
  const made = await makeImage(join(dir, 'source'), { dataMb: 4, version: 'one' })
  image = made
  writeFileSync(manifest, JSON.stringify({ image: made }))
  copyFileSync(join(ROOT, 'playbooks/site.yml'), join(dir, 'site.yml'))
})

test.after.always(() => cleanUp(lab, dir))

let runs = 0
async function site(...args: string[]): Promise<Ran & { json: Json }> {
  const json = join(dir, `run-${++runs}.json`)
  // The real site.yml, copied so its retry file lands here; the campus inventory's m5 narrowed to this lab's seats.
  const argv = ['node', BIN, join(dir, 'site.yml'), '-i', join(ROOT, 'inventory'), '-i', lab.inventory, '-l', 'm5:&lab',
    '-e', `@${manifest}`, '--known-hosts', lab.knownHosts, '--json', json, ...args]
  const out = await lab.controller(argv, { cwd: dir, env: { ...process.env, NO_COLOR: '1', LABPLAY_RECORDS: records }, timeoutMs: 120_000 })
  const parsed = existsSync(json) ? (JSON.parse(readFileSync(json, 'utf8')) as Json) : { hosts: [] }
  return { ...out, recap: parseRecap(out.stdout), json: parsed }
}

const selection = (ran: { json: Json }, host: string) => new Map((ran.json.hosts.find((h) => h.host === host)?.selection ?? []).map((s) => [s.role, s]))
const roleTasks = (ran: { json: Json }, host: string, role: string) => ran.json.hosts.find((h) => h.host === host)!.tasks.filter((t) => t.role === role)

test.serial('--stale before any recorded run, or with --no-records: exit 5, no host contacted', async (t) => {
  const missing = await site('--stale')
  t.is(missing.code, 5, missing.stdout + missing.stderr)
  t.regex(missing.stderr, /--stale: no runs recorded yet at .*runs\.db/)
  t.is(missing.recap.size, 0)
  t.false(existsSync(records), 'nothing recorded')
  const off = await site('--stale', '--no-records')
  t.is(off.code, 5)
  t.regex(off.stderr, /--stale .*--no-records/)
})

test.serial('right after a full run, --stale leaves every role out on every seat, saying since when', async (t) => {
  const first = await site()
  t.is(first.code, 0, first.stdout + first.stderr)
  t.is(first.recap.size, 3)
  const stale = await site('--stale')
  t.is(stale.code, 0, stale.stdout + stale.stderr)
  for (const h of lab.hosts) {
    t.like(stale.recap.get(h.name), { changed: 0, failed: 0, unreachable: 0 }, h.name)
    const sel = selection(stale, h.name)
    t.deepEqual([...sel.keys()], SITE_ROLES, h.name)
    for (const role of SITE_ROLES) {
      t.false(sel.get(role)!.run, `${h.name} ${role}`)
      t.regex(sel.get(role)!.reason, /^unchanged since run #1 \(\d\d:\d\d\)$/)
      // No task of any role ran: each is skipped with the verdict as its message (campus-login's, off on these
      // seats, by its condition first).
      const message = role === CAMPUS_LOGIN ? 'role condition is false' : sel.get(role)!.reason
      for (const task of roleTasks(stale, h.name, role)) t.like(task, { status: 'skipped', message }, `${h.name} ${role} : ${task.task}`)
    }
    t.regex(stale.stdout, new RegExp(`skip \\[${h.name}\\] kvm-module: unchanged since run #1`))
  }
})

test.serial('a new running kernel on one seat: --stale reruns kvm-module there only, naming both kernels', async (t) => {
  const [one, two, three] = lab.hosts.map((h) => h.name)
  const old = (await lab.exec(two!, 'uname -r')).stdout.trim()
  // Facts read `uname -r`: this seat now "runs" a new kernel, installed under /lib/modules like a real one.
  const fake = await lab.exec(two!, `mkdir -p /lib/modules/${NEW_KERNEL} && printf '%s\\n' '#!/bin/bash' 'if [ "$1" = -r ]; then echo ${NEW_KERNEL}; else exec /usr/bin/uname "$@"; fi' > /usr/local/bin/uname && chmod 755 /usr/local/bin/uname`)
  t.is(fake.code, 0, fake.stderr)
  const expected = `kernel ${old} → ${NEW_KERNEL}`

  // Check mode shows what would run, and records no success: the real run still selects it.
  const check = await site('--stale', '-C')
  t.is(check.code, 0, check.stdout + check.stderr)
  t.true(selection(check, two!).get('kvm-module')!.run)
  t.true(check.stdout.includes(`STALE [${two}] kvm-module: ${expected}`), check.stdout)

  const ran = await site('--stale')
  t.is(ran.code, 0, ran.stdout + ran.stderr)
  for (const host of [one!, two!, three!]) {
    const sel = selection(ran, host)
    for (const role of SITE_ROLES) {
      const selected = host === two && role === 'kvm-module'
      t.is(sel.get(role)!.run, selected, `${host} ${role}: ${sel.get(role)!.reason}`)
      if (!selected) t.regex(sel.get(role)!.reason, /^unchanged since run #\d+/)
    }
  }
  t.true(selection(ran, two!).get('kvm-module')!.reason.startsWith(expected), selection(ran, two!).get('kvm-module')!.reason)
  t.true(ran.stdout.includes(`STALE [${two}] kvm-module: ${expected}`), ran.stdout)
  // kvm-module really ran on that seat (it read the new kernel), and nowhere else.
  const kvm = roleTasks(ran, two!, 'kvm-module')
  t.true(kvm.length > 0 && kvm.every((x) => !x.message?.startsWith('unchanged since')), JSON.stringify(kvm))
  t.true(kvm.some((x) => x.status === 'ok' || x.message?.includes(NEW_KERNEL)), JSON.stringify(kvm))
  for (const host of [one!, three!]) t.true(roleTasks(ran, host, 'kvm-module').every((x) => x.status === 'skipped'))

  // Done: the next --stale leaves it out again.
  const again = await site('--stale')
  t.false(selection(again, two!).get('kvm-module')!.run, selection(again, two!).get('kvm-module')!.reason)
})

test.serial('a new image manifest: --stale reruns udpcast and vm-image on every seat, nothing else', async (t) => {
  const next = await makeImage(join(dir, 'source'), { dataMb: 4, version: 'two' })
  const nextManifest = join(dir, 'image-two.json')
  writeFileSync(nextManifest, JSON.stringify({ image: next }))
  const ran = await site('--stale', '-e', `@${nextManifest}`)
  t.is(ran.code, 0, ran.stdout + ran.stderr)
  for (const h of lab.hosts) {
    const sel = selection(ran, h.name)
    for (const role of SITE_ROLES) {
      const selected = role === 'udpcast' || role === 'vm-image'
      t.is(sel.get(role)!.run, selected, `${h.name} ${role}: ${sel.get(role)!.reason}`)
      if (selected) t.is(sel.get(role)!.reason, `image ${image.name}-${image.version} → ${next.name}-${next.version}`)
    }
    // The new image arrived and is the one linked.
    const got = await lab.exec(h.name, `sha256sum /srv/labplay/images/${next.name}-${next.version}.qcow2`)
    t.true(got.stdout.startsWith(next.sha256), `${h.name}: ${got.stdout}${got.stderr}`)
  }
})
