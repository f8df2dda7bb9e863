import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import { resolve } from 'node:path'
import { InputError } from '../errors.ts'
import { parseAddress } from './address.ts'
import { groupHosts } from './groups.ts'
import { IMPLICIT_LOCALHOST } from './host-vars.ts'
import { compileMatcher, shortPattern } from './matcher.ts'
import { decodeUtf8 } from './text.ts'
import type { Inventory } from './types.ts'

const SUBSCRIPT = /^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$/
const COLON_TERMS = /(?:[^\s:[\]]|\[[^\]]*\])+/g
// An @file is a list of host names: a retry file of 100 000 hosts is far below this.
const MAX_HOST_FILE_BYTES = 16 * 1024 * 1024

// Hosts matching an Ansible host pattern, in Ansible's order: the plain terms in the order
// written, then every `&` term intersects, then every `!` term removes. `@file` reads one
// pattern a line (ansible accepts it only in --limit; here it works in both). An empty
// pattern means all, as in Ansible.
export function selectHosts(inv: Inventory, pattern: string, opts: { cwd?: string } = {}): string[] {
  const terms = splitPattern(pattern)
  const expanded = expandFiles(inv, terms, opts.cwd)
  return terms.length > 0 && expanded.length === 0 ? [] : evaluate(inv, expanded, pattern)
}

// ansible-playbook --limit: the hosts, in their own order, that the limit pattern selects.
// An empty limit changes nothing; an empty @file selects nothing (Ansible would take all).
// A limit that selects no host of the inventory at all is refused, as Ansible refuses it.
export function applyLimit(inv: Inventory, hosts: string[], limit: string, opts: { cwd?: string } = {}): string[] {
  const terms = splitPattern(limit)
  if (terms.length === 0) return hosts
  const expanded = expandFiles(inv, terms, opts.cwd)
  if (expanded.length === 0) return []
  const allowed = new Set(evaluate(inv, expanded, limit))
  if (allowed.size === 0) {
    throw new InputError(`--limit "${shortPattern(limit)}" leaves us with no hosts to target: it matches no host of the inventory`)
  }
  return hosts.filter((host) => allowed.has(host))
}

// Ansible's split_host_pattern: commas separate; without commas, colons do, unless the whole
// thing reads as one address (an IPv6 address, `host:port`, or `m5-[01:18]`).
export function splitPattern(pattern: string): string[] {
  let terms: string[]
  if (pattern.includes(',')) terms = pattern.split(',')
  else if (parseAddress(pattern, true)) terms = [pattern]
  else terms = pattern.match(COLON_TERMS) ?? []
  return terms.map((term) => term.trim()).filter((term) => term !== '')
}

function expandFiles(inv: Inventory, terms: string[], cwd = process.cwd()): string[] {
  return terms.flatMap((term) => (term.startsWith('@') ? readHostFile(inv, term.slice(1), cwd) : [term]))
}

// One host or pattern a line; a line that is exactly a host's name is that host, whatever it holds
// (retry files list names, and names may hold spaces, commas or colons).
function readHostFile(inv: Inventory, name: string, cwd: string): string[] {
  const lines = decodeUtf8(readSmallFile(name, resolve(cwd, name)), name).split(/\r?\n/)
  return lines.flatMap((line) => {
    if (inv.hosts.has(line)) return [line]
    const trimmed = line.trim()
    return trimmed === '' ? [] : [trimmed]
  })
}

// The bytes of a regular file of at most MAX_HOST_FILE_BYTES: not a folder, device or pipe, which could read forever.
function readSmallFile(name: string, path: string): Buffer {
  let fd: number | undefined
  try {
    fd = openSync(path, 'r')
    const info = fstatSync(fd)
    if (info.isDirectory()) throw new InputError(`"@${name}" must name a file (one host a line), not a folder`)
    if (!info.isFile()) throw new InputError(`host file "${name}" is not a regular file: expected @FILE with one host or pattern a line`)
    if (info.size > MAX_HOST_FILE_BYTES) {
      throw new InputError(`host file "${name}" is ${info.size} bytes, more than the ${MAX_HOST_FILE_BYTES} bytes allowed`)
    }
    const bytes = Buffer.alloc(info.size)
    let read = 0
    while (read < bytes.length) {
      const n = readSync(fd, bytes, read, bytes.length - read, read)
      if (n === 0) break
      read += n
    }
    return bytes.subarray(0, read)
  } catch (e) {
    if (e instanceof InputError) throw e
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new InputError(`host file "${name}" does not exist: expected @FILE with one host or pattern a line`)
    if (code === 'EISDIR') throw new InputError(`"@${name}" must name a file (one host a line), not a folder`)
    throw new InputError(`cannot read host file "${name}": ${code ?? String(e)}`)
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

function evaluate(inv: Inventory, terms: string[], pattern: string): string[] {
  const plain = terms.filter((t) => !t.startsWith('&') && !t.startsWith('!'))
  const ordered = [
    ...(plain.length > 0 ? plain : ['all']),
    ...terms.filter((t) => t.startsWith('&')),
    ...terms.filter((t) => t.startsWith('!')),
  ]
  let hosts: string[] = []
  for (const term of ordered) {
    if (inv.hosts.has(term)) {
      hosts.push(term)
      continue
    }
    const that = matchTerm(inv, term.replace(/^[&!]/, ''), pattern)
    if (term.startsWith('!')) {
      const drop = new Set(that)
      hosts = hosts.filter((h) => !drop.has(h))
    } else if (term.startsWith('&')) {
      const keep = new Set(that)
      hosts = hosts.filter((h) => keep.has(h))
    } else {
      hosts.push(...that)
    }
  }
  return [...new Set(hosts)]
}

function matchTerm(inv: Inventory, term: string, pattern: string): string[] {
  if (term === '') throw new InputError(`invalid host pattern "${shortPattern(pattern)}": "&" or "!" must be followed by a name`)
  const m = term.startsWith('~') ? null : SUBSCRIPT.exec(term)
  if (!m) return enumerate(inv, term, pattern)
  const [, expr = '', index, start, , end] = m
  const hosts = enumerate(inv, expr, pattern)
  if (hosts.length === 0) return hosts
  if (index !== undefined) {
    const host = hosts.at(Number(index))
    if (host === undefined) {
      throw new InputError(`no host matches "${shortPattern(term)}" in pattern "${shortPattern(pattern)}": ${shortPattern(expr)} has ${hosts.length} hosts, numbered from 0`)
    }
    return [host]
  }
  const from = Number(start)
  const to = end === '' ? hosts.length - 1 : Number(end)
  if (to === 0) {
    const host = hosts[from]
    if (host === undefined) {
      throw new InputError(`no host matches "${shortPattern(term)}" in pattern "${shortPattern(pattern)}": ${shortPattern(expr)} has ${hosts.length} hosts, numbered from 0`)
    }
    return [host]
  }
  return hosts.slice(from, to + 1)
}

// Ansible's _enumerate_matches: groups whose name matches give all their hosts; host names are
// tried too when no group matched or the term is a glob or regex; localhost is implicit.
function enumerate(inv: Inventory, term: string, pattern: string): string[] {
  const matches = compileMatcher(term, pattern)
  const results: string[] = []
  let groupMatched = false
  for (const name of inv.groups.keys()) {
    if (!matches(name)) continue
    groupMatched = true
    results.push(...groupHosts(inv, name))
  }
  if (!groupMatched || term.startsWith('~') || /[.?*[]/.test(term)) {
    for (const name of inv.hosts.keys()) if (matches(name)) results.push(name)
  }
  if (results.length === 0 && IMPLICIT_LOCALHOST.includes(term)) results.push(term)
  return results
}
