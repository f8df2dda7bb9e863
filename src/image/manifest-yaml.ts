import { isDeepStrictEqual } from 'node:util'
import { Document, isAlias, isMap, isScalar, LineCounter, Pair, parseDocument, Scalar, YAMLMap } from 'yaml'
import { InputError } from '../errors.ts'
import { plain, readYaml } from '../inventory/yaml-source.ts'
import type { ImageManifest } from '../sdk/manifest.ts'
import { isVaultText } from '../vault/format.ts'

// A group_vars file with its `image` set to a new manifest and every other byte as it was: the yaml package's
// document API finds the `image` entry (comments kept inside it, fields updated in place) and only that
// entry's text is replaced. The result is read back as labplay reads inventories, and refused unless every other
// variable is unchanged and `image` is the manifest.

// The manifest's fields, in the order they are written.
const FIELDS = ['name', 'version', 'size', 'sha256', 'source'] as const
// Always quoted, as the example inventory writes them: 2026.10 is a number to YAML, and a sha256 can be all digits.
const QUOTED = new Set<string>(['version', 'sha256'])

// `text` (a group_vars file, '' for a new one) with `image` set to `manifest`; `header` is the comment put above
// an `image` entry that did not exist. `file` names the file in errors.
export async function withManifest(text: string, manifest: ImageManifest, file: string, header: string): Promise<string> {
  if (isVaultText(text)) throw new InputError('this file is encrypted with ansible-vault: publish cannot edit it; keep image in a plain file of this group', { file })
  const lines = new LineCounter()
  const doc = parseDocument(text, { version: '1.1', lineCounter: lines, prettyErrors: false })
  const [error] = doc.errors
  if (error) throw new InputError(`bad YAML: ${error.message.split('\n')[0]}`, { file, ...lines.linePos(error.pos[0]) })
  const at = (offset: number | undefined) => ({ file, ...(offset === undefined ? {} : lines.linePos(offset)) })
  const contents = doc.contents
  if (contents !== null && !(isMap(contents) && !contents.flow)) throw new InputError('expected a mapping of variable names to values (a block mapping)', at(contents.range?.[0]))

  const pair = contents?.items.find((p) => isScalar(p.key) && p.key.value === 'image')
  let next: string
  const keyAt = at((pair?.key as Scalar | undefined)?.range?.[0])
  if (pair && isMap(pair.value)) {
    if (pair.value.anchor) throw new InputError(`image has an anchor (&${pair.value.anchor}) that other variables may use: publish would change them too; edit it by hand`, keyAt)
    for (const field of FIELDS) setField(pair.value, field, manifest[field])
    keepOnKeyLine(text, pair.key as Scalar, pair.value)
    next = splice(text, pair, render(pair, CRLF.test(text)))
  } else if (pair && (pair.value === null || isAlias(pair.value) || (isScalar(pair.value) && pair.value.value === null))) {
    // `image:` left empty, or an alias of another manifest: a mapping of its own takes its place.
    const fresh = new Pair(new Scalar('image'), manifestMap(manifest))
    next = splice(text, pair, render(fresh, CRLF.test(text)))
  } else if (pair) {
    const got = isScalar(pair.value) ? `a ${typeof pair.value.value}` : 'a list'
    throw new InputError(`image: expected the image manifest (a mapping), got ${got}: publish writes a mapping here; remove it or edit it by hand`, keyAt)
  } else {
    const eol = CRLF.test(text) ? '\r\n' : '\n'
    const fresh = new Pair(new Scalar('image'), manifestMap(manifest))
    const lead = text === '' ? '' : text.endsWith('\n') ? eol : `${eol}${eol}`
    next = `${text}${lead}${header.split('\n').map((l) => `# ${l}`.trimEnd()).join(eol)}${eol}${render(fresh, eol === '\r\n')}`
  }
  await mustRead(text, next, manifest, file)
  return next
}

const CRLF = /\r\n/

function manifestMap(manifest: ImageManifest): YAMLMap {
  const map = new YAMLMap()
  for (const field of FIELDS) setField(map, field, manifest[field])
  return map
}

// Updates a field in place (its comments stay), or adds it.
function setField(map: YAMLMap, field: string, value: string | number): void {
  const item = map.items.find((p) => isScalar(p.key) && p.key.value === field)
  const scalar = item && isScalar(item.value) ? item.value : new Scalar(value)
  scalar.value = value
  scalar.type = QUOTED.has(field) ? 'QUOTE_DOUBLE' : undefined
  if (item) item.value = scalar
  else map.items.push(new Pair(new Scalar(field), scalar))
}

// `image:   # a comment` keeps its comment on the key's line (the yaml package would move it below).
function keepOnKeyLine(text: string, key: Scalar, value: YAMLMap): void {
  const end = key.range![1]
  const rest = text.slice(end, text.indexOf('\n', end) >>> 0)
  if (!rest.includes('#') || !value.commentBefore) return
  const [first, ...more] = value.commentBefore.split('\n')
  key.comment = first
  value.commentBefore = more.length ? more.join('\n') : undefined
}

// The `image:` entry alone, as YAML text at the top level. The comments before its key and after its value are
// outside the text it replaces (splice), so they are not written again.
function render(pair: Pair, crlf: boolean): string {
  const key = pair.key as Scalar
  const value = pair.value as YAMLMap
  const [before, spaceBefore, after] = [key.commentBefore, key.spaceBefore, value.comment]
  key.commentBefore = undefined
  key.spaceBefore = undefined
  value.comment = undefined
  try {
    const single = new Document(null, { version: '1.1' })
    const map = new YAMLMap()
    map.items.push(pair)
    single.contents = map
    const out = single.toString({ lineWidth: 0 })
    return crlf ? out.replace(/\n/g, '\r\n') : out
  } finally {
    key.commentBefore = before
    key.spaceBefore = spaceBefore
    value.comment = after
  }
}

// The old entry's text, from its key to the end of its value, replaced by the new one.
function splice(text: string, pair: Pair, rendered: string): string {
  const start = (pair.key as Scalar).range![0]
  const node = pair.value as { range?: [number, number, number] } | null
  const end = node?.range?.[1] ?? (pair.key as Scalar).range![1]
  // A flow value or an empty one ends before its line does: what follows on the line (a comment) stays on it.
  const out = end > 0 && text[end - 1] !== '\n' ? rendered.replace(/\r?\n$/, '') : rendered
  return text.slice(0, start) + out + text.slice(end)
}

// The new text, read as an inventory reads it: every other variable as before, `image` the manifest (with any
// extra keys it had). Anything else is a bug here, and nothing is written.
async function mustRead(before: string, after: string, manifest: ImageManifest, file: string): Promise<void> {
  const read = async (text: string) => {
    const data = text.trim() === '' ? null : plain(await readYaml(text, file))
    return (data ?? {}) as Record<string, unknown>
  }
  const [old, now] = [await read(before), await read(after)]
  const { image: oldImage, ...oldRest } = old
  const { image: newImage, ...newRest } = now
  const extras = (v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).filter(([k]) => !(FIELDS as readonly string[]).includes(k))) : {})
  const wanted = { ...extras(oldImage), ...manifest }
  if (!isDeepStrictEqual(oldRest, newRest) || !isDeepStrictEqual(newImage, wanted)) {
    throw new InputError('could not set image here without changing anything else (labplay\'s YAML edit failed): set image by hand once, then publish', { file })
  }
}
