import type { HostRow, ReportData, RoleCell } from './data.ts'
import { ago, cls, escapeHtml, exact, plural } from './markup.ts'
import type { Room, Seat } from './rooms.ts'

// The room view: a block per room, a tile per seat at its place in the room's grid, coloured by the host's
// last status, with badges and a strip of one small cell per role (hover a cell, or the tile, for detail).
// Tiles are sized in CSS (style.ts) so that 250 seats in rooms of up to 30 fit a 1400×900 screen.
export function roomView(d: ReportData): string {
  const head = `<div class="room-head"><h2>Room view <span class="n">${plural(d.rooms.filter((r) => r.from !== 'none').length, 'room')}</span></h2>`
  if (d.hosts.length === 0) return `${head}</div>\n<p class="empty">No recorded host matches.</p>`
  const byHost = new Map(d.hosts.map((h) => [h.host, h]))
  return `${head}
${legend(d.roles)}</div>
<div class="rooms" id="rooms">
${d.rooms.map((r) => roomBlock(r, byHost, d)).join('\n')}
</div>`
}

// The badges, in the order a tile shows them: what each means is in the legend and the badge's title.
export const BADGES = {
  'image-behind': { glyph: '↓', label: 'image behind' },
  'reboot-pending': { glyph: '↻', label: 'reboot pending' },
  unreachable: { glyph: '✕', label: 'unreachable' },
} as const

type Badge = keyof typeof BADGES

function roomBlock(room: Room, byHost: Map<string, HostRow>, d: ReportData): string {
  const hosts = room.seats.map((s) => byHost.get(s.host)!)
  const tally = (status: string) => hosts.filter((h) => h.lastStatus === status).length
  const flags = [['failed', tally('failed')], ['unreachable', tally('unreachable')]]
    .filter(([, n]) => n)
    .map(([s, n]) => ` <span class="pill s-${s}">${n} ${s}</span>`)
    .join('')
  const name = room.from === 'none' ? 'Not in a room' : escapeHtml(room.name)
  const from = room.from === 'names'
    ? ' <span class="from" title="no inventory group seats these hosts: grouped by their names">by name</span>'
    : room.from === 'none' ? ' <span class="from" title="in no inventory group that seats hosts, and not named like a seat">other hosts</span>' : ''
  const grid = `grid-template-columns:repeat(${room.cols},var(--tile-w));grid-template-rows:repeat(${room.rows},var(--tile-h))`
  const problems = room.problems.length ? `\n<ul class="problems">${room.problems.map((p) => `<li>${escapeHtml(p)}</li>`).join('')}</ul>` : ''
  return `<section class="room" data-room="${escapeHtml(room.name)}" data-from="${room.from}" data-seats="${hosts.length}">
<h3><span class="room-name">${name}</span>${from} <span class="n">${plural(hosts.length, 'seat')}</span>${flags}</h3>
<div class="seats" style="${grid}">
${room.seats.map((s) => tile(s, byHost.get(s.host)!, d)).join('\n')}
</div>${problems}
</section>`
}

function tile(seat: Seat, h: HostRow, d: ReportData): string {
  const status = h.lastStatus ?? 'none'
  const newest = d.images[0]?.version
  const badges: Array<[Badge, string]> = []
  if (h.imageBehind) badges.push(['image-behind', `image ${h.image}, the newest is ${newest}`])
  if (h.rebootPending) badges.push(['reboot-pending', `reboot pending: running ${h.kernelRunning}, installed ${h.kernelNewest}`])
  if (status === 'unreachable') badges.push(['unreachable', `unreachable in run #${h.lastRunId}${h.lastMessage ? `: ${firstLine(h.lastMessage)}` : ''}`])
  const marks = badges.map(([b, title]) => `<span class="badge b-${b}" data-badge="${b}" title="${escapeHtml(title)}">${BADGES[b].glyph}</span>`).join('')
  const roles = d.roles.map((r) => roleCell(r, h.roles[r], d.generatedAt)).join('')
  const place = `data-row="${seat.row}" data-col="${seat.col}"${seat.positioned ? ' data-positioned="yes"' : ''} style="grid-area:${seat.row}/${seat.col}"`
  return `<div class="seat s-${cls(status)}" data-host="${escapeHtml(h.host)}" data-status="${escapeHtml(status)}" ${place} title="${escapeHtml(seatTitle(h, d))}">`
    + `<span class="name">${escapeHtml(h.host)}</span><span class="badges">${marks}</span><span class="roles">${roles}</span></div>`
}

// The tile's hover text: the host's last run, image, kernel, contact and each role in one line.
function seatTitle(h: HostRow, d: ReportData): string {
  const now = d.generatedAt
  const lines = [h.lastStatus === undefined ? `${h.host}: never run` : `${h.host}: ${h.lastStatus} in run #${h.lastRunId}${h.lastRunAt ? `, ${ago(h.lastRunAt, now)}` : ''}`]
  if (h.lastMessage) lines.push(firstLine(h.lastMessage))
  lines.push(h.image === undefined ? 'image: none reported' : `image ${h.image}${h.imageBehind ? ` (newest ${d.images[0]?.version})` : ''}`)
  if (h.kernelRunning) lines.push(`kernel ${h.kernelRunning}${h.rebootPending ? `, ${h.kernelNewest} installed: reboot pending` : ''}`)
  if (h.contactAt) lines.push(`last contact ${ago(h.contactAt, now)}`)
  for (const r of d.roles) lines.push(roleLine(r, h.roles[r], now, false))
  return lines.join('\n')
}

function roleCell(role: string, cell: RoleCell | undefined, now: string): string {
  const status = cell?.status ?? 'none'
  return `<span class="s-${cls(status)}" data-role="${escapeHtml(role)}" data-status="${escapeHtml(status)}" title="${escapeHtml(roleLine(role, cell, now, true))}"></span>`
}

// "vm-image: failed in run #2, 5 h ago; last success 3 d ago", with the exact times when asked.
function roleLine(role: string, cell: RoleCell | undefined, now: string, exactly: boolean): string {
  if (!cell) return `${role}: never run here`
  const when = (iso: string) => (exactly ? `${ago(iso, now)} (${exact(iso)})` : ago(iso, now))
  return `${role}: ${cell.status} in run #${cell.lastRunId}, ${when(cell.lastAt)}; ${cell.successAt ? `last success ${when(cell.successAt)}` : 'never succeeded'}`
}

function firstLine(message: string): string {
  const line = message.split('\n', 1)[0]!
  return line.length > 200 ? `${line.slice(0, 200)}…` : line
}

// Beside the title: what the colours, badges and strip cells mean (hovering a tile or a cell tells more).
function legend(roles: string[]): string {
  const badges = Object.entries(BADGES).map(([b, { glyph, label }]) => `<span class="badge b-${b}">${glyph}</span> ${label}`).join(' · ')
  return `<p class="legend" id="legend">
<span class="s-ok">ok</span> <span class="s-changed">changed</span> <span class="s-failed">failed</span>
<span class="s-unreachable">unreachable</span> <span class="s-skipped">skipped</span> <span class="s-interrupted">interrupted</span>
<span class="s-none">never run</span> · ${badges}
· strip: <span id="role-order">${roles.map((r) => `<b data-role="${escapeHtml(r)}">${escapeHtml(r)}</b>`).join(' ')}</span></p>`
}
