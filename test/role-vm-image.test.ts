import test from 'ava'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { createConnection } from 'node:net'
import { join } from 'node:path'
import { createLab, type Lab } from './lab/lab.ts'
import { fingerprint, reportsButChangesNothing } from './helpers/host-state.ts'
import { cleanUp, labplay, project } from './helpers/labplay.ts'

// vm-image on two real hosts: verification, read-only install, the link, labvm really running QEMU, a version switch.
let lab: Lab
let dir: string
let one: string
let two: string

const IMAGES = '/srv/labplay/images'
const OVERLAYS = '/var/tmp/labvm'
const MONITOR = '/run/labvm-monitor.sock'
const PLAYBOOK = `- name: VM image
  hosts: lab
  roles:
    - vm-image
`

interface Image {
  version: string
  bytes: Buffer
  sha256: string
}

let v1: Image
let v2: Image
// Sessions a test started, ended by pid when a test fails halfway.
const started: Array<{ host: string; pid: number }> = []

// A tiny qcow2 whose first MiB holds `pattern`, made on the controller as an admin would.
function makeImage(version: string, pattern: string): Image {
  const file = join(dir, `win11-lab-${version}.qcow2`)
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', file, '32M'])
  execFileSync('qemu-io', ['-f', 'qcow2', '-c', `write -P ${pattern} 0 1M`, file], { stdio: 'ignore' })
  const bytes = readFileSync(file)
  return { version, bytes, sha256: createHash('sha256').update(bytes).digest('hex') }
}

function versionPath(version: string): string {
  return `${IMAGES}/win11-lab-${version}.qcow2`
}

// What udpcast would have done: the bytes at the versioned name.
async function place(host: string, image: Image, as = image.version): Promise<void> {
  await lab.must(host, `mkdir -p ${IMAGES} && cat > ${versionPath(as)}`, { input: image.bytes })
}

// The manifest (and the test's own settings) as -e @file.
function vars(image: Image, extra: Record<string, unknown> = {}): string {
  const file = join(dir, `vars-${image.version}-${Object.keys(extra).join('-')}.json`)
  const manifest = { name: 'win11-lab', version: image.version, size: image.bytes.length, sha256: image.sha256, source: '/nowhere' }
  // qemu-system-gui (the gtk display) is not part of the CI machine's packages.
  writeFileSync(file, JSON.stringify({ image: manifest, vm_packages: ['qemu-utils', 'qemu-system-x86'], ...extra }))
  return `@${file}`
}

function play(args: string[]) {
  return labplay(lab, [join(dir, 'site.yml'), ...args], { cwd: dir })
}

// Polls a host until `command` succeeds (bounded).
async function until(host: string, command: string, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await lab.exec(host, command)).code === 0) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${host}: timed out waiting for ${what}`)
}

// labvm started as a student's session would be, headless, with an HMP monitor; returns its pid in the host.
async function startLabvm(host: string, monitor = true): Promise<number> {
  const env = `LABVM_DISPLAY=none${monitor ? ` LABVM_MONITOR=${MONITOR}` : ''}`
  const pid = Number(await lab.must(host, `${env} setsid labvm >/tmp/labvm.log 2>&1 </dev/null & echo $!`))
  started.push({ host, pid })
  await until(host, `pgrep -x qemu-system-x86 >/dev/null${monitor ? ` && test -S ${MONITOR}` : ''}`, 'QEMU')
  return pid
}

// One HMP command through the monitor socket, seen from the controller through the host's root.
function hmp(host: string, command: string): Promise<string> {
  const pid = lab.hosts.find((h) => h.name === host)!.pid
  return new Promise((resolve, reject) => {
    const socket = createConnection(`/proc/${pid}/root${MONITOR}`)
    let text = ''
    let sent = false
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`HMP ${command}: no answer, got ${JSON.stringify(text)}`))
    }, 10_000)
    socket.on('data', (chunk) => {
      text += chunk.toString()
      if (!text.endsWith('(qemu) ')) return
      if (!sent) {
        sent = true
        text = ''
        socket.write(`${command}\n`)
        return
      }
      clearTimeout(timer)
      socket.end()
      resolve(text)
    })
    socket.on('error', reject)
    socket.on('close', () => {
      clearTimeout(timer)
      if (command === 'quit') resolve(text)
    })
  })
}

test.before(async () => {
  lab = await createLab({ hosts: 2 })
  one = lab.hosts[0]!.name
  two = lab.hosts[1]!.name
  dir = project({ 'site.yml': PLAYBOOK })
  v1 = makeImage('2026.11', '0x5a')
  v2 = makeImage('2027.03', '0x3c')
  await Promise.all([place(one, v1), place(two, v1)])
})

test.afterEach.always(async () => {
  for (const { host, pid } of started.splice(0)) await lab.exec(host, `kill -TERM ${pid} 2>/dev/null`)
})

test.after.always(() => cleanUp(lab, dir))

test.serial('check mode on a fresh host reports changes and changes nothing', async (t) => {
  // Every path a run could touch.
  await reportsButChangesNothing(t, lab, [two], fingerprint(['/etc', '/srv', '/usr/local', '/var/tmp']), () => play(['-C', '-l', two, '-e', vars(v1)]))
})

test.serial('a missing or wrong image fails the host and says to run udpcast first', async (t) => {
  await place(one, v2, v1.version)
  const wrong = await play(['-l', one, '-e', vars(v1)])
  t.is(wrong.code, 2, wrong.stdout + wrong.stderr)
  t.regex(wrong.stdout, /image win11-lab 2026\.11 is wrong on this host \(.* has sha256 [0-9a-f]{64}, the manifest says [0-9a-f]{64}\): run the udpcast role first \(labplay site\.yml -t udpcast\)/)
  await lab.must(one, `rm -f ${versionPath(v1.version)}`)
  const missing = await play(['-l', one, '-e', vars(v1)])
  t.is(missing.code, 2, missing.stdout + missing.stderr)
  t.regex(missing.stdout, /image win11-lab 2026\.11 is missing on this host \(\/srv\/labplay\/images\/win11-lab-2026\.11\.qcow2\): run the udpcast role first/)
  t.is((await lab.exec(one, `test -e ${IMAGES}/win11-lab.qcow2`)).code, 1, 'no link to an unverified image')
  await place(one, v1)
})

test.serial('the image is installed read-only behind the stable link, with labvm; a second run changes nothing', async (t) => {
  const first = await play(['-e', vars(v1)])
  t.is(first.code, 0, first.stdout + first.stderr)
  const memKb = Number(/^MemTotal:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))![1])
  const cpus = Number(execFileSync('nproc', ['--all']).toString())
  for (const host of [one, two]) {
    t.true(first.recap.get(host)!.changed > 0)
    t.is(await lab.must(host, `stat -c '%a %U %G' ${versionPath(v1.version)} ${IMAGES}`), '444 root root\n755 root root\n')
    t.is(await lab.must(host, `readlink ${IMAGES}/win11-lab.qcow2`), 'win11-lab-2026.11.qcow2\n')
    t.is(await lab.must(host, `sha256sum < ${IMAGES}/win11-lab.qcow2`), `${v1.sha256}  -\n`)
    t.is(await lab.must(host, 'stat -c "%a %U" /usr/local/bin/labvm /usr/local/libexec/labvm-smb-relay /etc/init.d/labvm-overlays'), '755 root\n755 root\n755 root\n')
    t.is(await lab.must(host, 'cat /etc/labplay/labvm.conf'), [
      "# Written by labplay's vm-image role; read by /usr/local/bin/labvm.",
      `IMAGE=${IMAGES}/win11-lab.qcow2`,
      `OVERLAY_DIR=${OVERLAYS}`,
      `MEMORY_MB=${Math.max(1024, Math.min(8192, Math.floor(memKb / 1024 / 2)))}`,
      `CPUS=${Math.max(1, cpus - 1)}`,
      'SMB_ADDRESS=10.0.2.100',
      "DISPLAY_MODE=$'gtk,full-screen=on'",
      '',
    ].join('\n'))
    t.is(await lab.must(host, `stat -c '%a %U' ${OVERLAYS}; cat /etc/tmpfiles.d/labvm.conf | grep -v '^#'; ls /etc/rc2.d | grep labvm`), `1777 root\nD ${OVERLAYS} 1777 root root -\nS01labvm-overlays\n`)
  }
  const second = await play(['-e', vars(v1)])
  t.is(second.code, 0, second.stdout + second.stderr)
  for (const host of [one, two]) t.is(second.recap.get(host)!.changed, 0, second.stdout)
})

test.serial('labvm runs QEMU on a throw-away overlay: the guest writes there, the base never changes', async (t) => {
  await lab.must(one, `touch ${OVERLAYS}/root-999999.qcow2`)
  const pid = await startLabvm(one)
  const overlay = `${OVERLAYS}/root-${pid}.qcow2`
  t.is(await lab.must(one, `ls ${OVERLAYS}`), `root-${pid}.qcow2\n`, 'the stale overlay of a dead session is gone')
  const cmdline = await lab.must(one, `tr '\\0' ' ' < /proc/$(pgrep -x qemu-system-x86)/cmdline`)
  // Without kvm-module's probe nothing says KVM runs guests: never risk a hanging session (test/labvm-kvm.test.ts has the probe).
  t.regex(cmdline, /-accel tcg -cpu max /)
  t.regex(await lab.must(one, 'cat /tmp/labvm.log'), /^labvm: cannot test KVM \(\/usr\/local\/libexec\/labplay-kvm-probe is missing: run labplay's kvm-module role\): software emulation, the guest will be slow\n/)
  t.regex(cmdline, /user,id=n0,restrict=on,guestfwd=tcp:10\.0\.2\.100:445-cmd:\/usr\/local\/libexec\/labvm-smb-relay/)
  t.regex(await lab.must(one, `qemu-img info -U ${overlay}`), /backing file: \/srv\/labplay\/images\/win11-lab-2026\.11\.qcow2\n/)

  await hmp(one, 'qemu-io disk0 "write -P 0xaa 0 64k"')
  await hmp(one, 'qemu-io disk0 flush')
  t.regex(await lab.must(one, 'cat /tmp/labvm.log'), /wrote 65536\/65536 bytes at offset 0/, 'qemu-io prints on QEMU\'s stdout')
  t.regex(await lab.must(one, `qemu-io -U -r -f qcow2 -c 'read -P 0xaa 0 64k' ${overlay}`), /read 65536\/65536/)
  const map = JSON.parse(await lab.must(one, `qemu-img map -U --output=json ${overlay}`)) as Array<{ start: number; depth: number; data: boolean }>
  t.like(map[0], { start: 0, depth: 0, data: true }, 'the write landed in the overlay')

  await hmp(one, 'quit')
  await until(one, `! kill -0 ${pid} 2>/dev/null`, 'labvm to exit')
  t.is(await lab.must(one, `ls ${OVERLAYS}`), '', 'the overlay is gone with the session')
  t.is(await lab.must(one, `sha256sum < ${versionPath(v1.version)}`), `${v1.sha256}  -\n`)
  t.regex(await lab.must(one, `qemu-io -r -f qcow2 -c 'read -P 0x5a 0 64k' ${versionPath(v1.version)}`), /read 65536\/65536/)
})

test.serial('a new version switches the link under a running VM; the old one goes once the VM has quit', async (t) => {
  const pid = await startLabvm(one, false)
  await place(one, v2)
  const keep1 = vars(v2, { images_keep: 1 })
  const switched = await play(['-l', one, '-e', keep1])
  t.is(switched.code, 0, switched.stdout + switched.stderr)
  t.is(await lab.must(one, `readlink ${IMAGES}/win11-lab.qcow2`), 'win11-lab-2027.03.qcow2\n')
  t.regex(switched.stdout, /kept \/srv\/labplay\/images\/win11-lab-2026\.11\.qcow2: version 2026\.11 is in use by pid \d+ \(qemu-system-x86\)/)
  t.is(await lab.must(one, `stat -c %a ${versionPath(v1.version)} ${versionPath(v2.version)}`), '444\n444\n')
  t.is((await lab.exec(one, `kill -0 ${pid}`)).code, 0, 'the VM still runs on the old version')

  await lab.must(one, `kill -TERM ${pid}`)
  await until(one, `! kill -0 ${pid} 2>/dev/null && ! pgrep -x qemu-system-x86`, 'labvm and QEMU to exit')
  t.is(await lab.must(one, `ls ${OVERLAYS}`), '', 'SIGTERM ends the session and removes its overlay')

  const cleaned = await play(['-l', one, '-e', keep1])
  t.is(cleaned.code, 0, cleaned.stdout + cleaned.stderr)
  t.true(cleaned.recap.get(one)!.changed > 0)
  t.is(await lab.must(one, `ls -A ${IMAGES}`), '.win11-lab-2027.03.qcow2.checked\n.win11-lab-2027.03.qcow2.sha256\n.win11-lab.versions\nwin11-lab-2027.03.qcow2\nwin11-lab.qcow2\n')
  const again = await play(['-l', one, '-e', keep1])
  t.is(again.recap.get(one)!.changed, 0, again.stdout)
})

test.serial('a student without /dev/kvm gets software emulation, a warning and a private overlay', async (t) => {
  await lab.must(two, 'useradd -m -s /bin/bash student')
  const kvm = (await lab.exec(two, `su student -c '[ -r /dev/kvm ] && [ -w /dev/kvm ]'`)).code === 0
  const pid = Number(await lab.must(two, `su student -c 'LABVM_DISPLAY=none setsid labvm >/tmp/student.log 2>&1 </dev/null & echo $!'`))
  started.push({ host: two, pid })
  await until(two, 'pgrep -x qemu-system-x86 >/dev/null', 'QEMU')
  const cmdline = await lab.must(two, `tr '\\0' ' ' < /proc/$(pgrep -x qemu-system-x86)/cmdline`)
  if (kvm) {
    t.regex(cmdline, /-accel tcg -cpu max /)
    t.regex(await lab.must(two, 'cat /tmp/student.log'), /labvm: cannot test KVM \(.*labplay-kvm-probe is missing/)
  } else {
    t.regex(cmdline, /-accel tcg /)
    t.regex(await lab.must(two, 'cat /tmp/student.log'), /labvm: \/dev\/kvm is not usable by student: software emulation/)
  }
  t.is(await lab.must(two, `stat -c '%U %a' ${OVERLAYS}/student-${pid}.qcow2`), 'student 600\n')
  await lab.must(two, `kill -TERM ${pid}`)
  await until(two, `! kill -0 ${pid} 2>/dev/null && ! pgrep -x qemu-system-x86`, 'labvm and QEMU to exit')
  t.is(await lab.must(two, `ls -A ${OVERLAYS}`), '')
})

test.serial('the boot cleanup empties the overlay folder; the Samba relay reaches loopback port 445', async (t) => {
  await lab.must(two, `touch ${OVERLAYS}/alice-12.qcow2 && /etc/init.d/labvm-overlays start`)
  t.is(await lab.must(two, `ls -A ${OVERLAYS}`), '')
  await lab.must(two, `python3 -c 'import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 445)); s.listen()
c, _ = s.accept(); c.sendall(c.recv(100)[::-1]); c.close()' >/dev/null 2>&1 </dev/null & sleep 0.3`)
  t.is(await lab.must(two, `{ printf smb-hello; sleep 0.5; } | /usr/local/libexec/labvm-smb-relay`), 'olleh-bms')
})
