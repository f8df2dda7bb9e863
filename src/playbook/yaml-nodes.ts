import { isAlias, isMap, isScalar, isSeq, type ParsedNode, type Scalar, type YAMLMap, type YAMLSeq } from 'yaml'
import { InputError } from '../errors.ts'
import { define, isVarName, own } from './record.ts'
import type { VarPlaces } from './types.ts'
import type { Vars } from '../vars.ts'
import { checkTemplates } from './template.ts'
import { placeOf, toValue, type YamlFile } from './yaml.ts'

// Typed reads of YAML nodes: each either returns the expected shape or throws an InputError at the node.

// One `key: value` of a mapping, with the key's node for error places.
export interface Entry {
  key: string
  keyNode: ParsedNode
  value: ParsedNode | null
}

// Follows an alias to the node it names, so `*anchor` is checked like what it stands for.
export function deref(yaml: YamlFile, node: ParsedNode | null): ParsedNode | null {
  return isAlias(node) ? (node.resolve(yaml.doc) as ParsedNode | undefined) ?? null : node
}

// The entries of a mapping, own keys first, then those merged in with `<<: *anchor`; `what` says what was expected.
export function entries(yaml: YamlFile, node: ParsedNode | null, what: string): Entry[] {
  const map = deref(yaml, node)
  if (!isMap(map)) throw new InputError(`expected ${what}, got ${describe(yaml, node)}`, placeOf(yaml, node))
  const own: Entry[] = []
  const merged: Entry[] = []
  for (const pair of (map as YAMLMap.Parsed).items) {
    const keyNode = deref(yaml, pair.key)
    if (isScalar(keyNode) && typeof keyNode.value === 'symbol') {
      const sources = isSeq(deref(yaml, pair.value)) ? items(yaml, pair.value, 'mappings to merge') : [pair.value]
      merged.push(...sources.flatMap((source) => entries(yaml, source, 'a mapping to merge')))
    } else if (isScalar(keyNode) && typeof keyNode.value === 'string') own.push({ key: keyNode.value, keyNode: pair.key, value: pair.value })
    else throw new InputError(`expected a name as key, got ${describe(yaml, pair.key)}`, placeOf(yaml, pair.key))
  }
  return [...own, ...merged.filter((entry, i) => !own.some((o) => o.key === entry.key) && merged.findIndex((m) => m.key === entry.key) === i)]
}

// The items of a sequence.
export function items(yaml: YamlFile, node: ParsedNode | null, what: string): ParsedNode[] {
  const seq = deref(yaml, node)
  if (!isSeq(seq)) throw new InputError(`expected ${what}, got ${describe(yaml, node)}`, placeOf(yaml, node))
  return (seq as YAMLSeq.Parsed).items
}

// The value of a scalar of the given JS type.
export function scalar<T extends 'string' | 'boolean' | 'number'>(
  yaml: YamlFile,
  node: ParsedNode | null,
  type: T,
  what: string,
): T extends 'string' ? string : T extends 'boolean' ? boolean : number {
  const target = deref(yaml, node)
  if (!isScalar(target) || typeof target.value !== type) throw new InputError(`expected ${what}, got ${describe(yaml, node)}`, placeOf(yaml, node))
  return (target as Scalar).value as T extends 'string' ? string : T extends 'boolean' ? boolean : number
}

// A mapping of variables: names a template can reach, values as plain data (`<<` merges applied) whose templates
// parse, and where each was written.
export function variables(yaml: YamlFile, node: ParsedNode | null, what: string): { vars: Vars; places: VarPlaces } {
  const places: VarPlaces = {}
  const map = deref(yaml, node)
  if (map === null || (isScalar(map) && map.value === null)) return { vars: {}, places }
  if (!isMap(map)) throw new InputError(`expected ${what}, got ${describe(yaml, node)}`, placeOf(yaml, node))
  for (const pair of (map as YAMLMap.Parsed).items) {
    const key = deref(yaml, pair.key)
    if (isScalar(key) && typeof key.value !== 'symbol') define(places, String(key.value), placeOf(yaml, pair.key))
  }
  const vars = toValue(yaml, node) as Vars
  for (const key of Object.keys(vars)) {
    const place = own(places, key) ? places[key]! : placeOf(yaml, node)
    if (!isVarName(key)) throw new InputError(`invalid variable name '${key}', expected letters, digits and _ (not starting with a digit)`, place)
    checkTemplates(vars[key], place)
    define(places, key, place)
  }
  return { vars, places }
}

// What a node is, for "expected …, got …".
export function describe(yaml: YamlFile, node: ParsedNode | null): string {
  const target = deref(yaml, node)
  if (isMap(target)) return 'a mapping'
  if (isSeq(target)) return 'a list'
  if (!isScalar(target) || target.value === null) return 'nothing'
  const value = target.value
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`
  return `the ${typeof value} ${String(value)}`
}
