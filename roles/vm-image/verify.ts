import { imageFileName, STAMP_KEY, stampPath, type Host } from 'labplay'
import { imageLabel, type Settings } from './settings.ts'

const UDPCAST = 'run the udpcast role first (labplay site.yml -t udpcast)'

// The versioned file on this host: where udpcast puts the bytes and sessions read them.
export function imagePath(s: Settings, version = s.image.version): string {
  return `${s.imagesDir}/${imageFileName(s.image.name, version)}`
}

// qemu-img check's stamp: `.<file>.checked`.
const CHECKED = 'checked'

// The stamps kept beside an image: h.sha256's and qemu-img check's.
export function stampPaths(file: string): string[] {
  return [stampPath(file), stampPath(file, CHECKED)]
}

// The manifest's bytes (sha256 and size), then a sound standalone qcow2; this role never transfers an image.
export async function verifyImage(h: Host, s: Settings): Promise<void> {
  const path = imagePath(s)
  const label = imageLabel(s.image)
  const sum = await h.sha256(path)
  const problem = !sum
    ? `is missing on this host (${path})`
    : sum.size !== s.image.size
      ? `is wrong on this host (${path} has ${sum.size} bytes, the manifest says ${s.image.size})`
      : sum.sha256 !== s.image.sha256
        ? `is wrong on this host (${path} has sha256 ${sum.sha256}, the manifest says ${s.image.sha256})`
        : undefined
  if (problem) {
    if (h.check) h.skip(`image ${label} ${problem}; the udpcast role would bring it`)
    h.fail(`image ${label} ${problem}: ${UDPCAST}`)
  }
  await checkQcow2(h, path, label)
}

// `qemu-img check` reads the whole image: its verdict is stamped like h.sha256's, so a rerun stays fast.
async function checkQcow2(h: Host, path: string, label: string): Promise<void> {
  const stamp = stampPath(path, CHECKED)
  const out = await h.probe`p=${path} s=${stamp}
key=$(stat -c ${STAMP_KEY} -- "$p") || exit 1
echo "$key"
if [ -f "$s" ] && [ "$(cat -- "$s")" = "$key" ]; then echo cached; exit 0; fi
echo fresh
qemu-img info -U --output=json "$p" || exit 2
echo --
qemu-img check -U -q -f qcow2 "$p" >&2
echo "check=$?"`
  if (out.code !== 0) h.fail(`cannot inspect image ${label} (${path}): ${out.stderr.trim() || `exit ${out.code}`}`)
  const [key, state] = out.stdout.split('\n', 2)
  if (state === 'cached') return

  const body = out.stdout.slice(out.stdout.indexOf('fresh\n') + 6)
  const [json = '', tail = ''] = body.split('\n--\n')
  const info = JSON.parse(json) as { format?: string; 'backing-filename'?: string }
  if (info.format !== 'qcow2') h.fail(`image ${label} (${path}) is not a qcow2 image (qemu-img says ${info.format})`)
  if (info['backing-filename']) h.fail(`image ${label} (${path}) has a backing file (${info['backing-filename']}): a base image must stand alone`)
  const code = Number(/check=(\d+)/.exec(tail)?.[1] ?? -1)
  // 3: leaked clusters only, space lost but no data at risk.
  if (code === 3) h.warn(`image ${label}: qemu-img check found leaked clusters (harmless, space only)`)
  else if (code !== 0) h.fail(`image ${label} (${path}) fails qemu-img check (exit ${code}): ${out.stderr.trim().slice(-400)}`)
  if (!h.check) await h.probe`printf '%s\n' ${key} >${`${stamp}.tmp`} && mv -f -- ${`${stamp}.tmp`} ${stamp}`
}

// Nobody, root included by habit, writes to a base image: a write would reach every session. In check mode
// the image may still be to come (the udpcast role brings it).
export async function makeReadOnly(h: Host, path: string): Promise<void> {
  const st = await h.probe`stat -c '%a %U %G' -- ${path}`
  if (st.code !== 0 && h.check) h.skip(`${path} is not there yet`)
  if (st.code !== 0) h.fail(`cannot inspect ${path}: ${st.stderr.trim()}`)
  if (st.stdout.trim() === '444 root root') return
  await h.run`chown root:root -- ${path} && chmod 0444 -- ${path}`
  if (!h.check) h.changed(`made ${path} read-only (0444 root:root)`)
}
