import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

// What a real terminal (tmux) made of a program's output: every byte it was sent, the screen and its
// scrollback as text (and with attributes), the pane's title, and the paste buffers OSC 52 created.
export interface PaneResult {
  code: number
  bytes: Buffer
  text: string
  attributed: string
  title: string
  buffers: string
}

// Runs argv (no shell) in a fresh tmux server of its own (own socket, no config), which ends with it. The pane
// stays after the program ends, OSC 52 may create a paste buffer, and the program starts only once every byte it
// writes is being captured. The exit status comes from a file the pane's shell writes: tmux 3.3 sometimes leaves a
// pane's ended process unreaped, so #{pane_dead} cannot be waited for.
export async function inTmux(argv: string[], opts: { cwd: string; columns?: number; rows?: number; timeoutMs?: number }): Promise<PaneResult> {
  const socket = `labplay-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`
  const dir = mkdtempSync(join(tmpdir(), 'labplay-tmux-'))
  const tmux = (...args: string[]): Promise<string> => new Promise((resolve, reject) => {
    execFile('tmux', ['-L', socket, '-f', '/dev/null', ...args], { timeout: 10_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`tmux ${args[0]}: ${stderr || err.message}`)) : resolve(stdout))
  })
  const go = join(dir, 'go')
  const raw = join(dir, 'raw')
  const status = join(dir, 'status')
  writeFileSync(raw, '')
  const gate = `i=0; while [ ! -e "$1" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; s=$2; shift 2; "$@"; echo $? > "$s.tmp" && mv "$s.tmp" "$s"`
  const timeoutMs = opts.timeoutMs ?? 120_000
  try {
    await tmux('new-session', '-d', '-x', String(opts.columns ?? 180), '-y', String(opts.rows ?? 50), '-c', opts.cwd, 'sh', '-c', gate, 'gate', go, status, ...argv)
    for (const [option, value] of [['remain-on-exit', 'on'], ['set-clipboard', 'on'], ['history-limit', '20000']] as const) await tmux('set-option', '-g', option, value)
    await tmux('pipe-pane', '-o', `cat >> ${raw}`)
    writeFileSync(go, '')
    const until = Date.now() + timeoutMs
    while (Date.now() < until && !existsSync(status)) await sleep(100)
    if (!existsSync(status)) {
      const screen = await tmux('capture-pane', '-p', '-J', '-S', '-')
      throw new Error(`${JSON.stringify(argv)} still running after ${timeoutMs} ms; screen:\n${JSON.stringify(screen.trimEnd())}`)
    }
    // tmux may still be reading the last bytes from the pane, and the pipe's cat writing them.
    await sleep(300)
    const capture = (...flags: string[]) => tmux('capture-pane', '-p', '-J', '-S', '-', '-E', '-', ...flags)
    return {
      code: Number(readFileSync(status, 'utf8')),
      bytes: readFileSync(raw),
      text: await capture(),
      attributed: await capture('-e'),
      title: (await tmux('display-message', '-p', '#{pane_title}')).trim(),
      buffers: await tmux('list-buffers', '-F', '#{buffer_name}: #{buffer_sample}'),
    }
  } finally {
    await tmux('kill-server').catch(() => undefined)
    rmSync(dir, { recursive: true, force: true })
  }
}
