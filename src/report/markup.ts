// Every value from the records file goes through this: host names, messages and playbook paths are
// whatever the inventory and the hosts said, and the page must never run or render them as markup.
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]!)
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

// How long ago, as a person reads a wall display: "just now", "12 min ago", "2 h ago", "3 d ago".
export function ago(iso: string, now: string): string {
  const s = (Date.parse(now) - Date.parse(iso)) / 1000
  if (!Number.isFinite(s)) return iso
  if (s < 60) return 'just now'
  if (s < 3600) return `${Math.floor(s / 60)} min ago`
  if (s < 48 * 3600) return `${Math.floor(s / 3600)} h ago`
  return `${Math.floor(s / 86400)} d ago`
}

// An ISO time as the page writes it out: 2026-11-27 12:00:00 UTC.
export function exact(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC')
}

// A time as "2 h ago" (or the exact time), with the exact UTC time in the title and datetime.
export function time(iso: string, now: string, exactly = false): string {
  return `<time datetime="${escapeHtml(iso)}" title="${escapeHtml(iso)}">${escapeHtml(exactly ? exact(iso) : ago(iso, now))}</time>`
}

// A time that may be unknown: "—" then.
export function maybeTime(iso: string | undefined, now: string): string {
  return iso ? time(iso, now) : '—'
}

// Statuses become class names: only known ones, anything else is "other" (values come from a file).
export function cls(status: string): string {
  return KNOWN.includes(status) ? status : 'other'
}

const KNOWN = ['ok', 'changed', 'failed', 'unreachable', 'skipped', 'interrupted', 'none']

// "1 host", "3 hosts".
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}
