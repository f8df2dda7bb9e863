import { createInterface } from 'node:readline'
import { Writable } from 'node:stream'

// Reads the sudo password without echo (from the terminal, or one line of stdin when piped).
export function askSecret(question: string): Promise<string> {
  const muted = new Writable({ write: (_chunk, _enc, done) => done() })
  process.stderr.write(question)
  const rl = createInterface({ input: process.stdin, output: muted, terminal: process.stdin.isTTY === true })
  return new Promise((resolve, reject) => {
    rl.once('line', (line) => {
      resolve(line)
      process.stderr.write('\n')
      rl.close()
    })
    rl.once('close', () => reject(new Error('no password given')))
  })
}
