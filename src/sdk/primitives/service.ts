import { quote } from '../quote.ts'
import { commandFailed } from './failure.ts'
import { StepError } from '../outcome.ts'
import { type Outcome, type PrimitiveIO } from './types.ts'

// All optional: a role may manage only the run state, only the boot state, or both.
export interface ServiceOptions {
  // restarted and reloaded are actions: they always run (as handlers, only when notified).
  state?: 'started' | 'stopped' | 'restarted' | 'reloaded'
  enabled?: boolean
  // systemd only: a masked unit cannot be started by anything (another unit, a package's script, an admin).
  masked?: boolean
}

type Action = 'start' | 'stop' | 'restart' | 'reload' | 'enable' | 'disable' | 'mask' | 'unmask'

// What the probe saw, whatever the init system.
interface ServiceState {
  exists: boolean
  running: boolean
  enabled: boolean
  // enabled=false only undoes what was enabled (a static unit cannot be disabled).
  disableable: boolean
  // sysv: some /etc/rc?.d link exists, so update-rc.d can enable instead of installing defaults.
  hasLinks: boolean
  masked: boolean
}

// Unit or init script names: letters, digits and systemd's escapes; no '/' (init.d paths), no leading '-'.
const NAME = /^[A-Za-z0-9_\\][A-Za-z0-9_.@:+\\-]*$/

// is-enabled answers that exit 0: the unit starts at boot (or cannot be enabled at all).
const SYSTEMD_ENABLED = new Set(['enabled', 'enabled-runtime', 'alias', 'static', 'indirect', 'generated', 'transient'])
const SYSTEMD_RUNNING = new Set(['active', 'activating', 'reloading'])
const PAST: Record<Action, string> = {
  start: 'started',
  stop: 'stopped',
  restart: 'restarted',
  reload: 'reloaded',
  enable: 'enabled',
  disable: 'disabled',
  mask: 'masked',
  unmask: 'unmasked',
}

// A service running (or not) and enabled at boot (or not), through systemctl under systemd, else sysv `service`.
export async function service(io: PrimitiveIO, name: string, opts: ServiceOptions = {}): Promise<Outcome> {
  if (!NAME.test(name)) throw new StepError(`invalid service name ${JSON.stringify(name)}`)
  const systemd = io.facts.init === 'systemd'
  if (opts.masked === true) {
    if (!systemd) throw new StepError(`cannot mask ${name}: masking is systemd's, this host runs sysv init`)
    if (opts.enabled === true || (opts.state !== undefined && opts.state !== 'stopped')) {
      throw new StepError(`service ${name}: a masked unit cannot be ${opts.enabled === true ? 'enabled' : opts.state}`)
    }
  }
  const probe = await io.probe(systemd ? systemdProbe(name) : sysvProbe(name))
  if (probe.code !== 0) throw commandFailed(`cannot inspect service ${name}`, probe)
  const state = systemd ? parseSystemd(probe.stdout) : parseSysv(probe.stdout)
  if (!state.exists && !io.check) throw new StepError(`service ${name} not found`)

  const actions = plan(state, opts)
  if (actions.length === 0) return { changed: false }
  const missing = state.exists ? '' : ' (not installed yet)'
  if (io.check) return { changed: true, message: `would ${actions.join(', ')} ${name}${missing}` }
  const commands = actions.map((action) => (systemd ? `systemctl ${action} -- ${quote(name)}` : sysvCommand(action, name, state)))
  const result = await io.run(commands.join(' && '))
  if (result.code !== 0) throw commandFailed(`cannot ${actions.join(', ')} ${name}`, result)
  return { changed: true, message: `${actions.map((a) => PAST[a]).join(', ')} ${name}` }
}

// Boot state first, then run state: unmask before enable, enable before start, disable before mask.
function plan(state: ServiceState, opts: ServiceOptions): Action[] {
  const actions: Action[] = []
  if (opts.masked === false && state.masked) actions.push('unmask')
  if (opts.enabled === true && !state.enabled) actions.push('enable')
  if (opts.enabled === false && state.disableable) actions.push('disable')
  if (opts.masked === true && !state.masked) actions.push('mask')
  if (opts.state === 'started' && !state.running) actions.push('start')
  if (opts.state === 'stopped' && state.running) actions.push('stop')
  if (opts.state === 'restarted') actions.push('restart')
  if (opts.state === 'reloaded') actions.push(state.running ? 'reload' : 'start')
  return actions
}

function systemdProbe(name: string): string {
  return [
    `n=${quote(name)}`,
    `printf 'load=%s\\n' "$(systemctl show -p LoadState --value -- "$n" 2>/dev/null)"`,
    `printf 'active=%s\\n' "$(systemctl is-active -- "$n" 2>/dev/null)"`,
    `printf 'enabled=%s\\n' "$(systemctl is-enabled -- "$n" 2>/dev/null)"`,
  ].join('\n')
}

function parseSystemd(stdout: string): ServiceState {
  const value = keyValues(stdout)
  const enabled = value.get('enabled') ?? ''
  return {
    exists: value.get('load') !== 'not-found',
    running: SYSTEMD_RUNNING.has(value.get('active') ?? ''),
    enabled: SYSTEMD_ENABLED.has(enabled),
    disableable: enabled === 'enabled' || enabled === 'enabled-runtime',
    hasLinks: true,
    masked: enabled === 'masked' || enabled === 'masked-runtime',
  }
}

// `service NAME status` exits 0 when running; enabled means a start link in runlevel 2.
function sysvProbe(name: string): string {
  return [
    `n=${quote(name)}`,
    `if [ -x /etc/init.d/"$n" ]; then echo exists=1; else echo exists=0; exit 0; fi`,
    `service "$n" status >/dev/null 2>&1; echo "running=$?"`,
    `set -- /etc/rc2.d/S??"$n"; if [ -e "$1" ]; then echo enabled=1; else echo enabled=0; fi`,
    `set -- /etc/rc?.d/[SK]??"$n"; if [ -e "$1" ]; then echo links=1; else echo links=0; fi`,
  ].join('\n')
}

function parseSysv(stdout: string): ServiceState {
  const value = keyValues(stdout)
  const enabled = value.get('enabled') === '1'
  return {
    exists: value.get('exists') === '1',
    running: value.get('running') === '0',
    enabled,
    disableable: enabled,
    hasLinks: value.get('links') === '1',
    masked: false,
  }
}

// update-rc.d enable only flips existing links; a script never registered needs `defaults` (which enables it).
function sysvCommand(action: Action, name: string, state: ServiceState): string {
  const n = quote(name)
  if (action === 'enable') return state.hasLinks ? `update-rc.d ${n} enable` : `update-rc.d ${n} defaults`
  if (action === 'disable') return `update-rc.d ${n} disable`
  return `service ${n} ${action}`
}

function keyValues(stdout: string): Map<string, string> {
  const map = new Map<string, string>()
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=')
    if (eq > 0) map.set(line.slice(0, eq), line.slice(eq + 1).trim())
  }
  return map
}
