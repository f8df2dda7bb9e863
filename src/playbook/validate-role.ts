import { isScalar, isSeq, type ParsedNode } from 'yaml'
import { InputError, type Place } from '../errors.ts'
import { own } from './record.ts'
import type { RoleCatalog, RoleRef, When } from './types.ts'
import { allOf, compileWhen } from './when.ts'
import { deref, describe, entries, items, scalar, variables } from './yaml-nodes.ts'
import { placeOf, type YamlFile } from './yaml.ts'

const ROLE_KEYS = ['role', 'vars', 'tags', 'when']

// One entry of a play's `roles`: `- name` or `- {role, vars, tags, when}` (`name:` is accepted for `role:`, as in Ansible).
export function validateRole(yaml: YamlFile, node: ParsedNode | null, catalog: RoleCatalog, playTags: string[]): RoleRef {
  const place = placeOf(yaml, node)
  const target = deref(yaml, node)
  if (isScalar(target) && typeof target.value === 'string') return { role: roleName(yaml, node, catalog), vars: {}, varPlaces: {}, tags: unique([target.value, ...playTags]), place }
  const fields = entries(yaml, node, "a role: its name, or a mapping with 'role' and optionally 'vars', 'tags', 'when'")
  for (const { key, keyNode } of fields) {
    if (!ROLE_KEYS.includes(key) && key !== 'name')
      throw new InputError(`unknown key '${key}' in a role entry, expected one of: ${ROLE_KEYS.join(', ')} (role variables go under 'vars')`, placeOf(yaml, keyNode))
  }
  const names = fields.filter((f) => f.key === 'role' || f.key === 'name')
  if (names.length === 0) throw new InputError("role entry has no 'role', expected the name of a role", place)
  if (names.length > 1) throw new InputError("role entry has both 'role' and 'name', expected only one of them", placeOf(yaml, names[1]!.keyNode))
  const role = roleName(yaml, names[0]!.value, catalog)
  const field = (key: string) => fields.find((f) => f.key === key)
  const { vars, places } = variables(yaml, field('vars')?.value ?? null, `the variables of role '${role}' (a mapping)`)
  const defaults = catalog.defaults(role)
  const declared = Object.keys(defaults)
  for (const key of Object.keys(vars)) {
    if (!own(defaults, key))
      throw new InputError(`unknown variable '${key}' for role '${role}', ${declared.length ? `expected one of: ${declared.join(', ')}` : 'it declares no variables'}`, places[key])
  }
  const whenNode = field('when')?.value
  const when = whenNode === undefined ? undefined : whenOf(yaml, whenNode)
  const tags = unique([role, ...playTags, ...tagList(yaml, field('tags')?.value ?? null)])
  return { role, vars, varPlaces: places, tags, ...(when && { when }), place }
}

// `tags: a`, `tags: "a, b"` or `tags: [a, b]`, as Ansible reads them.
export function tagList(yaml: YamlFile, node: ParsedNode | null): string[] {
  const target = deref(yaml, node)
  if (target === null || (isScalar(target) && target.value === null)) return []
  const list = isSeq(target) ? items(yaml, node, 'a list of tags') : [node]
  return list.flatMap((item) => {
    const text = scalar(yaml, item, 'string', "a tag name, or a list of tag names")
    const tags = text.split(',').map((t) => t.trim())
    if (tags.some((t) => t === '')) throw new InputError(`empty tag name in ${JSON.stringify(text)}, expected names separated by commas`, placeOf(yaml, item))
    return tags
  })
}

function roleName(yaml: YamlFile, node: ParsedNode | null, catalog: RoleCatalog): string {
  const name = scalar(yaml, node, 'string', 'the name of a role')
  if (catalog.has(name)) return name
  const ansible = catalog.ansibleRole?.(name)
  if (ansible) throw new InputError(`role '${name}' (${ansible}) is an Ansible role: labplay runs TypeScript roles (${name}/index.ts), not Ansible tasks (see README, Coming from Ansible)`, placeOf(yaml, node))
  const known = catalog.names()
  throw new InputError(`unknown role '${name}', ${known.length ? `expected one of: ${known.join(', ')}` : 'no roles are installed'}`, placeOf(yaml, node))
}

// `when: cond` or Ansible's list form, where every condition must hold.
function whenOf(yaml: YamlFile, node: ParsedNode | null): When | undefined {
  const target = deref(yaml, node)
  const list = isSeq(target) ? items(yaml, node, 'a list of conditions') : [node]
  const conditions = list.map((item) => {
    const cond = deref(yaml, item)
    if (!isScalar(cond) || !['string', 'boolean', 'number'].includes(typeof cond.value))
      throw new InputError(`expected a condition such as "kvm_enabled | bool", got ${describe(yaml, item)}`, placeOf(yaml, item))
    return compileWhen(String(cond.value), textStart(yaml, item!, cond.type))
  })
  return conditions.length ? allOf(conditions) : undefined
}

// Where a scalar's text begins: after the opening quote; a block scalar only knows its line.
function textStart(yaml: YamlFile, node: ParsedNode, type: string | undefined): Place {
  const place = placeOf(yaml, node)
  if (type === 'QUOTE_SINGLE' || type === 'QUOTE_DOUBLE') return { ...place, col: place.col! + 1 }
  if (type === 'BLOCK_FOLDED' || type === 'BLOCK_LITERAL') return { file: place.file, line: place.line }
  return place
}

function unique(tags: string[]): string[] {
  return [...new Set(tags)]
}
