import { resolve } from 'node:path'
import { InputError } from '../errors.ts'
import type { Keyring } from '../vault/keyring.ts'
import type { Vars } from '../vars.ts'
import { define, isVarName } from './record.ts'
import { variables } from './yaml-nodes.ts'
import { parseYaml, readYaml, type YamlFile } from './yaml.ts'

// The place shown for errors in an -e argument that is not a file.
const ARG = '--extra-vars'

// One -e value, as ansible-playbook reads it: `k=v k2="v 2"` (values stay strings), a JSON/YAML mapping `{"a": 1}`,
// or `@file` (YAML or JSON, relative to `cwd`).
export function parseExtraVars(arg: string, cwd: string, vault?: Keyring): Vars {
  const text = arg.trim()
  if (text.startsWith('{')) return mapping(parseYaml(arg, ARG, vault))
  if (!text.startsWith('@')) return keyValues(arg)
  const path = text.slice(1)
  if (path === '') throw new InputError("expected a file name after '@'", { file: ARG, line: 1, col: arg.indexOf('@') + 2 })
  return mapping(readYaml(resolve(cwd, path), 'extra vars file', undefined, vault))
}

function mapping(yaml: YamlFile): Vars {
  return variables(yaml, yaml.doc.contents, 'extra variables (a mapping)').vars
}

// Splits `k=v k2="v 2" k3='a b'` like a shell would, quotes removed; a word without `=` is an error at its column.
function keyValues(arg: string): Vars {
  const vars: Vars = {}
  const word = /\s*((?:[^\s"']|"(?:\\.|[^"\\])*"|'[^']*')+)/y
  let match: RegExpExecArray | null
  let end = 0
  while ((match = word.exec(arg))) {
    end = word.lastIndex
    const raw = match[1]!
    const col = match.index + match[0].length - raw.length + 1
    const eq = raw.indexOf('=')
    const key = eq < 0 ? '' : raw.slice(0, eq)
    if (eq < 0 || !isVarName(key))
      throw new InputError(`expected key=value with a variable name as key, got ${JSON.stringify(raw)}`, { file: ARG, line: 1, col })
    define(vars, key, unquote(raw.slice(eq + 1)))
  }
  const rest = arg.slice(end).trim()
  if (rest) throw new InputError(`unterminated quote in ${JSON.stringify(rest)}`, { file: ARG, line: 1, col: arg.length - rest.length + 1 })
  return vars
}

function unquote(value: string): string {
  return value.replace(/"((?:\\.|[^"\\])*)"|'([^']*)'/g, (_, double: string | undefined, single: string | undefined) =>
    double !== undefined ? double.replace(/\\(.)/g, '$1') : single!,
  )
}
