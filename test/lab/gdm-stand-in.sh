#!/bin/bash
# What GDM 43 does for one X11 session, without GDM (which cannot show a greeter in a container seat), run as root
# inside a seat. GDM's order (gdm-session.c, gdm-x-session.c, gdm-session-worker.c, checked against a real GDM on a
# VM seat): the X server runs as the user; `/etc/gdm3/Xsession "<Exec of the session's .desktop file>"` runs as the
# user in a new session, in $HOME, with the session's environment; when it exits, gdm-x-session stops the X server;
# the worker then runs PostSession/Default as root in / with a clean environment (below), and sends SIGHUP to the
# session's process group. Here the X server is Xvfb, whose screen (-fbdir) is kept while the user's QEMU runs.
#
# Usage: gdm-stand-in.sh USER DESKTOP_FILE DISPLAY_NUMBER OUT_DIR OVERLAY_DIR BOUND_S [kill-launcher]
#   kill-launcher: SIGKILL the session's process once the user's QEMU runs (a session that dies: PostSession's case)
# Prints key=value lines; OUT_DIR gets session.log, xvfb.log, guest.xwd (the screen while QEMU ran), Xvfb_screen0.
set -u
user=$1 entry=$2 number=$3 out=$4 overlays=$5 bound=$6 mode=${7:-}

uid=$(id -u -- "$user") && gid=$(id -g -- "$user") && group=$(id -gn -- "$user") || exit 2
IFS=: read -r _ _ _ _ _ home shell < <(getent passwd -- "$user")
# The session's command as GDM reads it: the Exec key of the [Desktop Entry] group.
command=$(sed -n '/^\[Desktop Entry\]/,/^\[/{s/^Exec=//p}' "$entry" | head -n 1)
[ -n "$command" ] || { echo "no Exec= in $entry" >&2; exit 2; }
echo "exec=$command"

as_user() { setpriv --reuid="$uid" --regid="$gid" --init-groups "$@"; }
qemus() { pgrep -u "$uid" -x qemu-system-x86; }

rm -rf -- "$out" && mkdir -p -- "$out" && chown "$uid:$gid" "$out" && chmod 0700 "$out"
auth=$out/Xauthority
as_user env -i PATH=/usr/bin:/bin xauth -q -f "$auth" add ":$number" MIT-MAGIC-COOKIE-1 "$(mcookie)" 2>/dev/null
setpriv --reuid="$uid" --regid="$gid" --init-groups env -i PATH=/usr/bin:/bin Xvfb ":$number" -auth "$auth" -nolisten tcp -screen 0 1024x768x24 -fbdir "$out" \
  </dev/null >"$out/xvfb.log" 2>&1 &
xvfb=$!
for ((i = 0; i < 100; i++)); do [ -S "/tmp/.X11-unix/X$number" ] && break; sleep 0.1; done
[ -S "/tmp/.X11-unix/X$number" ] || { echo "Xvfb did not start"; cat "$out/xvfb.log"; exit 3; }

# The session's environment under GDM (pam + gdm-session + gdm-x-session), less what logind gives a real login
# (XDG_RUNTIME_DIR, XDG_SEAT, XDG_VTNR, XDG_SESSION_ID, the user's D-Bus): no PAM session is opened here.
started=$(date +%s%N)
(
  cd -- "$home" || exit 1
  exec setpriv --reuid="$uid" --regid="$gid" --init-groups env -i \
    HOME="$home" PWD="$home" USER="$user" LOGNAME="$user" USERNAME="$user" SHELL="$shell" \
    PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games LANG=C.UTF-8 GDM_LANG=C.UTF-8 \
    GDMSESSION=windows DESKTOP_SESSION=windows XDG_SESSION_DESKTOP=windows XDG_SESSION_TYPE=x11 XDG_SESSION_CLASS=user \
    XDG_DATA_DIRS=/usr/share/gnome:/usr/local/share/:/usr/share/ DISPLAY=":$number" XAUTHORITY="$auth" \
    setsid /etc/gdm3/Xsession "$command"
) </dev/null >"$out/session.log" 2>&1 &
session=$!

# While the session runs: the screen is copied as long as the user's QEMU runs (checked after each copy, so the
# last kept copy was taken while the VM was on screen), and the QEMU window's geometry is read: the one on screen
# longest (each read counts for the time since the one before) is the window the student saw (QEMU maps a window
# before it goes full screen, and unmaps it on its way out); the changes are kept with their time, and the reads
# that found no window manager of the user are counted. The bound is time (each round also copies the screen and
# asks X, slow on a loaded machine); the round count is only a second stop.
declare -A shown_ms=()
changes=()
rc=timeout
deadline=$((SECONDS + bound))
read_at=
for ((i = 0; i < bound * 50 && SECONDS < deadline; i++)); do
  if ! kill -0 "$session" 2>/dev/null; then
    wait "$session" 2>/dev/null
    rc=$?
    break
  fi
  cp "$out/Xvfb_screen0" "$out/.frame" 2>/dev/null
  if qemus >/dev/null; then
    mv -f "$out/.frame" "$out/guest.xwd" 2>/dev/null
    seen=$(as_user env -i DISPLAY=":$number" XAUTHORITY="$auth" xwininfo -root -tree 2>/dev/null | grep -a -m1 '"QEMU' | grep -a -o '[0-9]*x[0-9]*+[0-9-]*+[0-9-]*' | head -n 1)
    window=${seen:-${window:-}}
    now=$(date +%s%N)
    if [ -n "$seen" ]; then
      # The first read only starts the clock: what came before it was no window of QEMU's.
      shown_ms[$seen]=$((${shown_ms[$seen]:-0} + (now - ${read_at:-$now}) / 1000000))
      [ "$seen" = "${last_seen:-}" ] || changes+=("$(((now - started) / 1000000))ms:$seen")
      last_seen=$seen
      pgrep -u "$uid" -x matchbox-window >/dev/null || no_wm=$((${no_wm:-0} + 1))
    fi
    read_at=$now
    if [ "$mode" = kill-launcher ] && [ -n "${window:-}" ] && [ -z "${killed:-}" ]; then
      kill -KILL "$session" && killed=1
    fi
  fi
  sleep 0.2
done
elapsed=$((($(date +%s%N) - started) / 1000000))
if [ "$rc" = timeout ]; then kill -KILL -- "-$session" 2>/dev/null; fi
echo "session_rc=$rc"
echo "session_ms=$elapsed"
# Longest shown first; a tie goes to the geometry first in sort order, so the answer never depends on hash order.
most=$(for g in "${!shown_ms[@]}"; do echo "${shown_ms[$g]} $g"; done | sort -k1,1nr -k2,2 | head -n 1 | cut -d' ' -f2)
echo "qemu_window=${most:-none}"
echo "qemu_windows=${changes[*]:-}"
echo "qemu_reads_without_wm=${no_wm:-0}"

# gdm-x-session stops the X server once the session has exited.
kill -TERM "$xvfb" 2>/dev/null
wait "$xvfb" 2>/dev/null
echo "left_qemu=$(qemus | tr '\n' ' ')"
echo "left_overlays=$(cd -- "$overlays" && ls -A | tr '\n' ' ')"

# PostSession/Default exactly as GDM 43 runs it: as root, in /, with only these variables (gdm-common.c
# gdm_get_script_environment; the same 9 were read back from a real GDM's PostSession on a VM seat).
(
  cd / && exec env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/games LOGNAME="$user" USER="$user" USERNAME="$user" \
    PWD="$home" HOME="$home" SHELL="$shell" GROUP="$group" RUNNING_UNDER_GDM=true /etc/gdm3/PostSession/Default
) </dev/null >"$out/postsession.log" 2>&1
echo "postsession_rc=$?"
# The worker's killpg(session, SIGHUP): what else the session started (its ssh-agent) ends.
kill -HUP -- "-$session" 2>/dev/null
echo "after_qemu=$(qemus | tr '\n' ' ')"
echo "after_overlays=$(cd -- "$overlays" && ls -A | tr '\n' ' ')"
