import test from 'ava'
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { createLab, type Lab } from './lab/lab.ts'
import { makeImage } from './helpers/image.ts'
import { BIN, cleanUp, parseRecap, type Ran } from './helpers/labplay.ts'
import type { ImageManifest } from '../src/sdk/manifest.ts'

// The image's life on three lab hosts, with the real udpcast and vm-image roles: publish → the room receives it;
// publish the next → `--stale` sends it (the last host keeps one version only, images_keep 1); rollback → the
// hosts that still hold the older version get no bytes at all, the one that dropped it gets a copy.
let lab: Lab
let dir: string
let inv: string
let names: string[]
const images: Record<string, ImageManifest> = {}
const IMAGES = '/srv/labplay/images'
const GROUP_VARS = `# The room's image and its launcher (labplay image publish writes image below).
images_dir: ${IMAGES}   # where the seats keep it
# qemu-system-gui (the gtk display) is not part of the CI machine's packages.
vm_packages: [qemu-utils, qemu-system-x86]
`

interface Json {
  hosts: Array<{ host: string; selection?: Array<{ role: string; run: boolean; reason: string }> }>
}

test.before(async () => {
  lab = await createLab({ hosts: 3, prefix: 'img' })
  names = lab.hosts.map((h) => h.name)
  dir = mkdtempSync(join(tmpdir(), 'labplay-image-lab-'))
  inv = join(dir, 'inventory')
  mkdirSync(join(inv, 'group_vars'), { recursive: true })
  mkdirSync(join(inv, 'host_vars'))
  // Ansible (and labplay) skip *.ini in an inventory folder: the lab's inventory under a plain name.
  copyFileSync(lab.inventory, join(inv, 'hosts'))
  writeFileSync(join(inv, 'group_vars/all.yml'), GROUP_VARS)
  writeFileSync(join(inv, `host_vars/${names[2]}.yml`), 'images_keep: 1\n')
  writeFileSync(join(dir, 'image.yml'), '- name: The room image\n  hosts: lab\n  roles:\n    - udpcast\n    - vm-image\n')
  // Every udp-sender the controller starts leaves its arguments in sender.log.
  mkdirSync(join(dir, 'bin'))
  writeFileSync(join(dir, 'bin/udp-sender'), `#!/bin/sh\necho "$*" >> ${join(dir, 'sender.log')}\nexec /usr/bin/udp-sender "$@"\n`)
  chmodSync(join(dir, 'bin/udp-sender'), 0o755)
  writeFileSync(join(dir, 'sender.log'), '')
  for (const version of ['2026.11', '2026.12']) images[version] = await makeImage(join(dir, 'masters'), { dataMb: 6, version })
})

test.after.always(() => cleanUp(lab, dir))

const env = () => ({ ...process.env, NO_COLOR: '1', LABPLAY_RECORDS: join(dir, 'runs.db'), PATH: `${join(dir, 'bin')}:${process.env.PATH}` })

function image(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('node', [BIN, 'image', ...args, '-i', inv], { cwd: dir, encoding: 'utf8', env: env(), timeout: 60_000 })
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

let runs = 0
async function play(...args: string[]): Promise<Ran & { json: Json }> {
  const json = join(dir, `run-${++runs}.json`)
  const argv = ['node', BIN, join(dir, 'image.yml'), '-i', inv, '--known-hosts', lab.knownHosts, '--json', json, ...args]
  const out = await lab.controller(argv, { cwd: dir, env: env(), timeoutMs: 180_000 })
  return { ...out, recap: parseRecap(out.stdout), json: existsSync(json) ? (JSON.parse(readFileSync(json, 'utf8')) as Json) : { hosts: [] } }
}

async function sh(host: string, command: string): Promise<string> {
  const out = await lab.exec(host, command)
  if (out.code !== 0) throw new Error(`${host}: ${command}: exit ${out.code}\n${out.stderr}`)
  return out.stdout
}

const file = (version: string) => `${IMAGES}/win11-lab-${version}.qcow2`
const senders = () => readFileSync(join(dir, 'sender.log'), 'utf8').split('\n').filter(Boolean)
const inode = (host: string, version: string) => sh(host, `stat -c '%i %.9Y' ${file(version)}`)
const selected = (ran: { json: Json }, host: string, role: string) => ran.json.hosts.find((h) => h.host === host)?.selection?.find((s) => s.role === role)
const received = (ran: Ran, host: string) => new RegExp(`changed: \\[${host}\\] .*received [\\d.]+ MB by (multicast|copy over ssh)`).test(ran.stdout)

test.serial('publish, then the room receives it by one multicast stream', async (t) => {
  const published = image('publish', images['2026.11']!.source, '--name', 'win11-lab', '--version', '2026.11')
  t.is(published.code, 0, published.stderr)
  const all = readFileSync(join(inv, 'group_vars/all.yml'), 'utf8')
  t.true(all.startsWith(GROUP_VARS), 'the admin\'s lines and comments are kept')
  const ran = await play()
  t.is(ran.code, 0, ran.stdout + ran.stderr)
  t.deepEqual(senders().map((l) => /--min-receivers (\d+)/.exec(l)?.[1]), ['3'])
  for (const h of names) {
    t.true(received(ran, h), h)
    t.true((await sh(h, `sha256sum ${file('2026.11')}`)).startsWith(images['2026.11']!.sha256), h)
  }
})

test.serial('the next version: --stale sees the manifest changed and sends it; the host keeping one version drops the old one', async (t) => {
  const published = image('publish', images['2026.12']!.source, '--name', 'win11-lab', '--version', '2026.12')
  t.is(published.code, 0, published.stderr)
  t.regex(published.stdout, /^published win11-lab 2026\.12 \(was 2026\.11\) for group all in inventory\/group_vars\/all\.yml\n/)
  const ran = await play('--stale')
  t.is(ran.code, 0, ran.stdout + ran.stderr)
  for (const h of names) {
    for (const role of ['udpcast', 'vm-image']) t.like(selected(ran, h, role), { run: true, reason: 'image win11-lab-2026.11 → win11-lab-2026.12' }, `${h} ${role}`)
    t.true((await sh(h, `sha256sum ${file('2026.12')}`)).startsWith(images['2026.12']!.sha256), h)
  }
  t.is(senders().length, 2, 'one more stream')
  t.is(await sh(names[2]!, `ls ${IMAGES}`), 'win11-lab-2026.12.qcow2\nwin11-lab.qcow2\n', 'images_keep 1')
  const list = JSON.parse(image('list', '--json').stdout) as { versions: Array<{ image: { version: string }; current: boolean; seats: string[] }>; lacking: unknown[] }
  t.deepEqual(list.versions.map((v) => [v.image.version, v.current, v.seats]), [['2026.12', true, names], ['2026.11', false, names.slice(0, 2)]])
  t.deepEqual(list.lacking, [])
})

test.serial('rollback: --stale goes back to the older version; the hosts that still hold it get no bytes, the other a copy', async (t) => {
  const before = await Promise.all(names.slice(0, 2).map((h) => inode(h, '2026.11')))
  const sent = senders().length
  const rolled = image('rollback')
  t.is(rolled.code, 0, rolled.stderr)
  t.is(rolled.stderr, '', 'the stamp vouches for the file: no hash')
  t.regex(rolled.stdout, new RegExp(`rolled back group all to win11-lab 2026\\.11 \\(was 2026\\.12\\) in inventory/group_vars/all\\.yml\\n  2 seats still hold 2026\\.11 and need no transfer: ${names[0]}, ${names[1]}\\n  1 seat will receive it: ${names[2]}\\n`))

  const ran = await play('--stale')
  t.is(ran.code, 0, ran.stdout + ran.stderr)
  for (const h of names) t.like(selected(ran, h, 'udpcast'), { run: true, reason: 'image win11-lab-2026.12 → win11-lab-2026.11' }, h)
  t.is(senders().length, sent, 'no multicast stream')
  t.false(received(ran, names[0]!), names[0])
  t.false(received(ran, names[1]!), names[1])
  t.deepEqual(await Promise.all(names.slice(0, 2).map((h) => inode(h, '2026.11'))), before, 'their copy was not touched')
  t.regex(ran.stdout, new RegExp(`changed: \\[${names[2]}\\] .*received [\\d.]+ MB by copy over ssh`))
  for (const h of names) t.is(await sh(h, `readlink ${IMAGES}/win11-lab.qcow2`), 'win11-lab-2026.11.qcow2\n', h)

  const again = await play('--stale')
  t.is(again.code, 0, again.stdout + again.stderr)
  for (const h of names) t.false(selected(again, h, 'udpcast')!.run, h)
})
