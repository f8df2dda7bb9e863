// The page's one stylesheet, inline in it. Tiles have fixed sizes (--tile-w, --tile-h) so a room's block
// is as wide as its grid, and 250 seats in rooms of up to 30 fit a 1400×900 screen with the header.
export const CSS = `
:root { --ok: #d7efd8; --changed: #8fd19e; --failed: #f28b82; --unreachable: #bdbdbd; --skipped: #f4f4f4;
  --interrupted: #ffd08a; --line: #d9dde3; --ink: #1f2328; --muted: #5b636d; --tile-w: 68px; --tile-h: 38px; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink); background: #fafbfc; }
header, main, footer { padding: 0 24px; }
header { background: #fff; border-bottom: 1px solid var(--line); padding-top: 8px; padding-bottom: 8px;
  display: flex; flex-wrap: wrap; align-items: center; gap: 4px 24px; }
h1 { margin: 0; font-size: 20px; }
h1 .pattern { font-weight: normal; color: var(--muted); }
h2 { font-size: 17px; margin: 20px 0 8px; }
h2 .n { color: var(--muted); font-weight: normal; }
.room-head { display: flex; flex-wrap: wrap; align-items: baseline; gap: 0 16px; margin: 8px 0 6px; }
.room-head h2 { margin: 0; }
.meta { margin: 0; color: var(--muted); font-size: 13px; }
code { font: 12px ui-monospace, "DejaVu Sans Mono", monospace; background: #eef1f4; padding: 1px 4px; border-radius: 3px; }
.counts { list-style: none; display: flex; flex-wrap: wrap; gap: 6px; margin: 0; padding: 0; }
.counts li { border: 1px solid var(--line); border-radius: 6px; padding: 1px 10px; background: #fff; }
.counts li b { font-size: 16px; margin-right: 4px; }
table { border-collapse: collapse; background: #fff; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; white-space: nowrap; }
thead th { background: #f0f2f5; font-weight: 600; position: sticky; top: 0; }
tbody th { font-weight: 600; }
.s-ok { background: var(--ok); } .s-changed { background: var(--changed); } .s-failed { background: var(--failed); }
.s-unreachable { background: var(--unreachable); } .s-skipped { background: var(--skipped); color: var(--muted); }
.s-interrupted { background: var(--interrupted); } .s-none { background: #fff; } .s-other { background: #e8e0f5; }
.s-reboot { background: #fff3c4; }
.rooms { display: flex; flex-wrap: wrap; align-items: flex-start; gap: 8px 12px; }
.room { width: min-content; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 3px 5px 5px; }
.room > h3, .room > .problems { width: 0; min-width: 100%; }
.room h3 { margin: 0 0 3px; font-size: 13px; line-height: 18px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.room h3 .n, .room h3 .from { color: var(--muted); font-weight: normal; font-size: 12px; }
.room h3 .from { font-style: italic; }
.room h3 .pill { font-size: 11px; font-weight: normal; line-height: 14px; }
.seats { display: grid; gap: 3px; }
.seat { display: grid; grid-template-columns: minmax(0, 1fr) auto; grid-template-rows: 1fr auto; column-gap: 2px;
  border: 1px solid rgba(0, 0, 0, .2); border-radius: 4px; padding: 2px 1px 3px 3px; overflow: hidden; }
.seat .name { grid-area: 1 / 1; font-size: 11px; line-height: 14px; font-weight: 600; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.seat .badges { grid-area: 1 / 2 / 3 / 3; display: flex; flex-direction: column; gap: 1px; }
.seat .roles { grid-area: 2 / 1; display: flex; gap: 1px; height: 10px; }
.seat .roles > span { flex: 1 1 0; min-width: 3px; border: 1px solid rgba(0, 0, 0, .35); border-radius: 2px; }
.badge { display: inline-block; width: 10px; height: 10px; font-size: 9px; line-height: 10px; font-weight: 700; text-align: center; border-radius: 2px; }
.b-image-behind { background: #ffe082; color: #5d4300; } .b-reboot-pending { background: #ffb74d; color: #4e2600; }
.b-unreachable { background: #37474f; color: #fff; }
.legend .badge { width: 14px; height: 14px; line-height: 14px; font-size: 11px; }
.problems { margin: 4px 0 0; padding: 0 0 0 16px; font-size: 11px; color: #8c1d18; overflow-wrap: anywhere; }
.tag { display: inline-block; font-size: 11px; padding: 0 5px; border-radius: 8px; background: #ffe082; color: #5d4300; }
.newest .tag { background: #c8e6c9; color: #1b5e20; }
.never { color: var(--muted); font-style: italic; }
.legend { color: var(--muted); font-size: 11px; line-height: 16px; margin: 0; flex: 1 1 600px; }
.legend span[class^="s-"], .pill { display: inline-block; padding: 0 5px; border-radius: 4px; border: 1px solid var(--line); color: var(--ink); }
.legend b { color: var(--ink); font-weight: 600; white-space: nowrap; }
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
@media print { body { background: #fff; } .seat { break-inside: avoid; } }
`
