import { basename } from 'node:path'
import type { ReportData, RunRow } from './data.ts'
import { formatDuration } from '../output/text.ts'
import { cls, escapeHtml, maybeTime, plural, time } from './markup.ts'
import { roomView } from './room-view.ts'
import { CSS } from './style.ts'

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
${count('image-behind', c.imageBehind, 'image behind', 's-reboot')}
${c.neverRun ? count('never-run', c.neverRun, 'never run', 's-none') : ''}
</ul>
</header>
<main>
<section id="room-view">
${roomView(d)}
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
${d.images.map((v) => `<tr data-version="${escapeHtml(v.version)}"${v.version === newest ? ' class="newest"' : ''}><th scope="row">${escapeHtml(v.version)}${v.version === newest ? ' <span class="tag">newest</span>' : ''}</th><td class="num" data-count="${v.hosts.length}">${v.hosts.length}</td><td class="hostlist">${hostList(v.hosts)}</td></tr>`).join('\n')}
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

// A version's hosts: written out when few, folded (open it to read them) when a whole campus has it.
function hostList(hosts: string[]): string {
  const names = hosts.map(escapeHtml).join(', ')
  return hosts.length <= FOLD_HOSTS ? names : `<details><summary>${plural(hosts.length, 'host')}</summary>${names}</details>`
}

const FOLD_HOSTS = 30

function count(key: string, n: number, label: string, klass = ''): string {
  return `<li data-count="${key}" class="${klass}"><b>${n}</b> ${label}</li>`
}
