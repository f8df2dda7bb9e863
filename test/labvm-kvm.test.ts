import test from 'ava'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createLab, type Lab } from './lab/lab.ts'
import { makeImage } from './helpers/image.ts'
import { cleanUp, labplay, project } from './helpers/labplay.ts'

// labvm with kvm-module's probe, on a lab host sharing this machine's KVM: kvm_pvm, which opens /dev/kvm and
// starts QEMU but runs no guest (LAB-NOTES). The session must start under TCG with a warning, not hang under KVM,
// and test KVM once per boot and kernel. A machine with VT-x/AMD-V KVM starts it under KVM instead.
let lab: Lab
let dir: string
let host: string
const KVM_RUNS_GUESTS = !existsSync('/sys/module/kvm_pvm')
const STAMP = '/var/tmp/labvm/.kvm-0'
const PLAYBOOK = `- name: Windows guest
  hosts: lab
  roles:
    - kvm-module
    - vm-image
`
const started: number[] = []

const sh = (command: string): Promise<string> => lab.must(host, command)

interface Session {
  pid: number
  // From starting labvm to the session's QEMU running, measured inside the host.
  ms: number
  log: string
  cmdline: string
}

// A headless session as root; `labv[m]` keeps pgrep from finding this very command line.
async function startSession(n: number): Promise<Session> {
  const out = await sh(`start=\${EPOCHREALTIME/./}
    LABVM_DISPLAY=none setsid labvm >/tmp/labvm-${n}.log 2>&1 </dev/null &
    pid=$!
    for ((i = 0; i < 1000; i++)); do q=$(pgrep -f '^qemu-system-x86_64 -name labv[m]') && break; sleep 0.01; done
    echo "$pid $(( (\${EPOCHREALTIME/./} - start) / 1000 )) $q"`)
  const [pid, ms, qemu] = out.trim().split(' ').map(Number) as [number, number, number]
  started.push(pid)
  if (!qemu) throw new Error(`no session QEMU: ${await sh(`cat /tmp/labvm-${n}.log`)}`)
  return { pid, ms, log: await sh(`cat /tmp/labvm-${n}.log`), cmdline: await sh(`tr '\\0' ' ' < /proc/${qemu}/cmdline`) }
}

async function endSession(s: Session): Promise<void> {
  await sh(`kill -TERM ${s.pid}; for ((i = 0; i < 100; i++)); do kill -0 ${s.pid} 2>/dev/null || exit 0; sleep 0.05; done; exit 1`)
  started.splice(started.indexOf(s.pid), 1)
}

const stampId = () => sh(`stat -c '%i %Y %Z %U %a' ${STAMP}`)
const KEY = 'echo "$(cat /proc/sys/kernel/random/boot_id) $(uname -r)"'

test.before(async () => {
  lab = await createLab({ hosts: 1 })
  host = lab.hosts[0]!.name
  dir = project({ 'site.yml': PLAYBOOK })
  const image = await makeImage(dir, { dataMb: 1 })
  await lab.exec(host, `mkdir -p /srv/labplay/images && cat > /srv/labplay/images/${image.name}-${image.version}.qcow2`, { input: readFileSync(image.source) })
  // qemu-system-gui (the gtk display) is not part of the CI machine's packages.
  writeFileSync(join(dir, 'vars.json'), JSON.stringify({ image, vm_packages: ['qemu-utils', 'qemu-system-x86'] }))
  const ran = await labplay(lab, [join(dir, 'site.yml'), '-e', `@${join(dir, 'vars.json')}`], { cwd: dir })
  if (ran.code !== 0) throw new Error(ran.stdout + ran.stderr)
})

test.afterEach.always(async () => {
  for (const pid of started.splice(0)) await lab.exec(host, `kill -TERM ${pid} 2>/dev/null`)
})

test.after.always(() => cleanUp(lab, dir))

let first: Session

test.serial('the first session tests KVM with the probe and starts the guest under TCG with a warning, not under KVM', async (t) => {
  first = await startSession(1)
  if (KVM_RUNS_GUESTS) {
    t.regex(first.cmdline, /-accel kvm -cpu host /)
    t.is(first.log, '')
  } else {
    t.regex(first.cmdline, /^qemu-system-x86_64 -name labvm -machine q35 -accel tcg -cpu max /)
    t.regex(first.log, /^labvm: KVM cannot run guests here \(test guest, \d+ ms: stopped at lock cmpxchg16b: KVM internal error\. Suberror: 1 \(emulation failure\)\): software emulation, the guest will be slow\n$/)
  }
  const [key, verdict] = (await sh(`cat ${STAMP}`)).split('\n')
  t.is(`${key}\n`, await sh(KEY), 'the stamp is keyed by boot id and kernel')
  t.regex(verdict!, KVM_RUNS_GUESTS ? /^ok \d+ RPLC/ : /^fail \d+ RPLC stopped at lock cmpxchg16b: /)
  t.regex(await stampId(), / root 600\n$/)
  await endSession(first)
})

test.serial('a second session reuses the verdict of this boot: no test guest runs again (timed)', async (t) => {
  const before = await stampId()
  const second = await startSession(2)
  t.is(await stampId(), before, 'the stamp is neither rewritten nor replaced')
  if (!KVM_RUNS_GUESTS) {
    t.regex(second.cmdline, /-accel tcg -cpu max /)
    t.regex(second.log, /^labvm: KVM cannot run guests here \(test guest, cached for this boot: stopped at lock cmpxchg16b: .*\): software emulation, the guest will be slow\n$/)
  }
  const tested = /test guest, (\d+) ms/.exec(first.log)?.[1]
  t.log(`labvm start to QEMU: first ${first.ms} ms (probe ${tested ?? '?'} ms), cached ${second.ms} ms`)
  await endSession(second)
})

test.serial("a stamp from another boot or kernel, or that is not the user's own, is never believed", async (t) => {
  await sh(`sed -i '1s/.*/00000000-0000-0000-0000-000000000000 1.0.0-old/' ${STAMP}`)
  const rebooted = await startSession(3)
  t.regex(rebooted.log, KVM_RUNS_GUESTS ? /^$/ : /\(test guest, \d+ ms: /, 'tested again')
  t.is((await sh(`cat ${STAMP}`)).split('\n')[0] + '\n', await sh(KEY))
  await endSession(rebooted)

  // Another user's forged "KVM runs guests" must not send this user's session into a hanging KVM.
  await sh(`printf '%s\\nok 1 RPLCXW\\n' "$(${KEY})" > ${STAMP} && chown nobody ${STAMP}`)
  const forged = await startSession(4)
  if (!KVM_RUNS_GUESTS) {
    t.regex(forged.cmdline, /-accel tcg -cpu max /)
    t.regex(forged.log, /\(test guest, \d+ ms: stopped at lock cmpxchg16b/)
  }
  // Where KVM does run guests the forged verdict and the real one agree: the stamp's owner tells them apart.
  t.regex(await stampId(), / root 600\n$/, "the forged stamp is replaced by the user's own")
  t.not((await sh(`cat ${STAMP}`)).split('\n')[1], 'ok 1 RPLCXW')
  await endSession(forged)
})
