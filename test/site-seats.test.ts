import test from 'ava'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLab, type SeatLab } from './lab/lab.ts'
import { makeImage } from './helpers/image.ts'
import { BIN, cleanUp, parseRecap, ROOT, type Ran } from './helpers/labplay.ts'
import { seatFingerprint } from './helpers/seat.ts'
import { reportsButChangesNothing } from './helpers/host-state.ts'
import { SITE_ROLES } from './helpers/site.ts'

// site.yml on five bare Debian 12 seats booted with systemd: every package comes from the lab's mirror,
// every unit is handled by systemctl, and what the roles leave for boot time happens at a real reboot.
const SEATS = 5
const PACKAGES = ['udpcast', 'qemu-utils', 'qemu-system-x86', 'qemu-system-gui', 'samba', 'desktop-file-utils']
// A kernel update as apt leaves it: a newer kernel and its modules on disk, the old one still running.
const NEW_KERNEL = '99.0.0-1-amd64'

let lab: SeatLab
let dir: string
let manifest: string
let records: string

interface Json {
  hosts: Array<{
    host: string
    changed: number
    warnings: string[]
    tasks: Array<{ role: string; task: string; status: string; message?: string }>
    selection?: Array<{ role: string; run: boolean; reason: string }>
  }>
}

test.before(async () => {
  lab = await createLab({ hosts: SEATS, kind: 'seat', prefix: 'm5' })
  dir = mkdtempSync(join(tmpdir(), 'labplay-site-seats-'))
  records = join(dir, 'runs.db')
  manifest = join(dir, 'image.json')
  writeFileSync(manifest, JSON.stringify({ image: await makeImage(join(dir, 'source'), { dataMb: 8, version: 'seats' }) }))
  writeFileSync(join(dir, 'site.yml'), readFileSync(join(ROOT, 'playbooks/site.yml')))
})

test.after.always(() => cleanUp(lab, dir))

let runs = 0
// The real site.yml (copied, so its retry file lands here), the campus inventory's m5 narrowed to these seats.
async function site(...args: string[]): Promise<Ran & { json: Json; seconds: number }> {
  const json = join(dir, `run-${++runs}.json`)
  const argv = ['node', BIN, join(dir, 'site.yml'), '-i', join(ROOT, 'inventory'), '-i', lab.inventory, '-l', 'm5:&lab',
    '-e', `@${manifest}`, '--known-hosts', lab.knownHosts, '--json', json, ...args]
  const started = Date.now()
  const out = await lab.controller(argv, { cwd: dir, env: { ...process.env, NO_COLOR: '1', LABPLAY_RECORDS: records }, timeoutMs: 900_000 })
  const parsed = existsSync(json) ? (JSON.parse(readFileSync(json, 'utf8')) as Json) : { hosts: [] }
  return { ...out, recap: parseRecap(out.stdout), json: parsed, seconds: (Date.now() - started) / 1000 }
}

const jsonHost = (ran: { json: Json }, host: string) => ran.json.hosts.find((h) => h.host === host)!
const selection = (ran: { json: Json }, host: string) => new Map((jsonHost(ran, host).selection ?? []).map((s) => [s.role, s]))

// Listening sockets inside the seat as "proto address:port", the seat's own sshd left out.
const listeners = async (host: string): Promise<string[]> => (await lab.must(host, 'ss -Hltun')).split('\n').filter(Boolean)
  .map((line) => { const f = line.trim().split(/\s+/); return `${f[0]} ${f[4]}` })
  .filter((l) => !/^tcp (0\.0\.0\.0|\[::\]):22$/.test(l))
  .sort()

// What systemd logged about a unit in the seat's journal since boot: [seconds since the epoch, message].
const unitJournal = async (host: string, unit: string): Promise<Array<[number, string]>> =>
  (await lab.must(host, `journalctl -q --no-pager -o short-unix _PID=1 UNIT=${unit}.service`)).split('\n').filter(Boolean)
    .map((line) => [Number(line.slice(0, line.indexOf(' '))), line.slice(line.indexOf(': ') + 2)])

const unitState = (host: string, unit: string) =>
  lab.must(host, `printf '%s %s\\n' "$(systemctl is-enabled ${unit} 2>/dev/null)" "$(systemctl is-active ${unit} 2>/dev/null)"`)

test.serial('check mode on bare seats reports what it would do and changes nothing: seat disk, running units, listeners', async (t) => {
  const ran = await reportsButChangesNothing(t, lab, lab.hosts.map((h) => h.name), (h) => seatFingerprint(lab, h), () => site('-C'))
  t.is(ran.recap.size, SEATS)
  t.regex(ran.stdout, /would install samba-common-bin, tdb-tools/)
  t.regex(ran.stdout, /would create \/etc\/samba\/smb\.conf/)
  t.regex(ran.stdout, /would install samba$/m)
  t.regex(ran.stdout, /would install udpcast/)
  t.regex(ran.stdout, /would enable, start smbd \(not installed yet\)/)
})

test.serial('the first run on bare seats installs every package from the mirror and reaches exit 0', async (t) => {
  t.timeout(900_000)
  const bare = await lab.must(lab.hosts[0]!.name, `dpkg-query -W -f '\${db:Status-Abbrev}\\n' ${PACKAGES.join(' ')} 2>/dev/null | grep -c '^ii' || true`)
  t.is(bare.trim(), '0', 'the seats start without the roles\' packages')
  const first = await site()
  t.log(`first run of site.yml on ${SEATS} bare seats: ${first.seconds.toFixed(0)} s`)
  t.is(first.code, 0, first.stdout.slice(-4000) + first.stderr)
  for (const h of lab.hosts) {
    t.like(first.recap.get(h.name), { failed: 0, unreachable: 0 }, h.name)
    const installed = await lab.must(h.name, `dpkg-query -W -f '\${binary:Package} \${db:Status-Abbrev}\\n' ${PACKAGES.join(' ')}`)
    t.deepEqual(installed.trim().split('\n').map((l) => l.trim()).sort(), PACKAGES.map((p) => `${p} ii`).sort(), h.name)
    const image = await lab.must(h.name, 'sha256sum /srv/labplay/images/win11-lab.qcow2')
    t.true(image.startsWith((JSON.parse(readFileSync(manifest, 'utf8')) as { image: { sha256: string } }).image.sha256), h.name)
  }
  t.regex(first.stdout, /received .* by multicast/)
})

test.serial('smbd is enabled and active and listens on loopback only; nmbd is stopped, disabled and masked', async (t) => {
  for (const h of lab.hosts) {
    t.is(await unitState(h.name, 'smbd'), 'enabled active\n', h.name)
    t.is(await unitState(h.name, 'nmbd'), 'masked inactive\n', h.name)
    t.deepEqual(await listeners(h.name), ['tcp 127.0.0.1:445', 'tcp [::1]:445'], h.name)
    // Under systemd the boot-time cleanup is tmpfiles.d's: no sysv script for it.
    t.false((await lab.exec(h.name, 'test -e /etc/init.d/labvm-overlays')).code === 0, h.name)
  }
})

// Debian's samba scripts start smbd and try nmbd as they install: that must happen with the role's smb.conf in place.
test.serial("smbd first started after smb.conf got the role's content; nmbd never ran (its condition refused it: NetBIOS off)", async (t) => {
  for (const h of lab.hosts) {
    t.regex(await lab.must(h.name, 'head -n 1 /etc/samba/smb.conf'), /^# Managed by labplay \(role samba-loopback\)/, h.name)
    const written = Number(await lab.must(h.name, 'stat -c %.6Y /etc/samba/smb.conf'))
    const starts = (await unitJournal(h.name, 'smbd')).filter(([, message]) => message.startsWith('Starting smbd.service'))
    t.true(starts.length > 0, `${h.name}: no start of smbd in the journal`)
    t.true(starts[0]![0] >= written, `${h.name}: smbd started at ${starts[0]![0]}, before smb.conf was written at ${written}`)
    const nmbd = await unitJournal(h.name, 'nmbd')
    t.false(nmbd.some(([, message]) => message.startsWith('Started nmbd.service')), `${h.name}: ${JSON.stringify(nmbd)}`)
    t.true(nmbd.some(([, message]) => message === "nmbd.service: Skipped due to 'exec-condition'."), `${h.name}: ${JSON.stringify(nmbd)}`)
  }
})

test.serial('a second run reports changed=0 on every seat', async (t) => {
  const second = await site()
  t.log(`rerun on ${SEATS} seats: ${second.seconds.toFixed(1)} s`)
  t.is(second.code, 0, second.stdout + second.stderr)
  for (const h of lab.hosts) t.like(second.recap.get(h.name), { changed: 0, failed: 0, unreachable: 0 }, h.name)
})

test.serial('after a reboot a stale session overlay is gone, smbd is back on loopback only, nmbd stays off, and a rerun changes nothing', async (t) => {
  const seat = lab.hosts[1]!.name
  // What a power cut during a session leaves: the student's overlay and a file of the session.
  await lab.must(seat, 'touch /var/tmp/labvm/student-4242.qcow2 /var/tmp/labvm/student-4242.lock && ls /var/tmp/labvm')
  const boot = await lab.restart(seat)
  t.log(`reboot: ${JSON.stringify(boot)}`)
  t.is(boot.state, 'running', JSON.stringify(boot))
  t.is(await lab.must(seat, "find /var/tmp/labvm -mindepth 1 | wc -l; stat -c '%a %U %G' /var/tmp/labvm"), '0\n1777 root root\n')
  t.is(await unitState(seat, 'smbd'), 'enabled active\n')
  t.is(await unitState(seat, 'nmbd'), 'masked inactive\n')
  const sockets = async () => listeners(seat)
  let heard = await sockets()
  for (let i = 0; i < 50 && heard.length < 2; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    heard = await sockets()
  }
  t.deepEqual(heard, ['tcp 127.0.0.1:445', 'tcp [::1]:445'])
  const again = await site('-l', seat)
  t.is(again.code, 0, again.stdout + again.stderr)
  t.like(again.recap.get(seat), { changed: 0, failed: 0 })
})

test.serial('where KVM is a loadable module, kvm-module lists it in modules-load.d for systemd at boot; with built-in KVM the file goes', async (t) => {
  const seat = lab.hosts[2]!.name
  // This kernel has KVM built in (/sys/module/kvm, no /proc/modules): hiding /sys/module in the seat's
  // own mount namespace, until its next boot, is a kernel whose KVM is a module, as on a Debian kernel.
  await lab.must(seat, 'mount -t tmpfs -o ro,mode=0755 none /sys/module')
  const loadable = await site('-t', 'kvm-module', '-l', seat)
  t.is(loadable.code, 0, loadable.stdout + loadable.stderr)
  const conf = await lab.must(seat, 'cat /etc/modules-load.d/labplay-kvm.conf')
  t.regex(conf, /^kvm_(intel|amd)$/m)
  // systemd-modules-load reads this folder at boot (in a container it is skipped: no CAP_SYS_MODULE).
  t.regex(await lab.must(seat, 'systemd-analyze cat-config modules-load.d'), /labplay-kvm\.conf\n.*\nkvm_(intel|amd)/)
  await lab.restart(seat)
  const builtin = await site('-t', 'kvm-module', '-l', seat)
  t.is(builtin.code, 0, builtin.stdout + builtin.stderr)
  t.regex(builtin.stdout, /removed \/etc\/modules-load\.d\/labplay-kvm\.conf/)
  t.false(existsSync(join(lab.seat(seat).root, 'etc/modules-load.d/labplay-kvm.conf')))
})

test.serial('after a kernel update on one seat, --stale reruns kvm-module there only and -t kvm-module runs that role alone', async (t) => {
  const seats = lab.hosts.map((h) => h.name)
  const updated = seats[3]!
  const running = (await lab.must(updated, 'uname -r')).trim()
  const recorded = await site()
  t.is(recorded.code, 0, recorded.stdout + recorded.stderr)
  // The new kernel without KVM in it yet: its modules folder holds no kvm.
  await lab.must(updated, `touch /boot/vmlinuz-${NEW_KERNEL} && mkdir -p /lib/modules/${NEW_KERNEL} && : > /lib/modules/${NEW_KERNEL}/modules.builtin`)

  const stale = await site('--stale')
  t.is(stale.code, 0, stale.stdout + stale.stderr)
  for (const seat of seats) {
    const sel = selection(stale, seat)
    for (const role of SITE_ROLES) {
      const selected = seat === updated && role === 'kvm-module'
      t.is(sel.get(role)!.run, selected, `${seat} ${role}: ${sel.get(role)!.reason}`)
    }
  }
  t.true(selection(stale, updated).get('kvm-module')!.reason.startsWith(`newest installed kernel ${running} → ${NEW_KERNEL}`),
    selection(stale, updated).get('kvm-module')!.reason)
  t.true(jsonHost(stale, updated).warnings.some((w) => w.includes(`KVM MISSING in the newest installed kernel ${NEW_KERNEL}`)),
    JSON.stringify(jsonHost(stale, updated).warnings))

  // The admin installs the kernel's modules (KVM built in), then reruns just that role on the room.
  await lab.must(updated, `echo kernel/arch/x86/kvm/kvm.ko > /lib/modules/${NEW_KERNEL}/modules.builtin`)
  const tagged = await site('-t', 'kvm-module')
  t.is(tagged.code, 0, tagged.stdout + tagged.stderr)
  for (const seat of seats) {
    t.like(tagged.recap.get(seat), { changed: 0, failed: 0 }, seat)
    const roles = new Set(jsonHost(tagged, seat).tasks.filter((x) => x.status !== 'skipped' && x.role).map((x) => x.role))
    t.deepEqual([...roles], ['kvm-module'], seat)
  }
  t.true(jsonHost(tagged, updated).warnings.some((w) => w.includes(`reboot pending: running ${running}, newest installed ${NEW_KERNEL}`)),
    JSON.stringify(jsonHost(tagged, updated).warnings))
  t.false(jsonHost(tagged, seats[0]!).warnings.some((w) => w.includes('reboot pending')))
})
