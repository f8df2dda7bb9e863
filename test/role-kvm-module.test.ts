import test from 'ava'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { createLab, type Lab } from './lab/lab.ts'
import { fingerprint, reportsButChangesNothing } from './helpers/host-state.ts'
import { cleanUp, labplay, project } from './helpers/labplay.ts'

// kvm-module on three lab hosts sharing this machine's built-in KVM: a plain seat (a), one with a newer kernel
// installed that ships kvm (b), one with a newer kernel without kvm that also proves check mode (c).
// The truth about this machine's KVM (LAB-NOTES): it is kvm_pvm, which opens /dev/kvm and starts QEMU but runs no
// guest kernel (emulation failure at lock cmpxchg16b). A machine with VT-x/AMD-V KVM runs the test guest.
let lab: Lab
let dir: string
let a: string, b: string, c: string
let running: string
const PLAYBOOK = `- name: KVM at every seat
  hosts: lab
  roles:
    - role: kvm-module
      vars:
        kvm_users: [student]
`

// The machine's /dev/kvm: any chmod, chown or ACL change moves its ctime.
const devKvm = () => {
  const s = statSync('/dev/kvm')
  return { mode: s.mode, uid: s.uid, gid: s.gid, rdev: s.rdev, ctimeMs: s.ctimeMs }
}
let devBefore: ReturnType<typeof devKvm>
const KVM_RUNS_GUESTS = !existsSync('/sys/module/kvm_pvm')
const CANNOT = 'KVM is present but cannot run guests: a test guest stopped at lock cmpxchg16b: KVM internal error. Suberror: 1 (emulation failure); ' +
  'under software emulation it runs, so the Windows session falls back to it (slow)'
const PROBE = '/usr/local/libexec/labplay-kvm-probe'

test.before(async () => {
  devBefore = devKvm()
  lab = await createLab({ hosts: 3 })
  ;[a, b, c] = lab.hosts.map((h) => h.name) as [string, string, string]
  dir = project({ 'site.yml': PLAYBOOK })
  running = (await lab.must(a, 'uname -r')).trim()
  await Promise.all(lab.hosts.map((h) => lab.must(h.name, 'useradd -M -s /usr/sbin/nologin student && { groupdel kvm 2>/dev/null || true; }')))
  // Left by an older setup on a seat whose KVM is built in now: both go.
  await lab.must(a, 'mkdir -p /etc/modules-load.d /etc/modprobe.d && echo kvm_intel > /etc/modules-load.d/labplay-kvm.conf && echo "options kvm_intel nested=1" > /etc/modprobe.d/labplay-kvm-nested.conf')
  await lab.must(b, 'mkdir -p /lib/modules/99.0.0-test && printf "kernel/drivers/net/dummy.ko\\nkernel/arch/x86/kvm/kvm.ko\\n" > /lib/modules/99.0.0-test/modules.builtin')
  await lab.must(c, 'mkdir -p /lib/modules/98.0.0-nokvm && printf "kernel/drivers/net/dummy.ko\\n" > /lib/modules/98.0.0-nokvm/modules.builtin')
})

test.after.always(() => cleanUp(lab, dir))

test.serial('check mode on a fresh host reports changes and changes nothing', async (t) => {
  const ran = await reportsButChangesNothing(t, lab, [c], fingerprint(['/etc', '/usr/lib/modules']), () => labplay(lab, [join(dir, 'site.yml'), '-C', '-l', c], { cwd: dir }))
  t.is((await lab.exec(c, 'getent group kvm')).code, 2, 'no kvm group created')
  t.is((await lab.exec(c, `test -e ${PROBE}`)).code, 1, 'the probe is not installed in check mode')
  if (KVM_RUNS_GUESTS) t.notRegex(ran.stdout, /cannot run guests/)
  else t.true(ran.stdout.includes(`[WARNING]: ${CANNOT}: ${c}\n`), 'the test guest runs in check mode too: ' + ran.stdout)
})

test.serial('a run gives the seat /dev/kvm access and warns about pending kernels, host by host; a second run changes nothing', async (t) => {
  const first = await labplay(lab, [join(dir, 'site.yml')], { cwd: dir })
  t.is(first.code, 0, first.stdout + first.stderr)
  for (const host of [a, b, c]) {
    t.true(first.recap.get(host)!.changed > 0, `${host}: ${JSON.stringify(first.recap.get(host))}`)
    t.is(await lab.must(host, 'cat /etc/udev/rules.d/65-labplay-kvm.rules'), '# Managed by labplay (kvm-module).\nKERNEL=="kvm", GROUP="kvm", MODE="0660", TAG+="uaccess"\n')
    t.regex(await lab.must(host, 'getent group kvm'), /^kvm:x:\d+:student\n$/)
    t.true((await lab.must(host, 'id -nG student')).split(/\s+/).includes('kvm'))
    t.is(await lab.must(host, 'ls -A /etc/modules-load.d /etc/modprobe.d 2>/dev/null | grep labplay || true'), '', 'KVM is built in: nothing to load or set at boot')
  }
  const recap = first.stdout.slice(first.stdout.lastIndexOf('PLAY RECAP') - 2000)
  t.regex(recap, new RegExp(`\\[WARNING\\]: reboot pending: running ${running.replaceAll('.', '\\.')}, newest installed 99\\.0\\.0-test: ${b}\\n`))
  t.regex(recap, new RegExp(`\\[WARNING\\]: KVM MISSING in the newest installed kernel 98\\.0\\.0-nokvm \\(running .*: ${c}\\n`))
  t.is(first.stdout.split('\n').filter((l) => /reboot pending|KVM MISSING/.test(l) && l.includes(a)).length, 0, `no kernel warning for ${a}`)
  if (KVM_RUNS_GUESTS) t.notRegex(first.stdout, /cannot run guests/)
  else t.true(recap.includes(`[WARNING]: ${CANNOT}: ${[a, b, c].join(', ')} (3 hosts)\n`), `one line for every seat: ${recap}`)
  for (const host of [a, b, c]) {
    t.is(await lab.must(host, `stat -c '%a %U %G' ${PROBE}`), '755 root root\n')
    t.is(await lab.must(host, `cat ${PROBE}`), readFileSync(new URL('../roles/kvm-module/files/labplay-kvm-probe', import.meta.url), 'utf8'))
  }

  const second = await labplay(lab, [join(dir, 'site.yml')], { cwd: dir })
  t.is(second.code, 0, second.stdout + second.stderr)
  for (const host of [a, b, c]) t.is(second.recap.get(host)!.changed, 0, `${host}: ${JSON.stringify(second.recap.get(host))}`)
  t.regex(second.stdout, /\[WARNING\]: reboot pending: .*\n/, 'still pending: the warning stays until the reboot')
})

test.serial('the probe: the test guest runs to the end under TCG, KVM here is present but cannot run it; a student without /dev/kvm is told so', async (t) => {
  const timed = async (command: string) => {
    const started = Date.now()
    const out = await lab.exec(a, command)
    return { ...out, wallMs: Date.now() - started }
  }
  const tcg = await timed(`${PROBE} tcg`)
  t.is(tcg.code, 0, tcg.stdout + tcg.stderr)
  t.regex(tcg.stdout, /^ok \d+ RPLCX?W\n$/, 'real, protected and long mode, cmpxchg16b, xsave (max has it), the loop')
  const kvm = await timed(`${PROBE} kvm`)
  if (KVM_RUNS_GUESTS) {
    t.regex(kvm.stdout, /^ok \d+ RPLC/)
  } else {
    t.is(kvm.code, 1, kvm.stdout + kvm.stderr)
    t.regex(kvm.stdout, /^fail \d+ RPLC stopped at lock cmpxchg16b: KVM internal error\. Suberror: 1 \(emulation failure\)\n$/)
  }
  t.log(`probe here: kvm ${kvm.stdout.trim()} (${kvm.wallMs} ms wall), tcg ${tcg.stdout.trim()} (${tcg.wallMs} ms wall)`)
  t.is(await lab.must(a, 'ls -A /tmp | grep labplay-kvm-probe || true'), '', 'no temporary folder left')
  t.is(await lab.must(a, `su -s /bin/bash student -c '${PROBE} kvm; echo $?'`), 'no-access\n3\n')
})

test.serial("the machine's /dev/kvm is untouched (mode, owner, ctime)", (t) => {
  t.deepEqual(devKvm(), devBefore)
})
