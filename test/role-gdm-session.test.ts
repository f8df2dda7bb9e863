import test from 'ava'
import { join } from 'node:path'
import { createLab, type Lab } from './lab/lab.ts'
import { fingerprint, reportsButChangesNothing } from './helpers/host-state.ts'
import { cleanUp, labplay, project } from './helpers/labplay.ts'

// gdm-session on two lab hosts (no GDM there, as on a fresh install): a, and b whose PostSession/Default
// already holds an admin's line; b also proves check mode.
let lab: Lab
let dir: string
let a: string, b: string
const PLAYBOOK = `- name: Windows at the login screen
  hosts: lab
  roles:
    - gdm-session
`
const HOOK = '/etc/gdm3/PostSession/Default'
const ADMIN_HOOK = '#!/bin/sh\n# site hook\ntouch /tmp/admin-hook-ran\nexit 0\n'

test.before(async () => {
  lab = await createLab({ hosts: 2 })
  ;[a, b] = lab.hosts.map((h) => h.name) as [string, string]
  dir = project({ 'site.yml': PLAYBOOK })
  await Promise.all(lab.hosts.map((h) => lab.must(h.name, 'useradd -M -s /bin/sh student && useradd -M -s /bin/sh other')))
  await lab.must(b, `mkdir -p /etc/gdm3/PostSession && printf '%s' '${ADMIN_HOOK}' > ${HOOK} && chmod 755 ${HOOK}`)
})

test.after.always(() => cleanUp(lab, dir))

test.serial('check mode on a fresh host reports changes and changes nothing', async (t) => {
  const state = fingerprint(['/etc', '/usr/local', '/usr/share/xsessions', '/var/tmp'])
  await reportsButChangesNothing(t, lab, [b], state, () => labplay(lab, [join(dir, 'site.yml'), '-C', '-l', b], { cwd: dir }))
})

test.serial('a run puts a valid "Windows" session and the PostSession cleanup in place; a second run changes nothing', async (t) => {
  const first = await labplay(lab, [join(dir, 'site.yml')], { cwd: dir })
  t.is(first.code, 0, first.stdout + first.stderr)
  t.regex(first.stdout, new RegExp(`\\[WARNING\\]: gdm3 is not installed: .*: .*${a}`), 'warned, not failed')
  for (const host of [a, b]) {
    t.true(first.recap.get(host)!.changed > 0)
    t.is((await lab.exec(host, 'desktop-file-validate /usr/share/xsessions/windows.desktop')).code, 0)
    const exec = (await lab.must(host, "sed -n 's/^Exec=//p' /usr/share/xsessions/windows.desktop")).trim()
    t.is(exec, '/usr/local/bin/labvm-session')
    t.is(await lab.must(host, `test -f ${exec} && test -x ${exec} && stat -c %a ${exec}`), '755\n')
    t.is(await lab.must(host, `stat -c %a ${HOOK}`), '755\n')
    const hook = await lab.must(host, `cat ${HOOK}`)
    t.is(hook.match(/^# BEGIN labplay gdm-session/gm)?.length, 1, hook)
    t.regex(hook, /\nexit 0\n$/)
  }
  t.regex(await lab.must(b, `cat ${HOOK}`), /^#!\/bin\/sh\n# site hook\ntouch \/tmp\/admin-hook-ran\n# BEGIN labplay/, "the admin's lines stay")

  const second = await labplay(lab, [join(dir, 'site.yml')], { cwd: dir })
  t.is(second.code, 0, second.stdout + second.stderr)
  for (const host of [a, b]) t.is(second.recap.get(host)!.changed, 0, `${host}: ${JSON.stringify(second.recap.get(host))}`)
})

test.serial("the PostSession hook ends the user's leftover VM and deletes the user's stale overlays only", async (t) => {
  // A stand-in QEMU: its comm is the script's name, its command line names the user's overlay.
  const fake = '/usr/local/lib/fake/qemu-system-x86_64'
  await lab.must(a, `mkdir -p /var/tmp/labvm ${fake.replace(/\/[^/]+$/, '')} && printf '#!/bin/sh\\nwhile :; do sleep 1; done\\n' > ${fake} && chmod 755 ${fake}`)
  const start = (user: string, overlay: string) =>
    lab.must(a, `touch ${overlay} && chown ${user} ${overlay} && setsid -f setpriv --reuid=${user} --regid=${user} --clear-groups ${fake} -snapshot -drive file=${overlay},if=virtio >/dev/null 2>&1 </dev/null`)
  await start('student', '/var/tmp/labvm/student-4000001.qcow2')
  await start('other', '/var/tmp/labvm/other-4000002.qcow2')
  await lab.must(a, 'touch /var/tmp/labvm/student-4000003.qcow2 /var/tmp/labvm/other-4000004.qcow2 /var/tmp/labvm/student-x-4000005.qcow2')
  const qemus = () => lab.must(a, "for d in /proc/[0-9]*; do [ \"$(cat $d/comm 2>/dev/null)\" = qemu-system-x86 ] && stat -c %U $d; done | sort; true")
  t.is(await qemus(), 'other\nstudent\n')

  const ran = await lab.exec(a, `USER=student ${HOOK}`)
  t.is(ran.code, 0, ran.stderr)
  t.is(await qemus(), 'other\n', "student's VM ended, other's runs on")
  t.is(await lab.must(a, 'ls /var/tmp/labvm'), 'other-4000002.qcow2\nother-4000004.qcow2\nstudent-x-4000005.qcow2\n')
})

test.serial('the session runs the launcher in the foreground, and explains a missing one', async (t) => {
  const missing = await lab.exec(a, 'env -u DISPLAY /usr/local/bin/labvm-session')
  t.is(missing.code, 1)
  t.regex(missing.stderr, /labvm-session: Windows is not installed on this workstation \(\/usr\/local\/bin\/labvm is missing\)/)
  await lab.must(a, `printf '#!/bin/sh\\necho "launcher $$ $*" > /tmp/launched\\nexit 3\\n' > /usr/local/bin/labvm && chmod 755 /usr/local/bin/labvm`)
  const ran = await lab.exec(a, 'echo "session $$"; exec /usr/local/bin/labvm-session')
  t.is(ran.code, 3, 'the session ends with the launcher')
  const pid = /^session (\d+)$/m.exec(ran.stdout)?.[1]
  t.is(await lab.must(a, 'cat /tmp/launched'), `launcher ${pid} \n`, 'same process: exec, in the foreground')
})
