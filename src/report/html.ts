import { basename } from 'node:path'
import type { HostRow, ReportData, RoleCell, RunRow } from './data.ts'
import { formatDuration } from '../output/text.ts'

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

// ReportData → one self-contained page: inline CSS, no script, no fetch of any kind, so it opens from a
// USB stick or a mail attachment. Stable ids, classes and data-* attributes let tests (and scripts) read it.
export function renderReport(d: ReportData): string {
  const newest = d.images[0]?.version
  const c = d.counts
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="labplay report">
<title>labplay room report${d.pattern ? ` — ${escapeHtml(d.pattern)}` : ''}</title>
<style>${CSS}</style>
</head>
<body>
<header id="summary">
<h1>Room report${d.pattern ? ` <span class="pattern">${escapeHtml(d.pattern)}</span>` : ''}</h1>
<p class="meta">Generated ${time(d.generatedAt, d.generatedAt, true)} from <code id="records-file">${escapeHtml(d.records)}</code>${d.pattern ? `, hosts matching <code id="pattern">${escapeHtml(d.pattern)}</code>` : ''}.</p>
<ul class="counts">
${count('hosts', c.hosts, 'hosts')}
${count('ok', c.ok, 'ok', 's-ok')}
${count('failing', c.failing, 'failing', 's-failed')}
${count('unreachable', c.unreachable, 'unreachable', 's-unreachable')}
${count('reboot-pending', c.rebootPending, 'reboot pending', 's-reboot')}
${c.neverRun ? count('never-run', c.neverRun, 'never run', 's-none') : ''}
</ul>
</header>
<main>
<section id="room-view">
<h2>Room view</h2>
${d.hosts.length === 0 ? '<p class="empty">No recorded host matches.</p>' : roomTable(d, newest)}
${LEGEND}
</section>
<div class="columns">
<section id="reboot">
<h2>Pending a reboot <span class="n">${d.rebootPending.length}</span></h2>
${d.rebootPending.length === 0 ? '<p class="empty">None: every host runs its newest kernel.</p>' : `<table id="reboot-table"><thead><tr><th>Host</th><th>Running</th><th>Installed</th><th>Last contact</th></tr></thead><tbody>
${d.rebootPending.map((h) => `<tr data-host="${escapeHtml(h.host)}"><th scope="row">${escapeHtml(h.host)}</th><td>${escapeHtml(h.kernelRunning)}</td><td>${escapeHtml(h.kernelNewest)}</td><td>${maybeTime(h.contactAt, d.generatedAt)}</td></tr>`).join('\n')}
</tbody></table>`}
</section>
<section id="unreachable">
<h2>Unreachable last time <span class="n">${d.unreachable.length}</span></h2>
${d.unreachable.length === 0 ? '<p class="empty">None: every host answered its last run.</p>' : `<table id="unreachable-table"><thead><tr><th>Host</th><th>Since</th><th>Last contact</th><th>Message</th></tr></thead><tbody>
${d.unreachable.map((h) => `<tr data-host="${escapeHtml(h.host)}"><th scope="row">${escapeHtml(h.host)}</th><td>${maybeTime(h.lastRunAt, d.generatedAt)}</td><td>${maybeTime(h.contactAt, d.generatedAt)}</td><td class="message">${escapeHtml(h.lastMessage ?? '')}</td></tr>`).join('\n')}
</tbody></table>`}
</section>
<section id="images">
<h2>Image versions</h2>
${d.images.length === 0 ? '<p class="empty">No host has reported an image version.</p>' : `<table id="images-table"><thead><tr><th>Version</th><th>Hosts</th><th></th></tr></thead><tbody>
${d.images.map((v) => `<tr data-version="${escapeHtml(v.version)}"${v.version === newest ? ' class="newest"' : ''}><th scope="row">${escapeHtml(v.version)}${v.version === newest ? ' <span class="tag">newest</span>' : ''}</th><td class="num" data-count="${v.hosts.length}">${v.hosts.length}</td><td class="hostlist">${v.hosts.map(escapeHtml).join(', ')}</td></tr>`).join('\n')}
</tbody></table>
<p>Without the newest image (<b>${escapeHtml(newest)}</b>): <span id="lacking-image" data-count="${d.lackingNewestImage.length}">${d.lackingNewestImage.length === 0 ? 'none' : d.lackingNewestImage.map((h) => `<span class="chip" data-host="${escapeHtml(h)}">${escapeHtml(h)}</span>`).join(' ')}</span></p>`}
</section>
</div>
<section id="last-runs">
<h2>Last runs</h2>
${d.runs.length === 0 ? '<p class="empty">No runs.</p>' : runsTable(d.runs, d.generatedAt)}
</section>
</main>
<footer>labplay · ${plural(d.hosts.length, 'host')} · ${plural(d.roles.length, 'role')}</footer>
</body>
</html>
`
}

function roomTable(d: ReportData, newest: string | undefined): string {
  const head = `<tr><th scope="col">Host</th><th scope="col">Last run</th><th scope="col">Image</th><th scope="col">Kernel</th><th scope="col">Last contact</th>${d.roles.map((r) => `<th scope="col" class="role" data-role="${escapeHtml(r)}">${escapeHtml(r)}</th>`).join('')}</tr>`
  const rows = d.hosts.map((h) => hostRow(h, d, newest)).join('\n')
  return `<div class="scroll"><table id="room">
<thead>${head}</thead>
<tbody>
${rows}
</tbody>
</table></div>`
}

function hostRow(h: HostRow, d: ReportData, newest: string | undefined): string {
  const status = h.lastStatus ?? 'none'
  const statusCell = `<td data-col="status" data-status="${escapeHtml(status)}" class="s-${cls(status)}"${h.lastMessage ? ` title="${escapeHtml(h.lastMessage)}"` : ''}>${escapeHtml(h.lastStatus ?? 'never run')}${h.lastRunAt ? `<br>${time(h.lastRunAt, d.generatedAt)}` : ''}</td>`
  const imageClass = h.image === undefined ? 'image unknown' : h.image === newest ? 'image newest' : 'image old'
  const image = `<td data-col="image" class="${imageClass}">${h.image === undefined ? '—' : escapeHtml(h.image)}</td>`
  const kernel = `<td data-col="kernel" data-reboot="${h.rebootPending ? 'yes' : 'no'}"${h.rebootPending ? ` class="reboot" title="installed: ${escapeHtml(h.kernelNewest)}"` : ''}>${h.kernelRunning ? escapeHtml(h.kernelRunning) : '—'}${h.rebootPending ? ' <span class="tag">reboot pending</span>' : ''}</td>`
  const contact = `<td data-col="contact">${maybeTime(h.contactAt, d.generatedAt)}</td>`
  const roles = d.roles.map((r) => roleCell(r, h.roles[r], d.generatedAt)).join('')
  return `<tr data-host="${escapeHtml(h.host)}" data-status="${escapeHtml(status)}"><th scope="row">${escapeHtml(h.host)}</th>${statusCell}${image}${kernel}${contact}${roles}</tr>`
}

function roleCell(role: string, cell: RoleCell | undefined, now: string): string {
  if (!cell) return `<td class="role s-none" data-role="${escapeHtml(role)}" data-status="none"></td>`
  const success = cell.successAt ? time(cell.successAt, now) : '<span class="never">never succeeded</span>'
  const title = `${role}: ${cell.status} in run #${cell.lastRunId} (${cell.lastAt})${cell.successAt ? `; last success ${cell.successAt}` : ''}`
  return `<td class="role s-${cls(cell.status)}" data-role="${escapeHtml(role)}" data-status="${escapeHtml(cell.status)}" title="${escapeHtml(title)}"><span class="st">${escapeHtml(cell.status)}</span>${success}</td>`
}

function runsTable(runs: RunRow[], now: string): string {
  const rows = runs.map((r) => {
    const counts = Object.entries(r.statuses).map(([s, n]) => `<span class="s-${cls(s)} pill">${escapeHtml(n)} ${escapeHtml(s)}</span>`).join(' ')
    const length = r.endedAt ? formatDuration(Date.parse(r.endedAt) - Date.parse(r.startedAt)) : '<span class="never">unfinished</span>'
    const exit = r.exitCode === undefined ? '—' : escapeHtml(r.exitCode)
    return `<tr data-run="${escapeHtml(r.id)}"><td class="num">#${escapeHtml(r.id)}</td><td>${time(r.startedAt, now, true)}</td><td>${length}</td><td title="${escapeHtml(r.playbook)}">${escapeHtml(basename(r.playbook))}${r.check ? ' <span class="tag">check</span>' : ''}</td><td>${r.limit ? `<code>${escapeHtml(r.limit)}</code>` : '—'}</td><td>${escapeHtml(r.user)}</td><td data-col="hosts" data-count="${escapeHtml(r.hosts)}">${counts}</td><td class="num exit-${r.exitCode === undefined ? 'none' : r.exitCode === 0 ? 'ok' : 'bad'}" data-col="exit">${exit}</td></tr>`
  })
  return `<table id="runs"><thead><tr><th>Run</th><th>Started</th><th>Duration</th><th>Playbook</th><th>Limit</th><th>User</th><th>Hosts</th><th>Exit</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table>`
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

function count(key: string, n: number, label: string, klass = ''): string {
  return `<li data-count="${key}" class="${klass}"><b>${n}</b> ${label}</li>`
}

// A time as "2 h ago" (or the exact local time), with the exact UTC time in the title and datetime.
function time(iso: string, now: string, exact = false): string {
  const shown = exact ? iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC') : ago(iso, now)
  return `<time datetime="${escapeHtml(iso)}" title="${escapeHtml(iso)}">${escapeHtml(shown)}</time>`
}

function maybeTime(iso: string | undefined, now: string): string {
  return iso ? time(iso, now) : '—'
}

// Statuses become class names: only known ones, anything else is "other" (values come from a file).
function cls(status: string): string {
  return KNOWN.includes(status) ? status : 'other'
}

const KNOWN = ['ok', 'changed', 'failed', 'unreachable', 'skipped', 'interrupted', 'none']

const LEGEND = `<p class="legend" id="legend">
<span class="s-ok">ok</span> <span class="s-changed">changed</span> <span class="s-failed">failed</span>
<span class="s-unreachable">unreachable</span> <span class="s-skipped">skipped</span> <span class="s-interrupted">interrupted</span>
<span class="s-none">never run</span> · a role cell shows its last status and the time of its last success.</p>`

const CSS = `
:root { --ok: #d7efd8; --changed: #8fd19e; --failed: #f28b82; --unreachable: #bdbdbd; --skipped: #f4f4f4;
  --interrupted: #ffd08a; --line: #d9dde3; --ink: #1f2328; --muted: #5b636d; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink); background: #fafbfc; }
header, main, footer { padding: 0 24px; }
header { background: #fff; border-bottom: 1px solid var(--line); padding-top: 12px; padding-bottom: 12px; }
h1 { margin: 0 0 4px; font-size: 22px; }
h1 .pattern { font-weight: normal; color: var(--muted); }
h2 { font-size: 17px; margin: 20px 0 8px; }
h2 .n { color: var(--muted); font-weight: normal; }
.meta { margin: 0 0 8px; color: var(--muted); }
code { font: 12px ui-monospace, "DejaVu Sans Mono", monospace; background: #eef1f4; padding: 1px 4px; border-radius: 3px; }
.counts { list-style: none; display: flex; flex-wrap: wrap; gap: 8px; margin: 0; padding: 0; }
.counts li { border: 1px solid var(--line); border-radius: 6px; padding: 4px 12px; background: #fff; }
.counts li b { font-size: 18px; margin-right: 4px; }
.scroll { overflow-x: auto; width: fit-content; max-width: 100%; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
table { border-collapse: collapse; background: #fff; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; white-space: nowrap; }
thead th { background: #f0f2f5; font-weight: 600; position: sticky; top: 0; }
tbody th { font-weight: 600; }
#room td.role { min-width: 96px; font-size: 12px; border-left: 2px solid #fff; }
#room td.role .st { display: block; font-weight: 600; font-size: 13px; }
#room td[data-col] { font-size: 12px; }
.s-ok { background: var(--ok); } .s-changed { background: var(--changed); } .s-failed { background: var(--failed); }
.s-unreachable { background: var(--unreachable); } .s-skipped { background: var(--skipped); color: var(--muted); }
.s-interrupted { background: var(--interrupted); } .s-none { background: #fff; } .s-other { background: #e8e0f5; }
.s-reboot { background: #fff3c4; }
td.reboot { background: #fff3c4; }
td.image.old { background: #fff3c4; } td.image.newest { color: #1b5e20; font-weight: 600; }
.tag { display: inline-block; font-size: 11px; padding: 0 5px; border-radius: 8px; background: #ffe082; color: #5d4300; }
.newest .tag { background: #c8e6c9; color: #1b5e20; }
.never { color: var(--muted); font-style: italic; }
.legend { color: var(--muted); font-size: 12px; }
.legend span[class^="s-"], .pill { display: inline-block; padding: 0 6px; border-radius: 4px; border: 1px solid var(--line); color: var(--ink); }
.columns { display: flex; flex-wrap: wrap; gap: 0 32px; }
.columns section { flex: 0 1 auto; max-width: 100%; }
.columns table { border: 1px solid var(--line); }
td.message { white-space: normal; min-width: 220px; max-width: 420px; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
td.hostlist { white-space: normal; font-size: 12px; min-width: 200px; max-width: 360px; }
#images p { max-width: 480px; }
.chip { display: inline-block; padding: 0 6px; margin: 1px; border-radius: 4px; background: #fff3c4; border: 1px solid #f0d98a; font-size: 12px; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.exit-bad { color: #b3261e; font-weight: 600; }
.empty { color: var(--muted); }
footer { color: var(--muted); font-size: 12px; padding-top: 16px; padding-bottom: 24px; }
@media print { .scroll { overflow: visible; } body { background: #fff; } }
`
