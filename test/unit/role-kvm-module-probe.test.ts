import test from 'ava'
import { execFile, spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

// labplay-kvm-probe without KVM: its guest is its source's bytes, and each way QEMU can end maps to one line.
// A stand-in QEMU under -accel tcg (no /dev/kvm needed); the real guest under KVM and TCG runs in test/role-kvm-module.test.ts.

const FILES = fileURLToPath(new URL('../../roles/kvm-module/files/', import.meta.url))
const PROBE = join(FILES, 'labplay-kvm-probe')

const work = mkdtempSync(join(tmpdir(), 'labplay-kvm-probe-test-'))
test.after.always(() => rmSync(work, { recursive: true, force: true }))
// The probe needs no more than these (and bash); a PATH of them and the stand-in has no real QEMU.
const BASH = spawnSync('bash', ['-c', 'command -v bash'], { encoding: 'utf8' }).stdout.trim()
const TOOLS = ['base64', 'cat', 'cut', 'grep', 'head', 'mkdir', 'mktemp', 'mv', 'rm', 'sleep', 'stat', 'tail', 'tr', 'uname']
const tools = join(work, 'tools')
mkdirSync(tools)
for (const tool of TOOLS) symlinkSync(spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim(), join(tools, tool))

test('the guest shipped in the probe is kvm-probe-guest.S assembled, 512 bytes ending with the reset vector', (t) => {
  const object = join(work, 'guest.o')
  const binary = join(work, 'guest.bin')
  const gcc = spawnSync('gcc', ['-c', '-o', object, join(FILES, 'kvm-probe-guest.S')], { encoding: 'utf8' })
  t.is(gcc.status, 0, gcc.stderr)
  const ld = spawnSync('ld', ['-Ttext=0x7c00', '--oformat', 'binary', '-e', '_start', '-o', binary, object], { encoding: 'utf8' })
  t.is(ld.status, 0, ld.stderr)
  const shipped = Buffer.from(/^GUEST=(\S+)$/m.exec(readFileSync(PROBE, 'utf8'))![1]!, 'base64')
  t.deepEqual(shipped, readFileSync(binary))
  t.is(shipped.length, 512)
  t.deepEqual([...shipped.subarray(0x1f0, 0x1f5)], [0xea, 0x00, 0xfe, 0x00, 0xf0], 'ljmp F000:FE00 at F000:FFF0')
})

// A stand-in for qemu-system-x86_64: writes SERIAL to the -serial file and STDERR (LATER 0.2 s after) to stderr, then sleeps or exits.
const FAKE = `#!/bin/bash
for a; do case $a in file:*) serial=\${a#file:} ;; esac; done
echo $$ > "$FAKE_DIR/pid"
printf '%s' "$*" > "$FAKE_DIR/args"
printf "$FAKE_SERIAL" > "$serial"
printf "$FAKE_STDERR" >&2
[ -n "$FAKE_LATER" ] && sleep 0.2 && printf "$FAKE_LATER" >&2
[ "$FAKE_EXIT" = sleep ] && exec sleep 30
exit "$FAKE_EXIT"
`

interface Fake {
  serial: string
  stderr?: string
  later?: string
  exit: number | 'sleep'
}

// Asynchronous, so the slow cases (3 s and 5 s timeouts) run side by side.
async function probe(accel: string, fake: Fake | undefined, more: Record<string, string> = {}) {
  const dir = mkdtempSync(join(work, 'run-'))
  const bin = join(dir, 'bin')
  const tmp = join(dir, 'tmp')
  mkdirSync(bin)
  mkdirSync(tmp)
  if (fake) {
    writeFileSync(join(bin, 'qemu-system-x86_64'), FAKE)
    chmodSync(join(bin, 'qemu-system-x86_64'), 0o755)
  }
  const env = {
    PATH: `${bin}:${tools}`,
    TMPDIR: tmp,
    FAKE_DIR: dir,
    FAKE_SERIAL: fake?.serial ?? '',
    FAKE_STDERR: fake?.stderr ?? '',
    FAKE_LATER: fake?.later ?? '',
    FAKE_EXIT: String(fake?.exit ?? 0),
    ...more,
  }
  const started = Date.now()
  const r = await new Promise<{ status: number | null; stdout: string }>((resolve) => {
    const child = execFile(BASH, [PROBE, accel], { env, encoding: 'utf8' }, (_error, stdout) => resolve({ status: child.exitCode, stdout }))
  })
  const read = (name: string) => {
    try {
      return readFileSync(join(dir, name), 'utf8')
    } catch {
      return ''
    }
  }
  return { code: r.status, line: r.stdout, ms: Date.now() - started, tmpLeft: readdirSync(tmp), pid: Number(read('pid')), args: read('args') }
}

const alive = (pid: number) => spawnSync('kill', ['-0', String(pid)]).status === 0

const cases: Array<[string, string, Fake, number, RegExp]> = [
  ['every step and the exit device', 'tcg', { serial: 'RPLCXW.\\n', exit: 33 }, 0, /^ok \d+ RPLCXW\n$/],
  ['a CPU without xsave skips X', 'tcg', { serial: 'RPLCW.\\n', exit: 33 }, 0, /^ok \d+ RPLCW\n$/],
  ['a KVM internal error: QEMU pauses, the probe stops at once', 'tcg',
    { serial: 'RPLC', stderr: 'KVM internal error. Suberror: 1\\nextra data[0]: 0x0000000000000001\\nemulation failure\\nRAX=0000000000000000\\nCode=ee <f0> 48\\n', exit: 'sleep' },
    1, /^fail \d+ RPLC stopped at lock cmpxchg16b: KVM internal error\. Suberror: 1 \(emulation failure\)\n$/],
  ['a KVM internal error whose details QEMU writes a moment later: the probe waits for them', 'tcg',
    { serial: 'RPLC', stderr: 'KVM internal error. Suberror: 1\\n', later: 'extra data[0]: 0x1\\nemulation failure\\nRAX=0\\nCode=ee <f0> 48\\n', exit: 'sleep' },
    1, /^fail \d+ RPLC stopped at lock cmpxchg16b: KVM internal error\. Suberror: 1 \(emulation failure\)\n$/],
  ['a failed VM entry', 'tcg', { serial: 'RP', stderr: 'KVM: entry failed, hardware error 0x80000021\\n', exit: 'sleep' },
    1, /^fail \d+ RP stopped entering long mode: KVM: entry failed, hardware error 0x80000021\n$/],
  ['a triple fault (QEMU exits 0 under -no-reboot)', 'tcg', { serial: 'RPLCX', exit: 0 }, 1, /^fail \d+ RPLCX stopped at xsave: the guest reset \(triple fault\)\n$/],
  ['KVM refused by QEMU before the guest ran', 'tcg', { serial: '', stderr: 'qemu-system-x86_64: -accel kvm: failed to initialize kvm: Invalid argument\\n', exit: 1 },
    1, /^fail \d+ - stopped before its first instruction: QEMU exited 1: qemu-system-x86_64: -accel kvm: failed to initialize kvm: Invalid argument\n$/],
  ['QEMU that cannot start the guest at all: no verdict on KVM', 'tcg',
    { serial: '', stderr: "qemu-system-x86_64: -device isa-debug-exit: 'isa-debug-exit' is not a valid device model name\\n", exit: 1 },
    2, /^error \d+ QEMU exited 1: qemu-system-x86_64: -device isa-debug-exit: 'isa-debug-exit' is not a valid device model name\n$/],
]

for (const [title, accel, fake, code, line] of cases) {
  test(`${title} → ${line.source.split(' ')[0]!.slice(1)}`, async (t) => {
    const r = await probe(accel, fake)
    t.is(r.code, code, r.line)
    t.regex(r.line, line)
    t.true(r.ms < 2000, `${r.ms} ms`)
    t.deepEqual(r.tmpLeft, [], 'its temporary folder is gone')
    t.false(alive(r.pid), 'QEMU is stopped')
  })
}

test('a guest that never finishes is stopped 3 s after its first step, at the step it was taking', async (t) => {
  const r = await probe('tcg', { serial: 'RPLCXW', exit: 'sleep' })
  t.is(r.code, 1)
  t.regex(r.line, /^fail \d+ RPLCXW stopped in its 2M-iteration loop: still running after 3 s\n$/)
  t.true(r.ms >= 3000 && r.ms < 4500, `${r.ms} ms`)
  t.false(alive(r.pid))
  t.deepEqual(r.tmpLeft, [])
})

test('a QEMU that never shows the guest is given 5 s to start it (a busy seat), then stopped', async (t) => {
  const r = await probe('tcg', { serial: '', exit: 'sleep' })
  t.is(r.code, 1)
  t.regex(r.line, /^fail \d+ - stopped before its first instruction: no output 5 s after QEMU started\n$/)
  t.true(r.ms >= 5000 && r.ms < 6500, `${r.ms} ms`)
  t.false(alive(r.pid))
})

test('QEMU runs the 64 KiB firmware on q35 with the CPU labvm uses under TCG, headless, without reboot', async (t) => {
  t.regex((await probe('tcg', { serial: 'RPLCXW.', exit: 33 })).args,
    /^-machine q35 -accel tcg -cpu max -m 16 -smp 1 -nodefaults -no-user-config -display none -monitor none -no-reboot -bios \S+\/bios\.bin -serial file:\S+ -device isa-debug-exit,iobase=0xf4,iosize=4$/)
})

test('no QEMU, or a wrong accelerator: said at once', async (t) => {
  const none = await probe('tcg', undefined)
  t.is(none.code, 3)
  t.is(none.line, 'no-qemu\n')
  const wrong = await probe('hvf', { serial: '', exit: 0 })
  t.is(wrong.code, 64)
  t.is(wrong.line, '')
})

test('a verdict is kept for the boot: the next probe answers from it without starting QEMU; read-only mode never writes it', async (t) => {
  const cache = join(work, 'run-cache', 'labplay', 'kvm-probe.tcg')
  // One QEMU binary for all four probes: the verdict is keyed by the binary too.
  const bin = join(work, 'cache-bin')
  mkdirSync(bin)
  writeFileSync(join(bin, 'qemu-system-x86_64'), FAKE)
  chmodSync(join(bin, 'qemu-system-x86_64'), 0o755)
  const kept = { LABPLAY_KVM_PROBE_CACHE: cache, PATH: `${bin}:${tools}` }
  const fail = { serial: 'RPLCX', exit: 0 } as const
  const readOnly = await probe('tcg', fail, { ...kept, LABPLAY_KVM_PROBE_WRITE: '0' })
  t.is(readOnly.code, 1)
  t.throws(() => readFileSync(cache), undefined, 'check mode writes no verdict')
  const first = await probe('tcg', fail, kept)
  t.regex(first.line, /^fail \d+ RPLCX stopped at xsave/)
  t.true(first.pid > 0, 'QEMU ran')
  const again = await probe('tcg', { serial: 'RPLCXW.', exit: 33 }, kept)
  t.is(again.code, 1)
  t.is(again.line, first.line, 'the kept verdict, not the stand-in QEMU that would now pass')
  t.is(again.pid, 0, 'QEMU did not start')
  writeFileSync(cache, `tcg another-boot\n${first.line}`)
  const rebooted = await probe('tcg', { serial: 'RPLCXW.', exit: 33 }, kept)
  t.regex(rebooted.line, /^ok \d+ RPLCXW\n$/, 'after a reboot (another key) it measures again')
})
