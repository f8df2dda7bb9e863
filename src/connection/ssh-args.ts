import { InputError, type Place } from '../errors.ts'
import { shlexSplit } from '../inventory/shlex.ts'
import { checkValue, type SshOptions } from './ssh-config.ts'

// What an `ssh` command line carries that labplay applies: `-F FILE` and the options of `-o K=V`, `-J`,
// `-p`, `-i`, `-l` (as ssh_config names, the first one given winning, as ssh does).
export interface SshArgs {
  configFile?: string
  options: SshOptions
}

// Flags without a value that change nothing labplay does (compression, agent forwarding, verbosity, ttys…).
const FLAGS = new Set('46AaCfGgKkMNnqsTtVvXxYy'.split(''))
// Options with a value that would need a feature labplay does not have (forwardings, ciphers, a control socket).
const UNSUPPORTED = new Set('BbcDEeLmOQRSWw'.split(''))
const LETTER_OPTION: Record<string, string> = { J: 'proxyjump', p: 'port', i: 'identityfile', l: 'user' }
const LISTS = ['identityfile', 'userknownhostsfile']

// Adds the words of `text` (ssh_args, ansible_ssh_common_args, --ssh-extra-args…) to `into`; `what` names
// the source in errors ("ansible_ssh_common_args of host m5-01").
export function parseSshArgs(text: string, what: string, into: SshArgs = { options: new Map() }, place?: Place): SshArgs {
  const words = shlexSplit(text)
  if ('error' in words) throw new InputError(`${what}: ${words.error}`, place)
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!
    if (!/^-[A-Za-z0-9]/.test(word)) throw new InputError(`${what}: expected ssh options (-o K=V, -J, -p, -i, -F), got '${word}'`, place)
    for (let j = 1; j < word.length; j++) {
      const letter = word[j]!
      if (FLAGS.has(letter)) continue
      const rest = word.slice(j + 1)
      const value = rest !== '' ? rest : words[++i]
      if (value === undefined) throw new InputError(`${what}: ssh option -${letter} needs a value`, place)
      if (letter === 'o') setOption(into, value, what, place)
      else if (letter === 'F') into.configFile ??= value
      else if (LETTER_OPTION[letter]) add(into.options, LETTER_OPTION[letter]!, value, what, place)
      else if (UNSUPPORTED.has(letter)) throw new InputError(`${what}: ssh option -${letter} is not supported by labplay`, place)
      else throw new InputError(`${what}: unknown ssh option -${letter}`, place)
      break
    }
  }
  return into
}

// `-o Key=Value` or `-o 'Key Value'`; keys labplay does not use are ignored, as ssh_config's are.
function setOption(into: SshArgs, option: string, what: string, place?: Place): void {
  const match = /^\s*([A-Za-z]+)\s*(?:=\s*|\s+)(.*)$/.exec(option)
  if (!match) throw new InputError(`${what}: expected -o Key=Value, got '-o ${option}'`, place)
  add(into.options, match[1]!.toLowerCase(), match[2]!.trim(), what, place)
}

function add(options: SshOptions, name: string, value: string, what: string, place?: Place): void {
  try {
    checkValue(name, value, place)
  } catch (err) {
    if (err instanceof InputError) throw new InputError(`${what}: ${err.message}`, place)
    throw err
  }
  if (LISTS.includes(name)) {
    const list = (options.get(name) as string[] | undefined) ?? []
    options.set(name, [...list, ...(name === 'userknownhostsfile' ? value.split(/\s+/) : [value])])
  } else if (!options.has(name)) options.set(name, value)
}
