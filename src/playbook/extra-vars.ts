import { resolve } from 'node:path'
import { isMap, isScalar, type YAMLMap } from 'yaml'
import { InputError } from '../errors.ts'
import type { Keyring } from '../vault/keyring.ts'
import { SECRET_NAME, type Vars } from '../vars.ts'
import { define, isVarName } from './record.ts'
import { checkTemplates } from './template.ts'
import { variables } from './yaml-nodes.ts'
import { parseYaml, placeOf, readYaml, toValue, type YamlFile } from './yaml.ts'

// The place shown for errors in an -e argument that is not a file.
const ARG = '--extra-vars'
// One `k=v` word: quoted parts keep their spaces.
const WORD = /\s*((?:[^\s"']|"(?:\\.|[^"\\])*"|'[^']*')+)/y

// One -e value, as ansible-playbook reads it: `k=v k2="v 2"` (values stay strings), a JSON/YAML mapping `{"a": 1}`,
// or `@file` (YAML or JSON, relative to `cwd`). -e is where secrets are typed: errors name keys and columns, never values.
export function parseExtraVars(arg: string, cwd: string, vault?: Keyring): Vars {
  const text = arg.trim()
  if (text.startsWith('{')) return mapping(parseYaml(arg, ARG, { quiet: true, vault }))
  if (!text.startsWith('@')) return keyValues(arg)
  const path = text.slice(1)
  if (path === '') throw new InputError("expected a file name after '@'", { file: ARG, line: 1, col: arg.indexOf('@') + 2 })
  return mapping(readYaml(resolve(cwd, path), 'extra vars file', undefined, { quiet: true, vault }))
}

// An -e value as the run record keeps it: `k=v` words as typed, but a secret-named key's value masked whatever its
// length; a JSON/YAML mapping written again as JSON with every value under a secret-named key masked; `@file` as is.
export function maskedExtraVars(arg: string, mask: string): string {
  const text = arg.trim()
  if (text.startsWith('@')) return arg
  if (!text.startsWith('{')) {
    return arg.replace(new RegExp(WORD.source, 'g'), (word) => {
      const eq = word.indexOf('=')
      return eq > 0 && SECRET_NAME.test(word.slice(0, eq).trim()) ? `${word.slice(0, eq + 1)}${mask}` : word
    })
  }
  const masked = (value: unknown, secret: boolean): unknown => {
    if (secret) return mask
    if (Array.isArray(value)) return value.map((v) => masked(v, false))
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, masked(v, SECRET_NAME.test(k))]))
    return value
  }
  try {
    return JSON.stringify(masked(parseExtraVars(arg, '/'), false))
  } catch {
    // Not parseable (the run would have stopped before recording it): nothing of it is kept.
    return mask
  }
}

function mapping(yaml: YamlFile): Vars {
  const root = yaml.doc.contents
  if (root && !isMap(root) && !(isScalar(root) && root.value === null)) {
    const kind = isScalar(root) ? `a ${typeof root.value}` : 'a list'
    throw new InputError(`expected extra variables (a mapping), got ${kind}`, placeOf(yaml, root))
  }
  // Templates are checked here, per variable, so a bad one is named without quoting its value.
  for (const pair of isMap(root) ? (root as YAMLMap.Parsed).items : []) {
    try {
      checkTemplates(toValue(yaml, pair.value))
    } catch (error) {
      if (!(error instanceof InputError)) throw error
      const key = isScalar(pair.key) ? String(pair.key.value) : '?'
      throw new InputError(`variable '${key}' holds an invalid template (its value is not shown)`, placeOf(yaml, pair.key))
    }
  }
  return variables(yaml, root, 'extra variables (a mapping)').vars
}

// Splits `k=v k2="v 2" k3='a b'` like a shell would, quotes removed; a word without `=` is an error at its column.
function keyValues(arg: string): Vars {
  const vars: Vars = {}
  const word = new RegExp(WORD.source, 'y')
  let match: RegExpExecArray | null
  let end = 0
  while ((match = word.exec(arg))) {
    end = word.lastIndex
    const raw = match[1]!
    const col = match.index + match[0].length - raw.length + 1
    const eq = raw.indexOf('=')
    const key = eq < 0 ? '' : raw.slice(0, eq)
    if (eq < 0 || !isVarName(key)) throw new InputError('expected key=value with a variable name as key (the word is not shown)', { file: ARG, line: 1, col })
    define(vars, key, unquote(raw.slice(eq + 1)))
  }
  const rest = arg.slice(end).trim()
  if (rest) throw new InputError('unterminated quote (the value is not shown)', { file: ARG, line: 1, col: arg.length - rest.length + 1 })
  return vars
}

function unquote(value: string): string {
  return value.replace(/"((?:\\.|[^"\\])*)"|'([^']*)'/g, (_, double: string | undefined, single: string | undefined) =>
    double !== undefined ? double.replace(/\\(.)/g, '$1') : single!,
  )
}
