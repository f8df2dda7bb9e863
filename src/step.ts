import { createInterface } from 'node:readline'
import type { TaskRef } from './engine/events.ts'
import { taskLabel } from './output/text.ts'
import { terminalText } from './output/terminal-text.ts'

// --step as ansible-playbook: before each task, once for all its hosts, asks `(N)o/(y)es/(c)ontinue`; no
// (or no answer: the input ended) skips the task, continue stops asking. Questions come one at a time.
export function stepper(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): (ref: TaskRef) => Promise<boolean> {
  const rl = createInterface({ input, terminal: false })
  const lines: string[] = []
  const waiting: Array<(line: string | undefined) => void> = []
  let ended = false
  rl.on('line', (line) => (waiting.length ? waiting.shift()!(line) : lines.push(line)))
  rl.on('close', () => {
    ended = true
    waiting.splice(0).forEach((w) => w(undefined))
  })
  const nextLine = () => new Promise<string | undefined>((resolve) => (lines.length ? resolve(lines.shift()) : ended ? resolve(undefined) : waiting.push(resolve)))
  // One answer per task of a play (its ref), whichever host reaches it first.
  const answers = new WeakMap<TaskRef, Promise<boolean>>()
  let queue: Promise<unknown> = Promise.resolve()
  let continuing = false
  return (ref) => {
    let answer = answers.get(ref)
    if (!answer) {
      answer = queue.then(async () => {
        if (continuing) return true
        // Task names come from playbooks and roles: input text, through the one boundary like every other line.
        output.write(terminalText(`Perform task: TASK: ${taskLabel(ref)} (N)o/(y)es/(c)ontinue: `))
        const line = (await nextLine())?.trim().toLowerCase()
        output.write('\n')
        if (line === 'c' || line === 'continue') continuing = true
        if (continuing) rl.close()
        return continuing || line === 'y' || line === 'yes'
      })
      queue = answer
      answers.set(ref, answer)
    }
    return answer
  }
}
