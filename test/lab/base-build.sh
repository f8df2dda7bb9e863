#!/bin/bash
# Builds the seats' read-only Debian 12 base into ROOT (a fresh folder). base.ts runs it under its
# lock, in a private mount namespace (mounts debootstrap makes die with it), and renames the result.
# Usage: base-build.sh ROOT ARCHIVE_URL PACKAGES   (PACKAGES comma-separated, for --include)
set -euo pipefail
root=$1 archive=$2 include=$3

debootstrap --variant=minbase --include="$include" bookworm "$root" "$archive"

# Per-seat identity is written into each seat's overlay: none of the build machine's may remain.
rm -f "$root/etc/hostname" "$root"/etc/ssh/ssh_host_*
: > "$root/etc/machine-id"
# Seats reach only the lab's mirror; each seat's sources.list names it.
rm -f "$root/etc/apt/sources.list"
find "$root/var/lib/apt/lists" "$root/var/cache/apt" -type f -delete

# The mirror holds no recommended packages (it is resolved with --no-install-recommends).
cat > "$root/etc/apt/apt.conf.d/90labplay" <<'EOF'
// The lab's mirror carries dependencies only, not recommended packages.
APT::Install-Recommends "false";
Acquire::Languages "none";
EOF
# apt-daily would update and take dpkg's lock at random times, in the middle of a test's install.
for unit in apt-daily.timer apt-daily-upgrade.timer; do
  ln -sf /dev/null "$root/etc/systemd/system/$unit"
done

# Root logs in with the lab's key only (authorized_keys is per seat); parallel runs open many sessions.
mkdir -p "$root/etc/ssh/sshd_config.d"
cat > "$root/etc/ssh/sshd_config.d/labplay.conf" <<'EOF'
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
MaxSessions 64
MaxStartups 200
EOF
