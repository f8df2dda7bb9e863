import test from 'ava'
import { service, type ServiceOptions } from '../../src/sdk/primitives/service.ts'
import { bash, fakeIO } from './primitive-harness.ts'

// Data only: starting services for real would change this machine.

const unit = (active: string, enabled: string, load = 'loaded'): string => `load=${load}\nactive=${active}\nenabled=${enabled}\n`
const sysv = (running: number, enabled: 0 | 1, links: 0 | 1 = 1): string => `exists=1\nrunning=${running}\nenabled=${enabled}\nlinks=${links}\n`

interface Case {
  title: string
  init: 'systemd' | 'sysv'
  opts: ServiceOptions
  probe: string
  message?: string
  runs: string[]
}

const cases: Case[] = [
  { title: 'running as asked', init: 'systemd', opts: { state: 'started', enabled: true }, probe: unit('active', 'enabled'), runs: [] },
  { title: 'stopped → start', init: 'systemd', opts: { state: 'started' }, probe: unit('inactive', 'enabled'), message: 'started smbd', runs: ['systemctl start -- smbd'] },
  { title: 'failed counts as not running', init: 'systemd', opts: { state: 'started' }, probe: unit('failed', 'enabled'), runs: ['systemctl start -- smbd'] },
  { title: 'running → stop', init: 'systemd', opts: { state: 'stopped' }, probe: unit('active', 'enabled'), runs: ['systemctl stop -- smbd'] },
  { title: 'already stopped', init: 'systemd', opts: { state: 'stopped' }, probe: unit('inactive', 'enabled'), runs: [] },
  { title: 'restarted always runs', init: 'systemd', opts: { state: 'restarted' }, probe: unit('active', 'enabled'), message: 'restarted smbd', runs: ['systemctl restart -- smbd'] },
  { title: 'reloaded while running → reload', init: 'systemd', opts: { state: 'reloaded' }, probe: unit('active', 'enabled'), runs: ['systemctl reload -- smbd'] },
  { title: 'reloaded while stopped → start', init: 'systemd', opts: { state: 'reloaded' }, probe: unit('inactive', 'enabled'), runs: ['systemctl start -- smbd'] },
  { title: 'enable before start', init: 'systemd', opts: { state: 'started', enabled: true }, probe: unit('inactive', 'disabled'), message: 'enabled, started smbd', runs: ['systemctl enable -- smbd && systemctl start -- smbd'] },
  { title: 'disable', init: 'systemd', opts: { enabled: false }, probe: unit('active', 'enabled'), message: 'disabled smbd', runs: ['systemctl disable -- smbd'] },
  { title: 'a static unit is neither enabled nor disabled again', init: 'systemd', opts: { enabled: true }, probe: unit('active', 'static'), runs: [] },
  { title: 'a static unit cannot be disabled: nothing to do', init: 'systemd', opts: { enabled: false }, probe: unit('active', 'static'), runs: [] },
  { title: 'indirect (enabled through Also=) counts as enabled', init: 'systemd', opts: { enabled: true }, probe: unit('active', 'indirect'), runs: [] },
  { title: 'mask: disable first, then mask, then stop', init: 'systemd', opts: { state: 'stopped', enabled: false, masked: true }, probe: unit('active', 'enabled'), message: 'disabled, masked, stopped nmbd', runs: ['systemctl disable -- nmbd && systemctl mask -- nmbd && systemctl stop -- nmbd'] },
  { title: 'masked and stopped as asked', init: 'systemd', opts: { state: 'stopped', enabled: false, masked: true }, probe: unit('inactive', 'masked', 'masked'), runs: [] },
  { title: 'masked at runtime counts as masked', init: 'systemd', opts: { masked: true }, probe: unit('inactive', 'masked-runtime', 'masked'), runs: [] },
  { title: 'unmask before enable and start', init: 'systemd', opts: { state: 'started', enabled: true, masked: false }, probe: unit('inactive', 'masked', 'masked'), message: 'unmasked, enabled, started nmbd', runs: ['systemctl unmask -- nmbd && systemctl enable -- nmbd && systemctl start -- nmbd'] },
  { title: 'masked: false on a unit that is not masked does nothing', init: 'systemd', opts: { masked: false }, probe: unit('active', 'enabled'), runs: [] },
  { title: 'sysv: masked: false is what sysv always is', init: 'sysv', opts: { masked: false }, probe: sysv(0, 1), runs: [] },
  { title: 'sysv: running as asked', init: 'sysv', opts: { state: 'started', enabled: true }, probe: sysv(0, 1), runs: [] },
  { title: 'sysv: status 3 → start', init: 'sysv', opts: { state: 'started' }, probe: sysv(3, 1), message: 'started smbd', runs: ['service smbd start'] },
  { title: 'sysv: stop', init: 'sysv', opts: { state: 'stopped' }, probe: sysv(0, 1), runs: ['service smbd stop'] },
  { title: 'sysv: restart', init: 'sysv', opts: { state: 'restarted' }, probe: sysv(0, 1), runs: ['service smbd restart'] },
  { title: 'sysv: reload', init: 'sysv', opts: { state: 'reloaded' }, probe: sysv(0, 1), runs: ['service smbd reload'] },
  { title: 'sysv: enable over K links', init: 'sysv', opts: { enabled: true }, probe: sysv(0, 0), runs: ['update-rc.d smbd enable'] },
  { title: 'sysv: enable a script never registered', init: 'sysv', opts: { enabled: true, state: 'started' }, probe: sysv(3, 0, 0), runs: ['update-rc.d smbd defaults && service smbd start'] },
  { title: 'sysv: disable', init: 'sysv', opts: { enabled: false }, probe: sysv(0, 1), message: 'disabled smbd', runs: ['update-rc.d smbd disable'] },
]

for (const c of cases) {
  test(`service (${c.init}): ${c.title}`, async (t) => {
    const io = fakeIO([c.probe], { facts: { init: c.init } })
    const name = c.opts.masked === undefined ? 'smbd' : 'nmbd'
    const outcome = await service(io, name, c.opts)
    t.is(outcome.changed, c.runs.length > 0)
    if (c.message) t.is(outcome.message, c.message)
    t.deepEqual(io.runs(), c.runs)
    t.regex(io.calls[0].command, c.init === 'systemd' ? /systemctl is-active/ : /service "\$n" status/)

    const check = fakeIO([c.probe], { check: true, facts: { init: c.init } })
    const checked = await service(check, name, c.opts)
    t.is(checked.changed, c.runs.length > 0)
    if (checked.changed) t.regex(checked.message ?? '', /^would /)
    t.deepEqual(check.runs(), [])
  })
}

test('service: a unit that does not exist fails; in check mode it may arrive with a package', async (t) => {
  const missing = unit('inactive', '', 'not-found')
  await t.throwsAsync(service(fakeIO([missing]), 'smbd', { state: 'started' }), { name: 'StepError', message: 'service smbd not found' })
  await t.throwsAsync(service(fakeIO(['exists=0\n'], { facts: { init: 'sysv' } }), 'smbd', { state: 'started' }), { message: 'service smbd not found' })
  const check = fakeIO([missing], { check: true })
  t.deepEqual(await service(check, 'smbd', { state: 'started', enabled: true }), { changed: true, message: 'would enable, start smbd (not installed yet)' })
})

test('service: masking is refused without systemd, and with enabled or a running state, before any command', async (t) => {
  const sysvIO = fakeIO([], { facts: { init: 'sysv' } })
  await t.throwsAsync(service(sysvIO, 'nmbd', { masked: true }), { name: 'StepError', message: "cannot mask nmbd: masking is systemd's, this host runs sysv init" })
  for (const [opts, word] of [[{ masked: true, enabled: true }, 'enabled'], [{ masked: true, state: 'started' }, 'started'], [{ masked: true, state: 'restarted' }, 'restarted']] as const) {
    const io = fakeIO([])
    await t.throwsAsync(service(io, 'nmbd', opts), { name: 'StepError', message: `service nmbd: a masked unit cannot be ${word}` })
    t.deepEqual(io.calls, [])
  }
})

test('service: a failed start carries the init system’s words', async (t) => {
  const io = fakeIO([unit('inactive', 'enabled')], { run: { code: 1, stderr: 'Job for smbd.service failed because the control process exited with error code.\n' } })
  await t.throwsAsync(service(io, 'smbd', { state: 'started' }), { message: /^cannot start smbd \(exit 1\): Job for smbd.service failed/ })
})

for (const name of ['-h', '--now', 'a b', '../../tmp/x', 'x/y', 'x;touch pwned', '$(touch pwned)', '`touch pwned`', 'a\nb', "it's", '']) {
  test(`service: ${JSON.stringify(name)} is refused before any command`, async (t) => {
    const io = fakeIO([])
    await t.throwsAsync(service(io, name, { state: 'started' }), { name: 'StepError', message: /invalid service name/ })
    t.deepEqual(io.calls, [])
  })
}

test('service: bash hands unit names with @ and \\ escapes to systemctl literally', async (t) => {
  const name = 'systemd-fsck@dev-disk-by\\x2dlabel-home.service'
  const io = fakeIO([unit('inactive', 'disabled')])
  await service(io, name, { state: 'started', enabled: true })
  const stub = 'systemctl() { printf "<%s>" "$@"; echo; }\n'
  t.is(bash(stub + io.runs()[0]).stdout, `<enable><--><${name}>\n<start><--><${name}>\n`)
  const probe = bash(stub + io.calls[0].command).stdout
  t.is(probe, `load=<show><-p><LoadState><--value><--><${name}>\nactive=<is-active><--><${name}>\nenabled=<is-enabled><--><${name}>\n`)
})

test('service: the sysv probe, run for real, reads a missing init script as missing (read-only)', async (t) => {
  const io = fakeIO([], { facts: { init: 'sysv' } })
  await t.throwsAsync(service({ ...io, probe: async (command) => bash(command) }, 'labplay-no-such\\x2dservice', { state: 'started' }), {
    message: 'service labplay-no-such\\x2dservice not found',
  })
})
