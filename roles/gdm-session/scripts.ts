import { quote } from 'labplay'

// The three files the role writes in full; values are quoted for bash, so the scripts are bash scripts.

// An X11 session entry; TryExec hides it at the login screen while the session script is missing.
export function desktopEntry(name: string, comment: string, exec: string): string {
  return [
    '[Desktop Entry]',
    '# Managed by labplay (gdm-session).',
    'Type=Application',
    `Name=${name}`,
    `Comment=${comment}`,
    `Exec=${exec}`,
    `TryExec=${exec}`,
    '',
  ].join('\n')
}

// The session is the launcher: GDM ends a session when its Exec process exits and shows the login screen again.
export function sessionScript(launcher: string, args: string[]): string {
  return `#!/bin/bash
# Managed by labplay (gdm-session): the "Windows" session at the GDM login screen.
# The VM runs in the foreground; when it ends, the session ends and GDM shows the login screen.
launcher=${quote(launcher)}
if [[ ! -x $launcher ]]; then
  message="Windows is not installed on this workstation ($launcher is missing). Please choose another session and tell the lab staff."
  echo "labvm-session: $message" >&2
  if command -v zenity >/dev/null 2>&1; then
    zenity --error --no-wrap --title=Windows --text="$message" 2>/dev/null
  elif command -v xmessage >/dev/null 2>&1; then
    xmessage -center -buttons OK:0 "$message" 2>/dev/null
  fi
  exit 1
fi
# The guest blanks its own screen; the host's screen saver would cover the VM.
command -v xset >/dev/null 2>&1 && xset s off -dpms 2>/dev/null
# No desktop runs in this session: without a window manager, QEMU's full-screen request is never honoured.
# matchbox maximises the VM's window; it ends with the X server when the session ends.
if command -v matchbox-window-manager >/dev/null 2>&1; then
  matchbox-window-manager -use_titlebar no </dev/null &
fi
exec "$launcher"${args.map((a) => ` ${quote(a)}`).join('')}
`
}

// Run as root by the PostSession hook with the user whose session ended: ends that user's QEMU processes
// left by labvm (their command line names the user's overlay) and deletes the user's overlays nobody runs.
export function cleanupScript(overlayDir: string): string {
  return `#!/bin/bash
# Managed by labplay (gdm-session): cleanup after a "Windows" session, called as: labvm-session-cleanup USER
# Overlays are ${overlayDir}/<user>-<pid>.qcow2 (vm-image's launcher); other users' are never touched.
overlay_dir=${quote(overlayDir)}
user=\${1:-}
[[ -n $user && $user != */* ]] || exit 0
uid=$(id -u -- "$user" 2>/dev/null) || exit 0
prefix="$overlay_dir/$user-"

leftovers() {
  local dir comm
  for dir in /proc/[0-9]*; do
    read -r comm <"$dir/comm" 2>/dev/null || continue
    [[ $comm == qemu-system* ]] || continue
    [[ $(stat -c %u -- "$dir" 2>/dev/null) == "$uid" ]] || continue
    tr '\\0' '\\n' <"$dir/cmdline" 2>/dev/null | grep -qF -- "$prefix" && echo "\${dir#/proc/}"
  done
}

pids=$(leftovers)
if [[ -n $pids ]]; then
  kill -TERM $pids 2>/dev/null
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    sleep 0.5
    pids=$(leftovers)
    [[ -z $pids ]] && break
  done
  if [[ -n $pids ]]; then
    kill -KILL $pids 2>/dev/null
    sleep 0.5
  fi
fi

# An overlay stays only while its process runs as this user (a pid reused by someone else does not count).
shopt -s nullglob
for overlay in "$prefix"*.qcow2; do
  pid=\${overlay#"$prefix"}
  pid=\${pid%.qcow2}
  [[ $pid =~ ^[0-9]+$ ]] || continue
  [[ -d /proc/$pid && $(stat -c %u -- "/proc/$pid" 2>/dev/null) == "$uid" ]] && continue
  rm -f -- "$overlay"
done
exit 0
`
}
