import { spawn } from 'node:child_process'
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs'
import { realpath, stat } from 'node:fs/promises'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { InputError } from '../../errors.ts'
import { chooseAccel } from '../../image/accel.ts'
import { editArgs, editCpus, editMemoryMb } from '../../image/edit-vm.ts'
import { groupVarsOf, publishedAs } from '../../image/published.ts'
import { imageInfo } from '../../image/qemu-img.ts'
import { Qmp } from '../../image/qmp.ts'
import { flag, helpLines, list, onePositional, parseTable, text, whole } from '../../option-table.ts'
import { openProject } from '../project.ts'
import { done, refuseWriters, say, warn, type Interrupts } from './common.ts'

const OPTIONS = {
  iso: list(['--iso'], 'FILE', 'an installer or driver ISO (repeatable: Windows, then virtio-win); the first boots once'),
  vnc: flag(['--vnc'], "the screen over VNC on 127.0.0.1 only (for an admin at another desk: ssh -L), instead of a window"),
  memory: whole(['--memory'], 'MIB', "guest RAM: half of this machine's, at most 4096", editMemoryMb(totalmem() / 2 ** 20)),
  cpus: whole(['--cpus'], 'N', 'guest CPUs', editCpus(cpus().length)),
  dir: text(['--dir'], 'DIR', 'where NAME.qcow2 is (default the current folder)', { nonEmpty: true }),
  inventory: text(['-i', '--inventory'], 'SRC', "the inventory whose published versions are refused (default a run's:\nansible.cfg's, else ./inventory, else /etc/ansible/hosts)", { nonEmpty: true }),
  help: flag(['-h', '--help'], ''),
}

export const EDIT_USAGE = `usage: labplay image edit NAME|FILE [--iso ISO]… [--vnc] [--memory MIB] [--cpus N]

Boots a master disk read-write under QEMU to install and configure Windows: in a window, or with --vnc on
127.0.0.1 (it prints how to reach it). KVM when kvm-module's test guest runs under it here, else software
emulation with a warning. Ends when the guest powers off; Ctrl-C presses the power button (ACPI), a second
Ctrl-C stops QEMU at once. A published version is refused (the seats verify its bytes): edit a copy,
labplay image new NAME --from FILE. The seats run the disk on virtio: give the virtio-win ISO too.

${helpLines(OPTIONS, 22)}`

// How long QEMU has to open its monitor once started.
const MONITOR_TIMEOUT_MS = 15_000

// `labplay image edit …` → exit code: QEMU's, once the guest is off.
export async function main(argv: string[], run: Interrupts): Promise<number> {
  const { values: o, positionals } = parseTable(OPTIONS, argv, 'labplay image edit --help')
  if (o.help) return done(EDIT_USAGE)
  const name = onePositional(positionals, 'image edit: which disk? (labplay image edit NAME, or a FILE)', 'image edit boots one disk')
  const disk = await diskFile(name, o.dir)
  await refusePublished(disk, o.inventory)
  try {
    accessSync(disk, constants.W_OK)
  } catch {
    throw new InputError(`${disk} is read-only: a published image stays as published; edit a copy (labplay image new NAME --from ${disk})`)
  }
  refuseWriters(disk, 'is it being edited already?')
  const info = await imageInfo(disk)
  const isos = await Promise.all(o.iso.map(async (iso) => {
    const path = resolve(iso)
    if (!(await stat(path).catch(() => undefined))?.isFile()) throw new InputError(`--iso ${iso}: no such file`)
    return path
  }))
  if (!o.vnc && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) throw new InputError('no graphical display here ($DISPLAY is not set): give --vnc to reach the guest from your desk')

  const accel = await chooseAccel()
  if (accel.warning) warn(accel.warning)
  const dir = mkdtempSync(join(tmpdir(), 'labplay-edit-'))
  const monitor = join(dir, 'qmp.sock')
  const args = editArgs({ disk, format: info.format, isos, memoryMb: o.memory, cpus: o.cpus, accel: accel.args, display: o.vnc ? 'vnc' : 'gtk', monitor })
  // Its own process group: Ctrl-C at the terminal reaches labplay, which asks the guest to shut down.
  const qemu = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'inherit', 'inherit'], detached: true })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    qemu.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ENOENT' ? new InputError('qemu-system-x86_64 is not installed (Debian: apt-get install qemu-system-x86 qemu-system-gui)') : err))
    qemu.once('exit', (code, signal) => resolve({ code, signal }))
  })
  // A second Ctrl-C makes labplay leave at once: QEMU goes with it (SIGTERM: it closes the disk cleanly).
  const leave = () => {
    if (qemu.exitCode === null && qemu.signalCode === null) qemu.kill('SIGTERM')
    rmSync(dir, { recursive: true, force: true })
  }
  process.once('exit', leave)
  try {
    const qmp = await Promise.race([Qmp.connect(monitor, MONITOR_TIMEOUT_MS, () => qemu.exitCode === null), exited.then(() => undefined)])
    const shown = relative(process.cwd(), disk) || disk
    const what = [`${o.memory} MiB`, `${o.cpus} CPU${o.cpus === 1 ? '' : 's'}`, accel.kvm ? 'KVM' : 'TCG', ...isos.map((i) => `ISO ${i}`)]
    say(`editing ${shown} read-write (${what.join(', ')})\n`)
    if (qmp && o.vnc) say(await vncLine(qmp))
    if (qmp) {
      say('shut the guest down to finish; Ctrl-C presses its power button, a second Ctrl-C stops it at once\n')
      run.takeInterrupts()
      run.signal.addEventListener('abort', () => void powerButton(qmp), { once: true })
    }
    const end = await exited
    qmp?.close()
    return ended(end, shown)
  } finally {
    process.removeListener('exit', leave)
    leave()
  }
}

// NAME is DIR/NAME.qcow2 (the name `image new` gave it); a path names the file itself.
async function diskFile(name: string, dir: string | undefined): Promise<string> {
  const path = name.includes('/') || name.endsWith('.qcow2') ? resolve(name) : join(resolve(dir ?? '.'), `${name}.qcow2`)
  const real = await realpath(path).catch(() => undefined)
  if (!real || !(await stat(real)).isFile()) throw new InputError(`${path} does not exist (labplay image new ${name} --size 60G makes it)`)
  return real
}

// Published versions are listed in the inventory's histories: edit refuses them, whatever their mode says.
async function refusePublished(disk: string, inventory: string | undefined): Promise<void> {
  const project = await openProject({ inventory: inventory ? [inventory] : [], vaultIds: [], vaultPasswordFiles: [], askVaultPass: false }, 'optional')
  const [source] = project.sources
  if (source === undefined) return warn("no inventory (-i, ansible.cfg's, ./inventory or /etc/ansible/hosts): cannot tell whether this disk is a published version")
  const groupVars = await groupVarsOf(source, process.cwd())
  const published = groupVars === undefined ? undefined : await publishedAs(disk, groupVars)
  if (published) {
    const { entry, group } = published
    throw new InputError(`${disk} is ${entry.image.name} ${entry.image.version}, published for group ${group} (${entry.at}): the seats verify those bytes, so it is never edited; make the next version from a copy: labplay image new NAME --from ${disk}`)
  }
}

// Where VNC listens, and how an admin at another desk gets there.
async function vncLine(qmp: Qmp): Promise<string> {
  const vnc = (await qmp.execute('query-vnc')) as { host?: string; service?: string }
  const port = vnc.service ?? '?'
  return `VNC on ${vnc.host ?? '127.0.0.1'}:${port} (this machine only); from your desk: ssh -L ${port}:127.0.0.1:${port} <this machine>, then a VNC viewer on localhost:${port}\n`
}

async function powerButton(qmp: Qmp): Promise<void> {
  await qmp.execute('system_powerdown').catch(() => undefined)
  say('asked the guest to shut down (its power button); Ctrl-C again stops it at once, as pulling the plug would\n')
}

function ended(end: { code: number | null; signal: NodeJS.Signals | null }, shown: string): number {
  if (end.code === 0) return done(`the guest is off: ${shown} is saved\nnext: labplay image publish ${shown} --name NAME --version VERSION\n`)
  throw new Error(`QEMU ended ${end.signal ? `by signal ${end.signal}` : `with exit code ${end.code}`}: see its message above`)
}
