import type { TaskRef } from '../engine/events.ts'

// Small text helpers shared by every view: durations, one-line messages, width fitting.

// `role : task`, as Ansible names a task that comes from a role.
export function taskLabel(ref: Pick<TaskRef, 'role' | 'name'>): string {
  return ref.role ? `${ref.role} : ${ref.name}` : ref.name
}

// Durations as people read them in a terminal: 850ms, 4.2s, 3m07s, 1h02m.
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`
  const s = Math.round(ms / 1000)
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}

// A message on one line: views that count rows cannot afford a stray newline, nor a tab's unknown width.
export function oneLine(message: string | undefined): string {
  return (message ?? '').replace(/\s*\r?\n\s*/g, ' ⏎ ').replace(/\t/g, ' ').trim()
}

// Cut plain text to a column budget, marking the cut so nobody mistakes it for the whole.
export function fit(text: string, width: number): string {
  if (width <= 0) return ''
  if (text.length <= width) return text
  return width === 1 ? '…' : `${text.slice(0, width - 1)}…`
}

// "1 host", "3 hosts": summary lines are read by people first.
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

// Sizes as people read them (decimal units, as disks are sold and as udpcast's progress prints them): 17.2 GB.
export function formatBytes(n: number): string {
  if (n < 1e3) return `${n} B`
  const [unit, size] = n >= 1e12 ? ['TB', 1e12] : n >= 1e9 ? ['GB', 1e9] : n >= 1e6 ? ['MB', 1e6] : ['kB', 1e3]
  return `${(n / size).toFixed(1)} ${unit}`
}

// Virtual disk sizes as qemu-img takes them (binary units): `--size 60G` is 60.0 GiB.
export function formatBinaryBytes(n: number): string {
  if (n < 1024) return `${n} B`
  const [unit, size] = n >= 2 ** 40 ? ['TiB', 2 ** 40] : n >= 2 ** 30 ? ['GiB', 2 ** 30] : n >= 2 ** 20 ? ['MiB', 2 ** 20] : ['KiB', 1024]
  return `${(n / size).toFixed(1)} ${unit}`
}
