import test from 'ava'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cgroupPids } from './lab/cgroup.ts'
import { INOTIFY_PER_SEAT } from './lab/inotify.ts'
import { labCgroups } from './lab/lab-object.ts'
import { createLab, destroyStaleLabs, type SeatLab } from './lab/lab.ts'
import { labNamespaces } from './lab/network.ts'
import { run } from './lab/run.ts'
import { labFolders, readRecord } from './lab/state.ts'
import { cleanUp, labNoticePlay, labplay, project } from './helpers/labplay.ts'

// Real seats: Debian 12 booted with systemd in nspawn containers, on the lab's bridge, installing from the lab's mirror.
const SEATS = 3
let lab: SeatLab
let dir: string
let bringUpSeconds = 0
// The machine's /dev/kvm as it was (root:root 0600 here): seats must never change it.
const kvmState = () => {
  if (!existsSync('/dev/kvm')) return 'absent'
  const s = statSync('/dev/kvm')
  return `${s.isCharacterDevice() ? 'c' : '?'} ${s.uid}:${s.gid} ${(s.mode & 0o7777).toString(8)} ${s.rdev} ${s.dev}:${s.ino}`
}
const machineKvm = kvmState()
const inotifyLimit = () => Number(readFileSync('/proc/sys/fs/inotify/max_user_instances', 'utf8'))
const seatLabsRecorded = () => labFolders().filter((id) => readRecord(id)?.kind === 'seat')
let inotifyBefore = 0
let seatLabsBefore: string[] = []

test.before(async () => {
  await destroyStaleLabs()
  inotifyBefore = inotifyLimit()
  seatLabsBefore = seatLabsRecorded()
  const started = Date.now()
  lab = await createLab({ hosts: SEATS, kind: 'seat' })
  bringUpSeconds = (Date.now() - started) / 1000
  dir = project({ 'site.yml': labNoticePlay('m5') })
})

test.after.always(() => cleanUp(lab, dir))

const ssh = (address: string, command: string, checking = 'accept-new', timeoutMs = 30_000) =>
  lab.controller(['ssh', '-F', '/dev/null', '-i', lab.privateKey, '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5',
    '-o', `UserKnownHostsFile=${lab.knownHosts}`, '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', `StrictHostKeyChecking=${checking}`, `root@${address}`, command], { timeoutMs })

// Every mount of the machine and of every process's namespaces (a seat's overlay lives in private ones).
function mountsMentioning(path: string): string[] {
  const found: string[] = []
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      for (const line of readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n')) if (line.includes(path)) found.push(`${pid}: ${line}`)
    } catch { /* exited */ }
  }
  return found
}

test.serial('every seat boots with systemd as pid 1 to running (or degraded, naming the failed units) within the bound', async (t) => {
  t.log(`${SEATS} seats up in ${bringUpSeconds.toFixed(1)} s; boots: ${JSON.stringify(lab.boots)}`)
  t.true(bringUpSeconds < 60 + 3 * SEATS + 60, `bring-up took ${bringUpSeconds} s`)
  for (const h of lab.hosts) {
    const boot = lab.boots[h.name]!
    t.true(boot.state === 'running' || boot.failed.length > 0, `${h.name}: ${JSON.stringify(boot)}`)
    const r = await lab.exec(h.name, 'cat /proc/1/comm; systemctl is-system-running')
    t.regex(r.stdout, /^systemd\n(running|degraded)\n$/)
  }
  const limit = inotifyLimit()
  t.true(limit >= 128 + INOTIFY_PER_SEAT * SEATS, `fs.inotify.max_user_instances is ${limit} while ${SEATS} seats run`)
})

test.serial('hostname is the inventory name; labplay configures every seat over SSH with a real playbook', async (t) => {
  for (const h of lab.hosts) {
    const r = await ssh(h.address, 'hostname; cat /etc/hostname; id -u')
    t.is(r.stdout, `${h.name}\n${h.name}\n0\n`, r.stderr)
  }
  const ran = await labplay(lab, [join(dir, 'site.yml')], { cwd: dir })
  t.is(ran.code, 0, ran.stdout + ran.stderr)
  for (const h of lab.hosts) {
    t.like(ran.recap.get(h.name), { failed: 0, unreachable: 0 })
    t.true(ran.recap.get(h.name)!.changed >= 4)
    t.is((await lab.exec(h.name, 'cat /etc/labplay/notice')).stdout, `This workstation is managed by labplay.\nroom: m5\nhost: ${h.name}\n`)
  }
  const again = await labplay(lab, [join(dir, 'site.yml')], { cwd: dir })
  for (const h of lab.hosts) t.like(again.recap.get(h.name), { changed: 0, failed: 0 })
})

test.serial("a bare seat installs a role's package from the lab's mirror, its only source, with no route out", async (t) => {
  const h = lab.hosts[0]!
  const before = await lab.exec(h.name, "dpkg-query -W -f '${db:Status-Abbrev}' samba; ip route show default; grep -rh '^deb' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null")
  t.is(before.stdout, `deb [trusted=yes] ${lab.mirror.url} ./\n`, 'samba not installed, no default route, the mirror only')
  const started = Date.now()
  const r = await ssh(h.address, 'DEBIAN_FRONTEND=noninteractive apt-get -q update && DEBIAN_FRONTEND=noninteractive apt-get -y -q install --no-install-recommends samba', 'accept-new', 240_000)
  t.is(r.code, 0, r.stdout.slice(-2000) + r.stderr)
  t.log(`apt-get install samba from the mirror: ${((Date.now() - started) / 1000).toFixed(1)} s`)
  t.true(r.stdout.includes(` ${lab.mirror.url.replace(/\/$/, '')} ./ samba `), 'samba came from the mirror')
  const after = await lab.exec(h.name, "dpkg-query -W -f '${db:Status-Abbrev}' samba; echo; systemctl is-active smbd")
  t.is(after.stdout, 'ii \nactive\n')
})

test.serial("each seat has its own /dev/kvm node (not the machine's) and its own cgroup in every hierarchy", async (t) => {
  const seen = new Set<string>()
  for (const h of lab.hosts) {
    const seat = lab.seat(h.name)
    const inside = await lab.exec(h.name, 'stat -c "%i %t:%T" /dev/kvm')
    const node = statSync(seat.kvm)
    t.is(inside.stdout, `${node.ino} a:e8\n`)
    t.false(machineKvm.endsWith(` ${node.dev}:${node.ino}`))
    t.true(seat.cgroups.length > 0)
    for (const cg of seat.cgroups) {
      t.false(seen.has(cg))
      seen.add(cg)
      t.true(cg.endsWith(`/${seat.machine}`))
      t.true(cgroupPids(cg).includes(seat.pid), `${h.name}'s systemd is in ${cg}`)
    }
  }
  // Seats sharing a cgroup stop each other's units: restarting journald in one leaves the others' alone.
  const journald = (name: string) => lab.exec(name, 'systemctl show -p MainPID --value systemd-journald; systemctl is-active systemd-journald')
  const others = await Promise.all(lab.hosts.slice(1).map((h) => journald(h.name)))
  t.is((await lab.exec(lab.hosts[0]!.name, 'systemctl restart systemd-journald')).code, 0)
  t.deepEqual(await Promise.all(lab.hosts.slice(1).map((h) => journald(h.name))), others)
})

test.serial('a reboot keeps the seat disk (the overlay) and the seat comes back on systemd and ssh', async (t) => {
  const h = lab.hosts[1]!
  const before = lab.seat(h.name).pid
  t.is((await lab.exec(h.name, 'echo kept > /root/marker')).code, 0)
  const boot = await lab.restart(h.name)
  t.log(`reboot: ${JSON.stringify(boot)}`)
  t.not(lab.seat(h.name).pid, before)
  t.true(boot.state === 'running' || boot.failed.length > 0)
  t.is((await lab.exec(h.name, 'cat /root/marker; journalctl --list-boots --no-pager | tail -n +2 | wc -l')).stdout, 'kept\n2\n')
  const back = await ssh(h.address, 'hostname', 'yes')
  t.is(back.stdout, `${h.name}\n`, back.stderr)
})

test.serial('stopSsh refuses connections, startSsh brings the same key back, regenerateHostKey changes it', async (t) => {
  const h = lab.hosts[2]!
  await lab.stopSsh(h.name)
  const down = await ssh(h.address, 'true')
  t.is(down.code, 255)
  t.regex(down.stderr, /Connection refused/)
  await lab.startSsh(h.name)
  t.is((await ssh(h.address, 'hostname', 'yes')).stdout, `${h.name}\n`)
  await lab.regenerateHostKey(h.name)
  t.regex((await ssh(h.address, 'true', 'yes')).stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED/)
})

test.serial("down --stale removes an orphaned seat lab: processes, cgroups, mounts, namespaces, state", async (t) => {
  const orphan = await createLab({ hosts: 1, kind: 'seat', prefix: 'orphan' })
  const dead = await run('bash', ['-c', 'echo $$'])
  const record = join(orphan.dir, 'lab.json')
  writeFileSync(record, JSON.stringify({ ...JSON.parse(readFileSync(record, 'utf8')), owner: Number(dead.stdout) }))
  t.true(labCgroups(orphan.id).length > 0)
  t.true((await destroyStaleLabs()).includes(orphan.id))
  t.deepEqual(labCgroups(orphan.id), [])
  t.deepEqual(mountsMentioning(orphan.dir), [])
  t.deepEqual((await labNamespaces()).filter((ns) => ns.startsWith(`labplay-${orphan.id}-`)), [])
  t.false(existsSync(orphan.dir))
})

test.serial("destroy leaves no process, mount, cgroup, namespace or state, and the machine's /dev/kvm is still root:root 0600", async (t) => {
  const machines = lab.hosts.map((h) => lab.seat(h.name).machine)
  await lab.destroy()
  t.deepEqual(labCgroups(lab.id), [])
  t.deepEqual(mountsMentioning(lab.dir), [])
  t.deepEqual((await labNamespaces()).filter((ns) => ns.startsWith(`labplay-${lab.id}-`)), [])
  t.deepEqual(machines.filter((m) => existsSync(`/run/systemd/nspawn/propagate/${m}`)), [])
  t.false(existsSync(lab.dir))
  if (seatLabsBefore.length === 0 && seatLabsRecorded().length === 0) t.is(inotifyLimit(), inotifyBefore, 'the inotify limit is back')
  t.is(kvmState(), machineKvm)
  t.log(`the machine's /dev/kvm: ${machineKvm}`)
  await t.notThrowsAsync(lab.destroy())
})
