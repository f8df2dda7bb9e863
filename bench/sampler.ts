import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs'

// Sums the resident memory of every process in a network namespace: the controller namespace holds
// only the tool being measured (and Ansible's detached ControlPersist masters), so this is the
// controller's whole footprint, where GNU time's %M only sees the largest single process.
export function startRssSampler(ns: string, everyMs = 200): () => number {
  const inode = `net:[${statSync(`/run/netns/${ns}`).ino}]`
  let peakKb = 0
  const sample = () => {
    let total = 0
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue
      try {
        if (readlinkSync(`/proc/${entry}/ns/net`) !== inode) continue
        const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))
        if (m) total += Number(m[1])
      } catch { /* exited meanwhile */ }
    }
    peakKb = Math.max(peakKb, total)
  }
  const timer = setInterval(sample, everyMs)
  // Returns the peak in MB and stops sampling.
  return () => {
    clearInterval(timer)
    return peakKb / 1024
  }
}
