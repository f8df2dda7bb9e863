import { readFileSync, statSync } from 'node:fs'
import { LineCounter, parseDocument, visit, type Alias, type Document, type ErrorCode, type Node, type ParsedNode } from 'yaml'
import { InputError, type Place } from '../errors.ts'
import { openVaultFile, revealAll } from '../vault/file.ts'
import { Keyring } from '../vault/keyring.ts'
import { vaultTag } from '../vault/tag.ts'

// Playbooks and vars files are small; anything bigger is a mistake (or an attack), refused before reading.
const MAX_YAML_BYTES = 4 * 1024 * 1024
// Aliases expanded per document: enough for real reuse, far too few for a "billion laughs".
const MAX_ALIAS_COUNT = 100
// YAML 1.1 like Ansible (yes/no are booleans, 0644 is octal, `<<` merges), minus the types a variable
// should never hold: timestamps, sexagesimal numbers, binary, sets and ordered maps stay strings or fail.
const DROPPED_TAGS = new Set(['tag:yaml.org,2002:timestamp', 'tag:yaml.org,2002:binary', 'tag:yaml.org,2002:omap', 'tag:yaml.org,2002:pairs', 'tag:yaml.org,2002:set'])

// Syntax errors told without quoting the text (the yaml package's messages may quote it), for text that may
// hold secrets (extra vars).
const QUIET: Partial<Record<ErrorCode, string>> = {
  MISSING_CHAR: 'a closing quote or bracket is missing',
  UNEXPECTED_TOKEN: 'unexpected text',
  BAD_DQ_ESCAPE: 'an invalid escape in a double-quoted string',
  DUPLICATE_KEY: 'a key is given twice',
  MULTIPLE_DOCS: 'more than one document',
  TAG_RESOLVE_FAILED: 'an unknown tag',
}

// quiet: syntax errors never quote the text (it may hold secrets); vault: opens encrypted files and `!vault` values.
export interface YamlOptions {
  quiet?: boolean
  vault?: Keyring
}

// A parsed YAML file that can still say where each node came from.
export interface YamlFile {
  file: string
  doc: Document.Parsed
  lines: LineCounter
}

// Reads, decodes (strict UTF-8), decrypts (a file encrypted whole with ansible-vault: its values are secrets)
// and parses a YAML file; every failure is an InputError (at `from` when the file cannot be read).
// Synchronous: these files are small and read once, before the run starts.
export function readYaml(file: string, what: string, from?: Place, opts: YamlOptions = {}): YamlFile {
  // Inside the file's own place the name is already shown; from elsewhere (vars_files) it is part of the message.
  const subject = from ? `${what} ${file}` : what
  let bytes: Buffer
  try {
    const info = statSync(file)
    if (!info.isFile()) throw new InputError(`${subject} is not a file`, from ?? { file })
    if (info.size > MAX_YAML_BYTES) throw new InputError(`${subject} is ${info.size} bytes, more than the ${MAX_YAML_BYTES} bytes allowed`, from ?? { file })
    bytes = readFileSync(file)
  } catch (error) {
    if (error instanceof InputError) throw error
    const code = (error as NodeJS.ErrnoException).code
    throw new InputError(`${subject} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(error)})`}`, from ?? { file })
  }
  const { text, encrypted } = openVaultFile(decode(bytes, file), opts.vault, from ?? { file }, from ? subject : undefined)
  const yaml = parseYaml(text, file, opts)
  if (encrypted) revealAll(yaml.doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }))
  return yaml
}

// Parses YAML text; syntax errors, unknown tags and alias bombs become InputErrors at the yaml package's line:col.
// `!vault |` values stay encrypted until used, then are decrypted with `opts.vault`.
export function parseYaml(source: string, file: string, opts: YamlOptions = {}): YamlFile {
  const vault = opts.vault ?? new Keyring()
  const lines = new LineCounter()
  const doc = parseDocument(source, {
    lineCounter: lines,
    prettyErrors: false,
    version: '1.1',
    customTags: (tags) => [...tags.filter((tag) => typeof tag === 'string' || (!DROPPED_TAGS.has(tag.tag) && tag.format !== 'TIME')), vaultTag(vault)],
  })
  const yaml = { file, doc, lines }
  const problem = doc.errors[0] ?? doc.warnings[0]
  if (problem) {
    const message = opts.quiet ? `invalid YAML: ${QUIET[problem.code] ?? problem.code.toLowerCase().replace(/_/g, ' ')}` : `invalid YAML: ${problem.message}`
    throw new InputError(message, at(yaml, problem.pos[0]))
  }
  const aliases = aliasesOf(doc)
  const looping = aliases.find((alias) => alias.inside)
  if (looping) throw new InputError(`alias *${looping.node.source} refers to a value that contains it, expected data without cycles`, placeOf(yaml, looping.node))
  try {
    doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT })
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error
    throw new InputError(`too many YAML aliases (more than ${MAX_ALIAS_COUNT} expansions), refusing to expand them`, placeOf(yaml, aliases[0]?.node))
  }
  return yaml
}

// file:line:col of a node (its first character), or of the whole file when there is no node.
export function placeOf(yaml: YamlFile, node: Node | null | undefined): Place {
  return node?.range ? at(yaml, node.range[0]) : { file: yaml.file }
}

// The plain value of a node (aliases already bounded by parseYaml).
export function toValue(yaml: YamlFile, node: ParsedNode | null): unknown {
  return node ? node.toJS(yaml.doc, { maxAliasCount: MAX_ALIAS_COUNT }) : null
}

// Every alias, and whether it sits inside the very value it names (`a: &a [*a]` would never end).
function aliasesOf(doc: Document.Parsed): Array<{ node: Alias; inside: boolean }> {
  const found: Array<{ node: Alias; inside: boolean }> = []
  visit(doc, {
    Alias(_, node, path) {
      const target = node.resolve(doc)
      found.push({ node, inside: target !== undefined && path.includes(target) })
    },
  })
  return found
}

function at(yaml: YamlFile, offset: number): Place {
  const { line, col } = yaml.lines.linePos(offset)
  return { file: yaml.file, line, col }
}

function decode(bytes: Buffer, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    const text = new TextDecoder('utf-8').decode(bytes)
    const before = text.slice(0, text.indexOf('\uFFFD')).split('\n')
    throw new InputError('invalid text: not UTF-8 (save the file as UTF-8)', { file, line: before.length, col: before.at(-1)!.length + 1 })
  }
}
