import test from 'ava'
import { mkdirSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { createLab, type SeatLab } from './lab/lab.ts'
import { cleanUp, labplay, project, ROOT, type Ran } from './helpers/labplay.ts'

// Every systemd branch of h.service, through labplay over SSH on a seat booted with systemd, on a unit
// of the test's own; the boot state is checked by rebooting the seat.
const UNIT = 'labplay-probe'
const UNIT_FILE = `[Unit]
Description=labplay service primitive test unit
[Service]
ExecStart=/bin/sleep infinity
ExecReload=/bin/sh -c 'echo reloaded >> /run/labplay-probe.reloads'
[Install]
WantedBy=multi-user.target
`

let lab: SeatLab
let dir: string
let seat: string

test.before(async () => {
  lab = await createLab({ hosts: 1, kind: 'seat' })
  seat = lab.hosts[0]!.name
  dir = project({ 'site.yml': '- hosts: lab\n  roles: [unit-state]\n' })
  mkdirSync(join(dir, 'roles'))
  symlinkSync(join(ROOT, 'test/fixtures/seat/roles/unit-state'), join(dir, 'roles', 'unit-state'))
  const r = await lab.exec(seat, `mkdir -p /usr/local/lib/systemd/system && cat > /usr/local/lib/systemd/system/${UNIT}.service && systemctl daemon-reload`, { input: UNIT_FILE })
  if (r.code !== 0) throw new Error(r.stderr)
})

test.after.always(() => cleanUp(lab, dir))

interface Asked { state?: string; enabled?: boolean; masked?: boolean; unit?: string }

async function service(asked: Asked, ...args: string[]): Promise<Ran> {
  const vars = Object.entries(asked).flatMap(([k, v]) => ['-e', `${k}=${String(v)}`])
  return labplay(lab, [join(dir, 'site.yml'), ...vars, ...args], { cwd: dir })
}

// Boot state, run state and main pid, as systemctl says them.
async function unit(): Promise<{ enabled: string; active: string; pid: number }> {
  const r = await lab.exec(seat, `for q in is-enabled is-active; do systemctl $q ${UNIT} 2>/dev/null || true; done; systemctl show -p MainPID --value ${UNIT}`)
  const [enabled, active, pid] = r.stdout.trim().split('\n')
  return { enabled: enabled!, active: active!, pid: Number(pid) }
}

const reloads = async () => Number((await lab.exec(seat, 'cat /run/labplay-probe.reloads 2>/dev/null | wc -l')).stdout.trim())

// Reports a change in check mode, changes nothing, then changes it for real, then finds nothing to do.
async function converges(t: import('ava').ExecutionContext, asked: Asked, message: RegExp) {
  const before = await unit()
  const check = await service(asked, '-C')
  t.is(check.code, 0, check.stdout + check.stderr)
  t.like(check.recap.get(seat), { changed: 1 })
  t.regex(check.stdout, new RegExp(`would ${message.source}`))
  t.deepEqual(await unit(), before, 'check mode changed nothing')
  const ran = await service(asked)
  t.is(ran.code, 0, ran.stdout + ran.stderr)
  t.like(ran.recap.get(seat), { changed: 1 })
  t.regex(ran.stdout, message)
  const again = await service(asked)
  t.like(again.recap.get(seat), { changed: 0, failed: 0 }, again.stdout)
}

test.serial('started: a stopped unit starts, once', async (t) => {
  t.like(await unit(), { enabled: 'disabled', active: 'inactive' })
  await converges(t, { state: 'started' }, /start(ed)? labplay-probe/)
  t.like(await unit(), { active: 'active' })
})

test.serial('restarted: a new main process every time, also in a row', async (t) => {
  const first = (await unit()).pid
  for (const _ of [1, 2]) {
    const ran = await service({ state: 'restarted' })
    t.like(ran.recap.get(seat), { changed: 1 })
  }
  const now = await unit()
  t.is(now.active, 'active')
  t.not(now.pid, first)
  t.true(now.pid > 0)
})

test.serial('reloaded: a running unit runs ExecReload and keeps its process; a stopped one is started', async (t) => {
  const before = await unit()
  const ran = await service({ state: 'reloaded' })
  t.regex(ran.stdout, /reloaded labplay-probe/)
  t.is(await reloads(), 1)
  t.is((await unit()).pid, before.pid)
  t.is((await lab.exec(seat, `systemctl stop ${UNIT}`)).code, 0)
  const started = await service({ state: 'reloaded' })
  t.regex(started.stdout, /started labplay-probe/)
  t.like(await unit(), { active: 'active' })
  t.is(await reloads(), 1)
})

test.serial('stopped: a running unit stops, once', async (t) => {
  await converges(t, { state: 'stopped' }, /stop(ped)? labplay-probe/)
  t.like(await unit(), { active: 'inactive' })
})

test.serial('enabled: the unit is wanted at boot and runs after a reboot', async (t) => {
  await converges(t, { enabled: true }, /enabled? labplay-probe/)
  t.like(await unit(), { enabled: 'enabled', active: 'inactive' })
  await lab.restart(seat)
  t.like(await unit(), { enabled: 'enabled', active: 'active' })
})

test.serial('disabled: after a reboot the unit stays down', async (t) => {
  await converges(t, { enabled: false }, /disabled? labplay-probe/)
  await lab.restart(seat)
  t.like(await unit(), { enabled: 'disabled', active: 'inactive' })
})

test.serial('masked: stopped and masked, nothing starts it (systemctl start, a reboot); unmasked, enabled and started it runs again', async (t) => {
  t.is((await lab.exec(seat, `systemctl enable --now ${UNIT}`)).code, 0)
  await converges(t, { state: 'stopped', enabled: false, masked: true }, /disabled?, mask(ed)?, stop(ped)? labplay-probe/)
  t.like(await unit(), { enabled: 'masked', active: 'inactive' })
  const start = await lab.exec(seat, `systemctl start ${UNIT}`)
  t.not(start.code, 0)
  t.regex(start.stderr, /masked/)
  await lab.restart(seat)
  t.like(await unit(), { enabled: 'masked', active: 'inactive' })
  await converges(t, { state: 'started', enabled: true, masked: false }, /unmask(ed)?, enabled?, start(ed)? labplay-probe/)
  t.like(await unit(), { enabled: 'enabled', active: 'active' })
})

test.serial('a unit that does not exist fails the host; check mode says it is not installed yet', async (t) => {
  const check = await service({ unit: 'labplay-absent', state: 'started' }, '-C')
  t.is(check.code, 0, check.stdout + check.stderr)
  t.regex(check.stdout, /would start labplay-absent \(not installed yet\)/)
  const ran = await service({ unit: 'labplay-absent', state: 'started' })
  t.is(ran.code, 2)
  t.regex(ran.stdout, /service labplay-absent not found/)
})
