import { InputError } from '../errors.ts'

// One `key = value` of an ansible.cfg, with the line it was written on.
export interface IniEntry {
  value: string
  line: number
}

export type IniSections = Map<string, Map<string, IniEntry>>

// Python's configparser as Ansible sets it up (`inline_comment_prefixes=(';',)`): `[section]`, `key = value`
// or `key: value`, whole-line comments with `#` or `;`, an inline comment after ` ;`, indented lines continue
// the value before them, keys are lowercased, a later key replaces an earlier one.
export function parseIni(text: string, file: string): IniSections {
  const sections: IniSections = new Map()
  let current: Map<string, IniEntry> | undefined
  let last: IniEntry | undefined
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!
    const line = i + 1
    const stripped = stripInlineComment(raw)
    if (stripped.trim() === '' || /^\s*[#;]/.test(raw)) {
      if (stripped.trim() === '') last = undefined
      continue
    }
    if (/^\s/.test(raw) && last) {
      last.value = `${last.value}\n${stripped.trim()}`
      continue
    }
    const section = /^\[([^\]]+)\]\s*$/.exec(stripped.trim())
    if (section) {
      const name = section[1]!.trim()
      current = sections.get(name) ?? new Map()
      sections.set(name, current)
      last = undefined
      continue
    }
    const pair = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(stripped.trim())
    if (!pair) throw new InputError(`expected 'key = value' or '[section]', got '${raw.trim().slice(0, 80)}'`, { file, line })
    if (!current) throw new InputError(`'${pair[1]}' comes before any [section]`, { file, line })
    last = { value: pair[2]!, line }
    current.set(pair[1]!.toLowerCase(), last)
  }
  return sections
}

function stripInlineComment(line: string): string {
  const at = line.search(/\s;/)
  return at < 0 ? line : line.slice(0, at)
}
