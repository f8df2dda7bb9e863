import { dirname, isAbsolute, join, resolve } from 'node:path'
import { isScalar, isSeq, type ParsedNode } from 'yaml'
import { InputError, type Place } from '../errors.ts'
import type { Keyring } from '../vault/keyring.ts'
import { mergeVars } from './merge.ts'
import type { Play, PlayTemplates, RoleCatalog, VarPlaces } from './types.ts'
import { checkTemplates } from './template.ts'
import type { Vars } from '../vars.ts'
import { tagList, validateRole } from './validate-role.ts'
import { deref, entries, items, scalar, variables, type Entry } from './yaml-nodes.ts'
import { placeOf, readYaml, type YamlFile } from './yaml.ts'

const PLAY_KEYS = ['name', 'hosts', 'vars', 'vars_files', 'roles', 'serial', 'become', 'become_user', 'gather_facts', 'tags']
const TASKS_LIVE_IN_ROLES = "tasks live in roles (roles/<name>/index.ts): list the role under 'roles'"
// Ansible keys users will try, answered with what labplay does instead.
const UNSUPPORTED = new Map([
  ['import_playbook', 'import_playbook is not supported: put the plays in this playbook, or run the playbooks one after another'],
  ['include_playbook', 'include_playbook is not supported: put the plays in this playbook, or run the playbooks one after another'],
  ['tasks', `'tasks' is not supported in a playbook, ${TASKS_LIVE_IN_ROLES}`],
  ['pre_tasks', `'pre_tasks' is not supported in a playbook, ${TASKS_LIVE_IN_ROLES}`],
  ['post_tasks', `'post_tasks' is not supported in a playbook, ${TASKS_LIVE_IN_ROLES}`],
  ['handlers', `'handlers' is not supported in a playbook, handlers live in roles`],
])

// One play of the playbook, checked key by key; `vars_files` are read relative to the playbook.
export function validatePlay(yaml: YamlFile, node: ParsedNode | null, catalog: RoleCatalog, vault?: Keyring): Play {
  const place = placeOf(yaml, node)
  const fields = entries(yaml, node, "a play (a mapping with 'hosts' and 'roles')")
  for (const { key, keyNode } of fields) {
    const unsupported = UNSUPPORTED.get(key)
    if (unsupported) throw new InputError(unsupported, placeOf(yaml, keyNode))
    if (!PLAY_KEYS.includes(key)) throw new InputError(`unknown play key '${key}', expected one of: ${PLAY_KEYS.join(', ')}`, placeOf(yaml, keyNode))
  }
  const field = (key: string): Entry | undefined => fields.find((f) => f.key === key)
  const value = (key: string): ParsedNode | null => field(key)?.value ?? null

  const templates: PlayTemplates = {}
  // A field written as a template is kept as written and rendered before the play runs (engine/play-fields.ts).
  const template = (key: keyof PlayTemplates): boolean => {
    const node = deref(yaml, value(key))
    if (!isScalar(node) || typeof node.value !== 'string' || !node.value.includes('{{')) return false
    checkTemplates(node.value, placeOf(yaml, value(key)))
    templates[key] = { source: node.value, place: placeOf(yaml, value(key)) }
    return true
  }
  const hostsField = field('hosts')
  if (!hostsField) throw new InputError("play has no 'hosts', expected a host pattern such as 'all' or 'm5'", place)
  const hosts = scalar(yaml, hostsField.value, 'string', "a host pattern such as 'all' or 'm5'")
  if (hosts.trim() === '') throw new InputError("empty 'hosts', expected a host pattern such as 'all' or 'm5'", placeOf(yaml, hostsField.value))
  template('hosts')
  const name = field('name') ? scalar(yaml, value('name'), 'string', 'a play name (a string)') : hosts
  if (field('name')) template('name')

  const own = variables(yaml, value('vars'), 'play variables (a mapping)')
  const files = varsFiles(yaml, value('vars_files'), vault)
  const tags = tagList(yaml, value('tags'))
  const roles = field('roles') ? items(yaml, value('roles'), 'a list of roles') : []
  return {
    name,
    hosts,
    vars: mergeVars(own.vars, ...files.map((f) => f.vars)),
    varPlaces: mergeVars(own.places, ...files.map((f) => f.places)) as VarPlaces,
    varsFiles: files.map((f) => f.file),
    roles: roles.map((role) => validateRole(yaml, role, catalog, tags)),
    serial: field('serial') && !template('serial') ? serialOf(yaml, value('serial')) : [],
    ...(field('become') && !template('become') && { become: scalar(yaml, value('become'), 'boolean', 'true or false') }),
    ...(field('become_user') && !template('become_user') && { becomeUser: scalar(yaml, value('become_user'), 'string', 'a user name') }),
    gatherFacts: field('gather_facts') && !template('gather_facts') ? scalar(yaml, value('gather_facts'), 'boolean', 'true or false') : true,
    tags,
    templates,
    place,
  }
}

interface VarsFile {
  file: string
  vars: Vars
  places: VarPlaces
}

function varsFiles(yaml: YamlFile, node: ParsedNode | null, vault: Keyring | undefined): VarsFile[] {
  const target = deref(yaml, node)
  if (target === null || (isScalar(target) && target.value === null)) return []
  const list = isSeq(target) ? items(yaml, node, 'a list of vars files') : [node]
  const loaded: VarsFile[] = []
  for (const item of list) {
    const path = scalar(yaml, item, 'string', 'the path of a YAML file with variables')
    if (path.includes('{{')) throw new InputError(`vars_files paths cannot use templates, expected a plain path: ${path}`, placeOf(yaml, item))
    const shown = isAbsolute(path) ? path : join(dirname(yaml.file), path)
    const source = readYaml(shown, 'vars file', placeOf(yaml, item), { vault })
    loaded.push({ file: resolve(shown), ...variables(source, source.doc.contents, 'variables (a mapping)') })
  }
  return loaded
}

// `serial: 5`, `serial: '30%'` or `serial: [1, 5, '50%']`.
function serialOf(yaml: YamlFile, node: ParsedNode | null): Array<number | string> {
  const target = deref(yaml, node)
  return (isSeq(target) ? items(yaml, node, 'a list of batch sizes') : [node]).map((item) => {
    const batch = deref(yaml, item)
    return batchSize(isScalar(batch) ? batch.value : undefined, placeOf(yaml, item))
  })
}

// One batch size of `serial`, checked (also once a templated serial is rendered).
export function batchSize(value: unknown, place: Place): number | string {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1) return value
  if (typeof value === 'string' && /^\d+$/.test(value) && Number(value) >= 1) return Number(value)
  const percent = typeof value === 'string' ? /^(\d+(?:\.\d+)?)%$/.exec(value) : null
  if (percent && Number(percent[1]) > 0 && Number(percent[1]) <= 100) return value as string
  throw new InputError(`invalid serial ${JSON.stringify(value ?? null)}, expected a whole number ≥ 1, a percentage such as '30%', or a list of them`, place)
}
