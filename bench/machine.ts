import { cpus, freemem, loadavg, totalmem } from 'node:os'
import { run } from '../test/lab/run.ts'

// The machine a table came from: numbers from another machine are not comparable, so every report carries these.
export async function describeMachine(): Promise<Array<[string, string]>> {
  const out = async (file: string, args: string[]) => {
    const r = await run(file, args, { timeoutMs: 20_000 })
    return (r.stdout + r.stderr).trim().split('\n')[0] ?? ''
  }
  return [
    ['nproc', await out('nproc', [])],
    ['cpu', cpus()[0]?.model ?? '?'],
    ['memory (free -h: total / available)', (await out('bash', ['-c', "free -h | awk '/^Mem:/ {print $2 \" / \" $7}'"]))],
    ['kernel', await out('uname', ['-sr'])],
    ['node', process.version],
    ['ansible', await out('ansible-playbook', ['--version'])],
    ['openssh', await out('ssh', ['-V'])],
    ['udpcast', await out('bash', ['-c', "dpkg-query -W -f '${Version}' udpcast"])],
    ['load average at start (1/5/15 min)', loadavg().map((l) => l.toFixed(2)).join(' ')],
    ['free memory at start', `${(freemem() / 2 ** 30).toFixed(1)} GiB of ${(totalmem() / 2 ** 30).toFixed(1)} GiB`],
  ]
}

// The 1-minute load average now: printed beside each part, since other work on the machine skews the numbers.
export const loadNow = (): string => loadavg()[0]!.toFixed(2)
