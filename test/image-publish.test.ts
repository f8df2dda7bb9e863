import test from 'ava'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseHistory } from '../src/image/history.ts'
import { stampPath } from '../src/sdk/stamp.ts'
import { makeImage } from './helpers/image.ts'
import { BIN, ROOT } from './helpers/labplay.ts'
import { inTmux } from './helpers/tmux.ts'

// `labplay image publish` on a copy of the example inventory: the manifest lands in group_vars with the rest of
// the file untouched, the history keeps what was there, and every refusal leaves the inventory as it was.

const children: ChildProcess[] = []
let dir: string
let inv: string
test.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'labplay-publish-'))
})
test.after.always(() => {
  children.forEach((c) => c.kill('SIGKILL'))
  if (dir) rmSync(dir, { recursive: true, force: true })
})

// A fresh copy of the example inventory for each test.
let copies = 0
function inventory(): string {
  inv = join(dir, `inv-${++copies}`)
  cpSync(join(ROOT, 'inventory'), inv, { recursive: true })
  return inv
}

interface Out {
  code: number
  stdout: string
  stderr: string
}
function labplay(...args: string[]): Out {
  const r = spawnSync('node', [BIN, 'image', ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', LABPLAY_RECORDS: join(dir, 'runs.db') }, timeout: 60_000 })
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

// Every file of the inventory, to show that a refusal changed none.
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (d: string) => {
    for (const name of spawnSync('ls', ['-A', d], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean)) {
      const p = join(d, name)
      if (statSync(p).isDirectory()) walk(p)
      else out[p] = readFileSync(p, 'utf8')
    }
  }
  walk(root)
  return out
}

const history = (group = 'all') => parseHistory(readFileSync(join(inv, `group_vars/.${group}.image-history.yml`), 'utf8'), 'h')

test.serial('publish: the manifest in group_vars/all.yml, the rest of the file as it was; the earlier manifest kept; the file read-only', async (t) => {
  inventory()
  const before = readFileSync(join(inv, 'group_vars/all.yml'), 'utf8')
  const image = await makeImage(join(dir, 'masters'), { dataMb: 12, version: 'a' })
  const out = labplay('publish', image.source, '--name', 'win11-lab', '--version', '2026.12', '-i', inv)
  t.is(out.code, 0, out.stdout + out.stderr)
  t.regex(out.stdout, new RegExp(`^published win11-lab 2026\\.12 \\(was 2026\\.11\\) for group all in inv-\\d+/group_vars/all\\.yml\\n  \\d+\\.\\d MB \\(256\\.0 MiB virtual\\), sha256 ${image.sha256}\\n  source ${image.source} \\(now read-only\\)\\n`))
  // Piped: plain lines, no terminal controls.
  t.regex(out.stderr, /^hashing win11-lab-a\.qcow2 \(\d+\.\d MB\)\nhashing win11-lab-a\.qcow2: \d+% \(\d+\.\d MB of \d+\.\d MB, \d+ MB\/s, ETA \d:\d\d\)\n/)
  t.regex(out.stderr, /\nhashed win11-lab-a\.qcow2: \d+\.\d MB in \S+ \(\d+ MB\/s\)\n$/)
  t.false(/[\r\x1b]/.test(out.stderr))

  const after = readFileSync(join(inv, 'group_vars/all.yml'), 'utf8')
  t.is(after, before.replace(/image:\n(  .*\n)+/, `image:\n  name: win11-lab\n  version: "2026.12"\n  size: ${image.size}\n  sha256: "${image.sha256}"\n  source: ${image.source}\n`))
  t.deepEqual(history().map((e) => [e.action, e.image.version, e.by.length > 0]), [['found', '2026.11', true], ['publish', '2026.12', true]])
  t.deepEqual(history()[1]!.image, { name: 'win11-lab', version: '2026.12', size: image.size, sha256: image.sha256, source: image.source })
  t.is(statSync(image.source).mode & 0o222, 0, 'nobody writes to it by mistake')
  t.true(readFileSync(stampPath(image.source), 'utf8').startsWith(`${image.sha256} ${image.size} `), 'the stamp the seats use too')

  // Again: nothing to do, and nothing read again.
  const again = labplay('publish', image.source, '--name', 'win11-lab', '--version', '2026.12', '-i', inv)
  t.is(again.code, 0, again.stderr)
  t.regex(again.stdout, /win11-lab 2026\.12 is already the image of group all .*: nothing to do/)
  t.is(again.stderr, '')
  t.is(history().length, 2)
})

test.serial('a group of its own: group_vars/m5.yml gets the manifest at its end; a folder group gets image.yml; both have their own history', async (t) => {
  inventory()
  const m5 = readFileSync(join(inv, 'group_vars/m5.yml'), 'utf8')
  const image = await makeImage(join(dir, 'masters'), { dataMb: 1, version: 'm5' })
  const out = labplay('publish', image.source, '--name', 'win11-lab', '--version', 'm5.1', '--group', 'm5', '-i', inv)
  t.is(out.code, 0, out.stderr)
  t.true(readFileSync(join(inv, 'group_vars/m5.yml'), 'utf8').startsWith(m5), 'm5.yml kept as it was, the manifest added after it')
  t.deepEqual(history('m5').map((e) => e.image.version), ['m5.1'])

  mkdirSync(join(inv, 'group_vars/m6'))
  writeFileSync(join(inv, 'group_vars/m6/printer.yml'), 'printer: m6-laser # room printer\n')
  const six = labplay('publish', image.source, '--name', 'win11-lab', '--version', 'm5.1', '--group', 'm6', '-i', inv)
  t.is(six.code, 0, six.stderr)
  t.is(readFileSync(join(inv, 'group_vars/m6/printer.yml'), 'utf8'), 'printer: m6-laser # room printer\n')
  t.regex(readFileSync(join(inv, 'group_vars/m6/image.yml'), 'utf8'), /^# The image manifest, written by labplay image publish \| rollback;\n# every earlier one is in \.\.\/\.m6\.image-history\.yml\.\nimage:\n  name: win11-lab\n/)
  const listed = labplay('list', '--group', 'm6', '-i', inv, '--json')
  t.is(listed.code, 0, listed.stderr)
  t.like(JSON.parse(listed.stdout), { group: 'm6', file: `inv-${copies}/group_vars/m6/image.yml`, seats: 24 })
})

test.serial('a host or child group that sets its own image is named: it will not get the group\'s version', async (t) => {
  inventory()
  mkdirSync(join(inv, 'host_vars'))
  writeFileSync(join(inv, 'host_vars/m5-07.yml'), 'image: {name: w, version: "1", size: 1, sha256: "' + 'c'.repeat(64) + '", source: /w}\n')
  const image = await makeImage(join(dir, 'masters'), { dataMb: 1, version: 'shadow' })
  const out = labplay('publish', image.source, '--name', 'win11-lab', '--version', '2026.12', '-i', inv)
  t.is(out.code, 0, out.stderr)
  t.regex(out.stderr, /\[WARNING\]: 1 host of group all take image from elsewhere and will not get this version \(m5-07: .*host_vars\/m5-07\.yml:1\)/)
})

test.serial('a vault-encrypted file in the group\'s folder: publish needs its password to read the inventory, and leaves it alone', async (t) => {
  inventory()
  mkdirSync(join(inv, 'group_vars/all'))
  spawnSync('mv', [join(inv, 'group_vars/all.yml'), join(inv, 'group_vars/all/main.yml')])
  const home = mkdtempSync(join(dir, 'home-'))
  writeFileSync(join(dir, 'vault-pass'), 'pw\n')
  writeFileSync(join(inv, 'group_vars/all/vault.yml'), 'samba_ldap_password: secret\n')
  const enc = spawnSync('ansible-vault', ['encrypt', '--vault-password-file', join(dir, 'vault-pass'), join(inv, 'group_vars/all/vault.yml')], { env: { ...process.env, HOME: home }, encoding: 'utf8' })
  t.is(enc.status, 0, enc.stderr)
  const encrypted = readFileSync(join(inv, 'group_vars/all/vault.yml'), 'utf8')
  const image = await makeImage(join(dir, 'masters'), { dataMb: 1, version: 'vault' })
  const without = labplay('publish', image.source, '--name', 'win11-lab', '--version', '2026.12', '-i', inv)
  t.is(without.code, 5)
  t.regex(without.stderr, /vault\.yml: cannot decrypt this file/)
  const ok = labplay('publish', image.source, '--name', 'win11-lab', '--version', '2026.12', '-i', inv, '--vault-password-file', join(dir, 'vault-pass'))
  t.is(ok.code, 0, ok.stderr)
  t.regex(readFileSync(join(inv, 'group_vars/all/main.yml'), 'utf8'), /version: "2026\.12"/, 'the file that defines image')
  t.is(readFileSync(join(inv, 'group_vars/all/vault.yml'), 'utf8'), encrypted)
})

test.serial('refused, inventory untouched: a raw file, a backing file, a broken qcow2, a file open for writing, an unknown group, a bad version, a version published with other bytes', async (t) => {
  inventory()
  const masters = join(dir, 'refusals')
  mkdirSync(masters)
  const raw = join(masters, 'disk.raw')
  writeFileSync(raw, Buffer.alloc(1024 * 1024))
  const base = await makeImage(masters, { dataMb: 1, version: 'base' })
  const overlay = join(masters, 'overlay.qcow2')
  spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', base.source, overlay])
  const broken = await makeImage(masters, { dataMb: 4, version: 'broken' })
  truncateSync(broken.source, Math.floor(statSync(broken.source).size / 2))
  const busy = await makeImage(masters, { dataMb: 1, version: 'busy' })
  const writer = spawn('sh', ['-c', 'exec 3>>"$1"; echo ready; exec sleep 60', 'sh', busy.source], { stdio: ['ignore', 'pipe', 'ignore'] })
  children.push(writer)
  await new Promise((resolve) => writer.stdout!.once('data', resolve))
  const good = await makeImage(masters, { dataMb: 1, version: 'good' })
  const other = await makeImage(masters, { dataMb: 2, version: 'other' })
  t.is(labplay('publish', good.source, '--name', 'win11-lab', '--version', '2026.12', '-i', inv).code, 0)
  const before = snapshot(inv)

  const cases: Array<[string[], RegExp]> = [
    [[raw], /disk\.raw: expected a qcow2 image, got raw \(qemu-img convert -O qcow2 makes one\)/],
    [[overlay], /overlay\.qcow2 has a backing file \(.*win11-lab-base\.qcow2\): the seats receive this file alone; flatten it .* or give --allow-backing/],
    [[broken.source], /win11-lab-broken\.qcow2 fails qemu-img check \(exit 2\): ERROR: /],
    [[busy.source], new RegExp(`win11-lab-busy\\.qcow2 is open for writing by pid ${writer.pid} \\(sleep\\): shut the VM down, or wait for the copy to finish, then publish`)],
    [[good.source, '--group', 'm55'], /group 'm55' is not in the inventory \(groups: all, m5, m6, staff, rooms, windows, gpu\)/],
    [[good.source, '--version', '2026/13'], /image\.version: expected letters, digits, '\.', '_' or '-' only \(it names a file\), got "2026\/13"/],
    [[other.source, '--version', '2026.12'], /win11-lab 2026\.12 was published on \S+ by \S+ with other bytes \(sha256 [0-9a-f]{12}…\): give this image a new version/],
    [[join(masters, 'nothing.qcow2')], /nothing\.qcow2 does not exist/],
  ]
  for (const [args, message] of cases) {
    const withDefaults = args.includes('--version') ? args : [...args, '--version', '2027.01']
    const out = labplay('publish', ...withDefaults, '--name', 'win11-lab', '-i', inv)
    t.is(out.code, 5, `${args[0]}: ${out.stdout}${out.stderr}`)
    t.regex(out.stderr, message)
    t.notRegex(out.stderr, /\n\s+at /, 'no stack trace')
  }
  t.deepEqual(snapshot(inv), before, 'no refusal changed the inventory')

  const allowed = labplay('publish', overlay, '--name', 'win11-lab', '--version', '2027.02', '--allow-backing', '-i', inv)
  t.is(allowed.code, 0, allowed.stderr)
  t.regex(allowed.stderr, /\[WARNING\]: .*overlay\.qcow2 has a backing file .*vm-image refuses such an image on the seats/)
  t.false(existsSync(join(masters, '.disk.raw.sha256')))
})

test.serial('under a terminal: one bar drawn over itself (bytes, MB/s, ETA), replaced by the last line', async (t) => {
  inventory()
  const image = await makeImage(join(dir, 'tty'), { dataMb: 200, version: 'tty' })
  const pane = await inTmux(['node', BIN, 'image', 'publish', image.source, '--name', 'win11-lab', '--version', '2026.12', '-i', inv], { cwd: dir, columns: 120, rows: 20 })
  t.is(pane.code, 0, pane.text)
  const raw = pane.bytes.toString('utf8')
  const frames = [...raw.matchAll(/\rhashing win11-lab-tty\.qcow2 \[[=> ]+\] +(\d+)%  \S+ \S+ of \S+ \S+  \S+ MB\/s  ETA \S+\x1b\[K/g)].map((m) => Number(m[1]))
  t.log(`${frames.length} frames: ${frames.join(' ')}`)
  t.true(frames.length >= 1 && frames[0] === 0, 'the bar is there at once')
  t.deepEqual(frames, [...frames].sort((a, b) => a - b), 'it only moves forward')
  t.regex(raw, /\rhashed win11-lab-tty\.qcow2: 2\d\d\.\d MB in \S+ \(\d+ MB\/s\)\x1b\[K\r?\n/)
  const screen = pane.text.split('\n')
  t.true(screen.some((l) => /^hashed win11-lab-tty\.qcow2: /.test(l)), pane.text)
  t.false(screen.some((l) => l.includes('[=') || l.includes('ETA')), 'no bar left on the screen')
  t.true(screen.some((l) => l.startsWith('published win11-lab 2026.12')))
})
