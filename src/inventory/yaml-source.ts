import type { Document } from 'yaml'
import { InputError, type Place } from '../errors.ts'
import { Keyring } from '../vault/keyring.ts'
import { vaultTag } from '../vault/tag.ts'

// A YAML value that remembers where it was written; mappings keep their keys' places too,
// so inventory errors can point at the group or host that is wrong.
export type Located =
  | { kind: 'map'; place: Place; entries: { key: unknown; place: Place; value: Located }[] }
  | { kind: 'value'; place: Place; value: unknown }

type YamlModule = typeof import('yaml')
type Doc = Document.Parsed

const MAX_ALIASES = 100
const TIMESTAMP = 'tag:yaml.org,2002:timestamp'
const BOOL = 'tag:yaml.org,2002:bool'
// PyYAML's YAML 1.1 booleans: unlike the yaml package's, `y` and `n` stay strings.
const PYYAML_BOOLS = [
  { tag: BOOL, default: true, test: /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/, identify: (v: unknown) => v === true, resolve: () => true },
  { tag: BOOL, default: true, test: /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/, identify: (v: unknown) => v === false, resolve: () => false },
]
let loading: Promise<YamlModule> | undefined

// Reads YAML as Ansible's PyYAML does (1.1: `yes` is true, `<<` merges; dates stay strings here;
// `!vault |` values stay encrypted until used). The yaml package loads on first use, so an INI-only run never pays for it.
export async function readYaml(text: string, file: string, vault: Keyring = new Keyring()): Promise<Located> {
  const yaml = await (loading ??= import('yaml'))
  const lines = new yaml.LineCounter()
  const at = (offset: number): Place => ({ file, ...lines.linePos(offset) })
  try {
    const doc = yaml.parseDocument(text, {
      lineCounter: lines,
      version: '1.1',
      prettyErrors: false,
      customTags: (tags) => [
        ...PYYAML_BOOLS,
        vaultTag(vault),
        ...tags.filter((tag) => typeof tag === 'string' || (tag.tag !== TIMESTAMP && tag.tag !== BOOL)),
      ],
    })
    const [error] = doc.errors
    if (error) throw new InputError(`bad YAML: ${firstLine(error.message)}`, at(error.pos[0]))
    try {
      doc.toJS({ maxAliasCount: MAX_ALIASES })
    } catch (e) {
      if (!(e instanceof ReferenceError)) throw e
      throw new InputError(`bad YAML: ${firstLine(e.message)} (at most ${MAX_ALIASES} alias uses)`, firstAlias(yaml, doc, at) ?? { file })
    }
    return locate(yaml, doc, doc.contents, at, at(0))
  } catch (e) {
    if (e instanceof InputError) throw e
    throw new InputError(`bad YAML: ${e instanceof Error ? firstLine(e.message) : String(e)}`, { file })
  }
}

// Where the first alias is written: an alias bomb is reported there, as the playbook reader does.
function firstAlias(yaml: YamlModule, doc: Doc, at: (offset: number) => Place): Place | undefined {
  let place: Place | undefined
  yaml.visit(doc, {
    Alias(_, node) {
      if (node.range) place = at(node.range[0])
      return yaml.visit.BREAK
    },
  })
  return place
}

function locate(yaml: YamlModule, doc: Doc, node: unknown, at: (offset: number) => Place, fallback: Place): Located {
  const target = yaml.isAlias(node) ? node.resolve(doc) : node
  const offset = yaml.isNode(node) ? node.range?.[0] : undefined
  const place = offset === undefined ? fallback : at(offset)
  const hasMergeKey = yaml.isMap(target) && target.items.some((pair) => yaml.isScalar(pair.key) && typeof pair.key.value === 'symbol')
  if (!yaml.isMap(target) || hasMergeKey) {
    const value: unknown = yaml.isNode(target) ? target.toJS(doc, { maxAliasCount: MAX_ALIASES }) : null
    if (!hasMergeKey || value === null || typeof value !== 'object') return { kind: 'value', place, value }
    const entries = Object.entries(value).map(([key, v]) => ({ key, place, value: { kind: 'value' as const, place, value: v } }))
    return { kind: 'map', place, entries }
  }
  const entries = target.items.map((pair) => {
    const key: unknown = yaml.isNode(pair.key) ? pair.key.toJS(doc, { maxAliasCount: MAX_ALIASES }) : pair.key
    const keyOffset = yaml.isNode(pair.key) ? pair.key.range?.[0] : undefined
    const keyPlace = keyOffset === undefined ? place : at(keyOffset)
    return { key, place: keyPlace, value: locate(yaml, doc, pair.value, at, keyPlace) }
  })
  return { kind: 'map', place, entries }
}

// Plain data for a located value (vars files and inventory vars sections).
export function plain(node: Located): unknown {
  if (node.kind === 'value') return node.value
  return Object.fromEntries(node.entries.map(({ key, value }) => [String(key), plain(value)]))
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message
}
