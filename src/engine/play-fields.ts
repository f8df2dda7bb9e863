import { InputError, type Place } from '../errors.ts'
import { Later, type LazyVars, type Play as PlaySpec } from '../playbook/index.ts'
import { batchSize } from '../playbook/validate-play.ts'
import { PlayScopes, type ScopeInputs } from './scope.ts'

// Renders the play fields Ansible templates once per play, before it runs (Play.post_validate): hosts,
// name, serial and gather_facts, from extra vars, play vars and the magic ones (no host: no inventory
// vars, no facts). `hosts: "{{ target }}"` with `-e target=m5` selects m5. Errors are InputErrors (exit 5).
export function templatePlay(spec: PlaySpec, inputs: ScopeInputs): PlaySpec {
  const { hosts, name, serial, gather_facts: gatherFacts, ...perHost } = spec.templates
  if (!hosts && !name && !serial && !gatherFacts) return spec
  const scope = new PlayScopes(spec, inputs, () => undefined).play()
  const out: PlaySpec = { ...spec, templates: perHost }
  if (hosts) out.hosts = text(field(scope, hosts.source, hosts.place, 'hosts'), hosts.place, 'hosts', "a host pattern such as 'all' or 'm5'")
  // Without a `name`, a play is named by its (rendered) hosts, as in Ansible.
  out.name = name ? text(field(scope, name.source, name.place, 'name'), name.place, 'name', 'a play name (a string)') : spec.name === spec.hosts ? out.hosts : spec.name
  if (serial) {
    const value = field(scope, serial.source, serial.place, 'serial')
    out.serial = (Array.isArray(value) ? value : [value]).map((v) => batchSize(v, serial.place))
  }
  if (gatherFacts) out.gatherFacts = bool(field(scope, gatherFacts.source, gatherFacts.place, 'gather_facts'), gatherFacts.place, 'gather_facts')
  return out
}

// Ansible's boolean conversion of a rendered field (yes/no, true/false, on/off, 1/0).
export function bool(value: unknown, place: Place, what: string): boolean {
  if (typeof value === 'boolean') return value
  const word = String(value).trim().toLowerCase()
  if (['yes', 'true', 'on', '1', 'y'].includes(word)) return true
  if (['no', 'false', 'off', '0', 'n', ''].includes(word)) return false
  throw new InputError(`${what} is ${JSON.stringify(value)} once rendered, expected true or false`, place)
}

function field(scope: LazyVars, source: string, place: Place, what: string): unknown {
  try {
    return scope.render(source, place, what)
  } catch (err) {
    if (err instanceof Later) throw new InputError(`${what}: '${err.variable}' is a fact, and a play field is rendered before any host is contacted`, place)
    throw err
  }
}

function text(value: unknown, place: Place, what: string, expected: string): string {
  if ((typeof value !== 'string' && typeof value !== 'number') || String(value).trim() === '') throw new InputError(`${what} is ${JSON.stringify(value)} once rendered, expected ${expected}`, place)
  return String(value)
}
