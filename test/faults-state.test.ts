import test from 'ava'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { createLab, type Lab } from './lab/lab.ts'
import { cleanUp } from './helpers/labplay.ts'
import { BIG_FILES, bigContent } from './fixtures/faults/roles/bigfiles/index.ts'
import { faultProject, labplayRun, playbook, retryHosts, shown, startLabplay, waitFor } from './fixtures/faults/run.ts'

// Faults that test what is left on the hosts: a hung command, a full disk, an interrupt in the middle
// of file writes. Old or new content, never half; no temporary file left; the remote process gone.
let lab: Lab
const dirs: string[] = []

test.before(async () => {
  lab = await createLab({ hosts: 5 })
})

test.after.always(async () => {
  if (lab) await Promise.all(lab.hosts.map((h) => lab.exec(h.name, 'umount /etc/labplay 2>/dev/null; true')))
  await cleanUp(lab, ...dirs)
})

function newProject(site: string, files: Record<string, string> = {}): string {
  const dir = faultProject({ 'site.yml': site, ...files })
  dirs.push(dir)
  return dir
}

const names = () => lab.hosts.map((h) => h.name)
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex')

// Temporary files the atomic writes may have left in `folder` (they are named .labplay.XXXXXX).
async function leftovers(host: string, folder: string): Promise<string> {
  return (await lab.exec(host, `find ${folder} -name '.labplay.*' 2>/dev/null`)).stdout
}

test.serial('a command that hangs: killed on the host after --task-timeout, that host failed, the others finish', async (t) => {
  const victim = lab.hosts[0]!.name
  const dir = newProject(playbook('slow', { stamp: 'hang', sleep_on: victim, seconds: 1000 }))
  const ran = await labplayRun(lab, [join(dir, 'site.yml'), '--task-timeout', '3', '-T', '5'], { cwd: dir })
  t.is(ran.code, 2, shown(ran))
  t.like(ran.recap.get(victim), { failed: 1, unreachable: 0 })
  t.regex(ran.stdout, new RegExp(`failed: \\[${victim}\\] slow : slow step has run => sleep 1000: timed out.*timed out after 3s; the command was killed`))
  t.true(ran.ms < 30_000, `bounded by the task timeout: ${Math.round(ran.ms)} ms`)
  const left = await lab.exec(victim, 'pgrep -fa "^sleep 1000$"')
  t.is(left.code, 1, `no sleep left on the host: ${left.stdout}`)
  for (const h of names().filter((n) => n !== victim)) {
    t.like(ran.recap.get(h), { failed: 0, unreachable: 0 })
    t.is((await lab.exec(h, 'cat /srv/faults/after')).stdout, `${h} hang\n`)
  }
  t.is((await lab.exec(victim, 'cat /srv/faults/after 2>/dev/null')).stdout, '', 'the failed host stopped at the hung step')
  t.deepEqual(retryHosts(dir), [victim])
  const rerun = await labplayRun(lab, [join(dir, 'site.yml'), '-e', 'seconds=1', '-l', `@${join(dir, 'site.retry')}`], { cwd: dir })
  t.is(rerun.code, 0, shown(rerun))
  t.deepEqual([...rerun.recap.keys()], [victim])
  t.is((await lab.exec(victim, 'cat /srv/faults/after')).stdout, `${victim} hang\n`)
  t.deepEqual(retryHosts(dir), [])
})

test.serial('a full disk at the destination: the file keeps its old content, no temporary file, the task fails with the reason', async (t) => {
  const victim = lab.hosts[1]!.name
  const site = `- name: notice\n  hosts: lab\n  roles:\n    - lab-notice\n`
  // 200 kB of message: the notice no longer fits in a 64 kB tmpfs.
  const dir = newProject(site, { 'big.json': JSON.stringify({ message: 'x'.repeat(200_000) }) })
  const first = await labplayRun(lab, [join(dir, 'site.yml')], { cwd: dir })
  t.is(first.code, 0, shown(first))
  const old = (await lab.exec(victim, 'sha256sum /etc/labplay/notice')).stdout
  t.regex(old, /^[0-9a-f]{64} /)
  const mount = await lab.exec(victim, 'cp -a /etc/labplay /root/labplay-saved && mount -t tmpfs -o size=64k tmpfs /etc/labplay && cp -a /root/labplay-saved/. /etc/labplay/')
  t.is(mount.code, 0, mount.stderr)
  try {
    t.is((await lab.exec(victim, 'sha256sum /etc/labplay/notice')).stdout, old, 'the tmpfs holds the first run\'s notice')
    const ran = await labplayRun(lab, [join(dir, 'site.yml'), '-e', '@big.json'], { cwd: dir })
    t.is(ran.code, 2, shown(ran))
    t.like(ran.recap.get(victim), { failed: 1, unreachable: 0 })
    t.regex(ran.stdout, new RegExp(`failed: \\[${victim}\\] lab-notice : notice names the room and the host => .*No space left on device`))
    t.is((await lab.exec(victim, 'sha256sum /etc/labplay/notice')).stdout, old, 'the old content is intact')
    t.is(await leftovers(victim, '/etc/labplay'), '', 'no temporary file left')
    for (const h of names().filter((n) => n !== victim)) {
      t.like(ran.recap.get(h), { failed: 0, unreachable: 0 })
      t.is((await lab.exec(h, 'stat -c %s /etc/labplay/notice')).stdout, `${200_000 + `\nroom: unknown\nhost: ${h}\n`.length}\n`)
    }
    t.deepEqual(retryHosts(dir), [victim])
  } finally {
    await lab.exec(victim, 'umount /etc/labplay')
  }
  const rerun = await labplayRun(lab, [join(dir, 'site.yml'), '-e', '@big.json', '-l', `@${join(dir, 'site.retry')}`], { cwd: dir })
  t.is(rerun.code, 0, shown(rerun))
  t.deepEqual([...rerun.recap.keys()], [victim])
  t.deepEqual(retryHosts(dir), [])
  const again = await labplayRun(lab, [join(dir, 'site.yml'), '-e', '@big.json'], { cwd: dir })
  t.is(again.code, 0, shown(again))
  for (const h of names()) t.is(again.recap.get(h)?.changed, 0, `${h}: nothing left to change`)
})

test.serial('Ctrl-C in the middle of multi-MB file writes on every host: old or new content only, exit 99, the retry file lists the unfinished hosts', async (t) => {
  const dir = newProject(playbook('bigfiles', { version: '{{ version }}' }))
  const sums = (version: string) => Array.from({ length: BIG_FILES }, (_, i) => sha256(bigContent(version, i + 1, 2)))
  const [old, fresh] = [sums('old'), sums('new')]
  const contents = async (host: string) => {
    const out = await lab.exec(host, `cd /srv/faults-big && for i in $(seq ${BIG_FILES}); do sha256sum < big-$i | cut -c1-64; done`)
    return out.stdout.trim().split('\n')
  }
  const first = await labplayRun(lab, [join(dir, 'site.yml'), '-e', 'version=old'], { cwd: dir })
  t.is(first.code, 0, shown(first))
  for (const h of names()) t.deepEqual(await contents(h), old)

  // One host's next `cat` filling a temporary file stops itself: the interrupt then lands, for
  // sure, in the middle of a write; it is thawed once the interrupt had its effect.
  const frozen = lab.hosts[2]!.name
  const shim = [
    '#!/bin/sh',
    'case "$(readlink /proc/$$/fd/1)" in */.labplay.*) [ -e /tmp/freeze-cat ] && rm -f /tmp/freeze-cat && kill -STOP $$ ;; esac',
    'exec /bin/cat "$@"',
    '',
  ].join('\n')
  t.is((await lab.exec(frozen, 'cat > /usr/local/bin/cat && chmod 755 /usr/local/bin/cat && touch /tmp/freeze-cat', { input: shim })).code, 0)
  const running = startLabplay(lab, [join(dir, 'site.yml'), '-e', 'version=new'], { cwd: dir })
  const stoppedCat = async () => (await lab.exec(frozen, "ps -eo stat=,comm= | grep -q '^T.* cat$'")).code === 0
  try {
    await waitFor(`a write on ${frozen} is frozen mid-way`, stoppedCat, 60_000)
    t.not(await leftovers(frozen, '/srv/faults-big'), '', 'its temporary file exists')
    running.interrupt()
    await waitFor('labplay killed the frozen write, or let it be', async () => !(await stoppedCat()), 3_000).catch(() => undefined)
  } finally {
    await lab.exec(frozen, 'rm -f /usr/local/bin/cat /tmp/freeze-cat; pkill -CONT -x cat; true')
  }
  const ran = await running.done
  t.log(`write frozen on ${frozen}; interrupted run took ${(ran.ms / 1000).toFixed(1)} s`)
  t.is(ran.code, 99, shown(ran))
  t.regex(ran.stdout, /PLAY RECAP/)
  t.is(ran.recap.size, 5)
  const unfinished: string[] = []
  for (const h of names()) {
    const seen = await contents(h)
    seen.forEach((sum, i) => t.true(sum === old[i] || sum === fresh[i], `${h} big-${i + 1} is old or new, never half: ${sum}`))
    if (seen.some((sum, i) => sum !== fresh[i])) unfinished.push(h)
    t.is(await leftovers(h, '/srv/faults-big'), '', `${h}: no temporary file left`)
  }
  t.true(unfinished.length > 0, 'the interrupt came before the end')
  const retry = retryHosts(dir)
  for (const h of unfinished) t.true(retry.includes(h), `${h} did not finish: in the retry file ${JSON.stringify(retry)}`)

  const rerun = await labplayRun(lab, [join(dir, 'site.yml'), '-e', 'version=new', '-l', `@${join(dir, 'site.retry')}`], { cwd: dir })
  t.is(rerun.code, 0, shown(rerun))
  t.deepEqual([...rerun.recap.keys()].sort(), [...retry].sort())
  t.deepEqual(retryHosts(dir), [])
  for (const h of names()) t.deepEqual(await contents(h), fresh, `${h} has every new file`)
  const again = await labplayRun(lab, [join(dir, 'site.yml'), '-e', 'version=new'], { cwd: dir })
  t.is(again.code, 0, shown(again))
  for (const h of names()) t.is(again.recap.get(h)?.changed, 0, `${h}: nothing left to change`)
})
