import test from 'ava'
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { checksum } from '../../src/sdk/checksum.ts'
import { absent } from '../../src/sdk/primitives/absent.ts'
import { directory } from '../../src/sdk/primitives/directory.ts'
import { file } from '../../src/sdk/primitives/file.ts'
import { symlink } from '../../src/sdk/primitives/symlink.ts'
import type { PrimitiveIO } from '../../src/sdk/primitives/types.ts'
import { bash, fakeIO, tempDir } from './primitive-harness.ts'
import { seatAnswer, type Seat } from './role-seat.ts'

// The seat the role tests describe answers a primitive's probe as bash does on the same files: the probe each
// primitive sends (caught by a recording IO) runs in a temporary folder, and the seat answers it too.

// The first command a primitive sends, whatever it is answered.
async function probeOf(call: (io: PrimitiveIO) => Promise<unknown>): Promise<string> {
  const io = fakeIO(['absent\n'], { check: true, diff: true })
  await call(io).catch(() => undefined)
  return io.calls[0]!.command
}

// A stat line without its owner fields (the test may not run as root): kind, mode, size.
const comparable = (stdout: string) => stdout.split('\n').map((line) => line.split('\t')).map((f) => (f.length === 7 ? [f[0], f[1], f[6]] : f).join('\t')).join('\n')

const agrees = test.macro({
  async exec(t, call: (dir: string) => (io: PrimitiveIO) => Promise<unknown>, seat: (dir: string) => Seat) {
    const { dir, cleanup } = tempDir()
    t.teardown(cleanup)
    const s = seat(dir)
    for (const [path, content] of Object.entries(s.files ?? {})) {
      writeFileSync(path, typeof content === 'string' ? content : content.content)
      if (typeof content !== 'string' && content.mode) chmodSync(path, parseInt(content.mode, 8))
    }
    for (const path of Array.isArray(s.dirs) ? s.dirs : []) mkdirSync(path, { recursive: true, mode: 0o755 })
    for (const [path, target] of Object.entries(s.links ?? {})) symlinkSync(target, path)
    const command = await probeOf(call(dir))
    const real = bash(command)
    const fake = seatAnswer(s, command, 'systemd')
    t.truthy(fake, `the seat does not answer ${command.split('\n')[0]}`)
    if (command.includes('echo missing')) t.deepEqual(fake!.stdout.split('\n')[0], real.stdout.split('\n')[0], 'the sum')
    else t.is(comparable(fake!.stdout), comparable(real.stdout))
    t.is(fake!.code, real.code)
  },
  title: (title = '') => `the seat answers as bash: ${title}`,
})

const F = (dir: string) => join(dir, "it's a file")
test('file probe, file present', agrees, (d) => (io) => file(io, F(d), { content: 'new' }), (d) => ({ files: { [F(d)]: { content: 'hello\n', mode: '640' } } }))
test('file probe, diff mode reads the content', agrees, (d) => (io) => file(io, F(d), { content: 'new' }), (d) => ({ files: { [F(d)]: 'line one\nline two\n' } }))
test('file probe, metadata only (unhashed)', agrees, (d) => (io) => file(io, F(d), { mode: '0600' }), (d) => ({ files: { [F(d)]: 'x' } }))
test('file probe, absent', agrees, (d) => (io) => file(io, F(d), { content: 'new' }), () => ({}))
test('file probe, a folder there', agrees, (d) => (io) => file(io, join(d, 'sub'), { content: 'new' }), (d) => ({ dirs: [join(d, 'sub')] }))
test('directory probe, present', agrees, (d) => (io) => directory(io, join(d, 'a b')), (d) => ({ dirs: [join(d, 'a b')] }))
test('directory probe, absent', agrees, (d) => (io) => directory(io, join(d, 'nope')), () => ({}))
test('directory probe, through a link', agrees, (d) => (io) => directory(io, join(d, 'link')), (d) => ({ dirs: [join(d, 'real')], links: { [join(d, 'link')]: join(d, 'real') } }))
test('absent probe, present', agrees, (d) => (io) => absent(io, F(d)), (d) => ({ files: { [F(d)]: 'x' } }))
test('absent probe, absent', agrees, (d) => (io) => absent(io, F(d)), () => ({}))
test('symlink probe, a link', agrees, (d) => (io) => symlink(io, join(d, 'l'), 'target'), (d) => ({ links: { [join(d, 'l')]: 'elsewhere' } }))
test('symlink probe, a file there', agrees, (d) => (io) => symlink(io, join(d, 'l'), 'target'), (d) => ({ files: { [join(d, 'l')]: 'x' } }))
test('symlink probe, nothing', agrees, (d) => (io) => symlink(io, join(d, 'l'), 'target'), () => ({}))
test('checksum, a file', agrees, (d) => (io) => checksum(io, F(d)), (d) => ({ files: { [F(d)]: 'image bytes' } }))
test('checksum, missing', agrees, (d) => (io) => checksum(io, F(d)), () => ({}))
