import { extname } from 'node:path'
import { InputError, type Place } from '../errors.ts'
import { evaluate, truthy, varsScope } from '../playbook/expr-eval.ts'
import { ExprError } from '../playbook/expr-lex.ts'
import { parseExpr, type Expr } from '../playbook/expr-parse.ts'
import { render } from '../playbook/template.ts'
import type { Vars } from '../vars.ts'
import { forgetDerived, hostVars } from './host-vars.ts'
import { addChild, addGroup, addHost, setGroupVar } from './model.ts'
import type { Inventory } from './types.ts'
import { plain, type Located } from './yaml-source.ts'

const PLUGINS: Record<string, (cfg: Config, inv: Inventory) => void> = {
  constructed, 'ansible.builtin.constructed': constructed,
  generator, 'ansible.builtin.generator': generator,
}
// Bounds a generator: the product of its layers.
const MAX_GENERATED = 100_000

interface Config {
  file: string
  root: Located
  // Each option's value and where it was written.
  get(key: string): { value: unknown; place: Place } | undefined
}

// A YAML inventory file holding `plugin: NAME` is that plugin's configuration, as Ansible's auto plugin
// reads it. labplay runs `constructed` and `generator` (over the hosts read so far); any other plugin
// (a cloud's, a CMDB's) is bad input naming it.
export function runInventoryPlugin(root: Located & { kind: 'map' }, file: string, path: string, inv: Inventory): void {
  const get = (key: string) => {
    const entry = root.entries.find((e) => e.key === key)
    return entry && { value: plain(entry.value), place: entry.value.place }
  }
  const name = get('plugin')!
  const run = PLUGINS[String(name.value)]
  if (!run) throw new InputError(`inventory plugin '${String(name.value)}' is not supported: labplay reads constructed and generator plugin files, inventory scripts, INI and YAML`, name.place)
  if (!['.yml', '.yaml', '.config'].includes(extname(path))) throw new InputError(`a ${String(name.value)} plugin file must end in .yml, .yaml or .config`, name.place)
  run({ file, root, get }, inv)
  forgetDerived(inv)
}

// ansible.builtin.constructed: per host, in inventory order, `compose` sets variables, `groups` adds the host
// to each group whose condition holds, `keyed_groups` to a group named after a value. Expressions are
// labplay's `when` language (variables, a.b and a['b'], literals, comparisons, in, and/or/not, is defined,
// the filters default, bool, int, float, string, lower, upper, trim, length); other Jinja is refused at its
// line. With `strict: false` (Ansible's default) an expression that fails for a host is skipped for it.
function constructed(cfg: Config, inv: Inventory): void {
  const strict = cfg.get('strict')?.value === true
  const compose = mapping(cfg, 'compose')
  const groups = mapping(cfg, 'groups')
  const keyed = cfg.get('keyed_groups')
  if (keyed && keyed.value !== null && !Array.isArray(keyed.value)) throw new InputError('keyed_groups: expected a list', keyed.place)
  const leading = cfg.get('leading_separator')?.value !== false
  const composed = Object.entries(compose.value).map(([name, source]) => ({ name, expr: expression(source, `compose ${name}`, compose.place) }))
  const conditions = Object.entries(groups.value).map(([name, source]) => ({ name, expr: expression(source, `groups ${name}`, groups.place) }))
  const keys = ((keyed?.value as unknown[] | null | undefined) ?? []).map((k, i) => {
    if (k === null || typeof k !== 'object' || Array.isArray(k)) throw new InputError(`keyed_groups[${i}]: expected a mapping with key, prefix, separator…`, keyed!.place)
    const spec = k as Record<string, unknown>
    if (spec.trailing_separator !== undefined && spec.default_value !== undefined) {
      throw new InputError(`keyed_groups[${i}]: default_value and trailing_separator cannot be used together`, keyed!.place)
    }
    return { spec, expr: spec.key === undefined ? undefined : expression(spec.key, `keyed_groups[${i}].key`, keyed!.place) }
  })
  const tryEval = (expr: Expr, vars: Vars, what: string, host: string): { value: unknown } | undefined => {
    try {
      return { value: evaluate(expr, varsScope(vars)) }
    } catch (err) {
      if (!(err instanceof ExprError) || strict) throw new InputError(`host ${host}: ${what}: ${(err as Error).message}`, cfg.get('plugin')!.place)
      return undefined
    }
  }
  for (const host of [...inv.hosts.keys()]) {
    let vars = hostVars(inv, host)
    for (const { name, expr } of composed) {
      const got = tryEval(expr, vars, `compose ${name}`, host)
      if (got) inv.hosts.get(host)!.vars[name] = got.value
    }
    forgetDerived(inv)
    vars = hostVars(inv, host)
    for (const { name, expr } of conditions) {
      const got = tryEval(expr, vars, `groups ${name}`, host)
      if (got && truthy(got.value)) join(inv, host, name)
    }
    for (const [i, { spec, expr }] of keys.entries()) {
      const got = expr && tryEval(expr, vars, `keyed_groups[${i}].key`, host)
      const value = got?.value
      const fallback = spec.default_value === undefined ? undefined : String(spec.default_value)
      if (!(truthy(value) || (value === '' && fallback !== undefined))) {
        if (strict) throw new InputError(`host ${host}: keyed_groups[${i}]: no key, or its value is empty`, keyed!.place)
        continue
      }
      const sep = spec.separator === undefined ? '_' : String(spec.separator)
      const bare: string[] = []
      if (typeof value === 'string') bare.push(value === '' ? fallback! : value)
      else if (Array.isArray(value)) bare.push(...value.map((v) => (v === '' && fallback !== undefined ? fallback : String(v))))
      else if (value !== null && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) {
          bare.push(v !== '' ? `${k}${sep}${String(v)}` : fallback !== undefined ? `${k}${sep}${fallback}` : spec.trailing_separator === false ? k : `${k}${sep}`)
        }
      } else throw new InputError(`host ${host}: keyed_groups[${i}]: expected a string, a list or a mapping, got ${JSON.stringify(value)}`, keyed!.place)
      const prefix = spec.prefix === undefined ? '' : String(spec.prefix)
      for (const name of bare) {
        const group = `${prefix}${prefix === '' && !leading ? '' : sep}${name}`
        join(inv, host, group)
        if (spec.parent_group !== undefined) {
          const parent = String(render(spec.parent_group, vars))
          addGroup(inv, parent)
          addChild(inv, parent, group, keyed!.place)
        }
      }
    }
  }
}

// ansible.builtin.generator: one host per combination of the layers' values (the first layer varying
// slowest), named by the `hosts.name` template, with its `parents` (names, vars and their own parents) made
// as groups.
function generator(cfg: Config, inv: Inventory): void {
  const hosts = cfg.get('hosts')
  const layers = mapping(cfg, 'layers')
  if (!hosts || hosts.value === null || typeof hosts.value !== 'object' || typeof (hosts.value as Vars).name !== 'string') {
    throw new InputError('hosts: expected a mapping with a name template', hosts?.place ?? cfg.get('plugin')!.place)
  }
  const names = Object.keys(layers.value)
  const values = names.map((n) => {
    const v = layers.value[n]
    if (!Array.isArray(v) || v.length === 0) throw new InputError(`layers.${n}: expected a list of values`, layers.place)
    return v
  })
  const total = values.reduce((n, v) => n * v.length, 1)
  if (total > MAX_GENERATED) throw new InputError(`layers make ${total} hosts, more than ${MAX_GENERATED}`, layers.place)
  const spec = hosts.value as { name: string; parents?: unknown }
  for (let i = 0; i < total; i++) {
    const vars: Vars = {}
    let rest = i
    for (let l = names.length - 1; l >= 0; l--) {
      vars[names[l]!] = values[l]![rest % values[l]!.length]
      rest = Math.floor(rest / values[l]!.length)
    }
    const host = String(render(spec.name, vars, hosts.place))
    addHost(inv, host, 'ungrouped')
    parents(inv, host, spec.parents, vars, hosts.place, false)
  }
}

function parents(inv: Inventory, child: string, list: unknown, vars: Vars, place: Place, childIsGroup: boolean): void {
  if (list === undefined || list === null) return
  if (!Array.isArray(list)) throw new InputError('parents: expected a list of {name, vars, parents}', place)
  for (const parent of list) {
    const spec = parent as { name?: unknown; vars?: unknown; parents?: unknown }
    if (typeof spec?.name !== 'string') throw new InputError('parents: each needs a name template', place)
    const name = String(render(spec.name, vars, place))
    const group = addGroup(inv, name)
    if (spec.vars !== undefined && spec.vars !== null) {
      for (const [key, value] of Object.entries(spec.vars as Vars)) setGroupVar(group, key, render(value, vars, place), place)
    }
    if (childIsGroup) addChild(inv, name, child, place)
    else addHost(inv, child, name)
    parents(inv, name, spec.parents, vars, place, true)
  }
}

function join(inv: Inventory, host: string, group: string): void {
  addGroup(inv, group)
  addHost(inv, host, group)
}

function mapping(cfg: Config, key: string): { value: Record<string, unknown>; place: Place } {
  const got = cfg.get(key)
  if (!got || got.value === null) return { value: {}, place: got?.place ?? { file: cfg.file } }
  if (typeof got.value !== 'object' || Array.isArray(got.value)) throw new InputError(`${key}: expected a mapping`, got.place)
  return got as { value: Record<string, unknown>; place: Place }
}

function expression(source: unknown, what: string, place: Place): Expr {
  if (typeof source === 'boolean' || typeof source === 'number') return { type: 'lit', value: source }
  if (typeof source !== 'string') throw new InputError(`${what}: expected an expression, got ${JSON.stringify(source)}`, place)
  try {
    return parseExpr(source)
  } catch (err) {
    if (err instanceof ExprError) throw new InputError(`${what}: ${JSON.stringify(source)}: ${err.message} (labplay's expressions are those of when:, see README)`, place)
    throw err
  }
}
