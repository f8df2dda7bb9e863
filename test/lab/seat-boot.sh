#!/bin/bash
# Runs one seat until it powers off or is killed: joins the seat's own cgroups, then, in a private mount
# namespace, mounts the overlay (read-only base + the seat's upper dir, its disk) and boots it with
# systemd-nspawn, again after every reboot (nspawn exits 133 when the seat reboots; the overlay stays).
# Usage: seat-boot.sh MACHINE BASE_ROOT SEAT_DIR NETNS CGROUP_DIR…
set -euo pipefail
machine=$1 base=$2 dir=$3 ns=$4
shift 4

if [ "${LABPLAY_SEAT_STAGE:-}" != mounted ]; then
  for cgroup in "$@"; do echo $$ > "$cgroup/cgroup.procs"; done
  LABPLAY_SEAT_STAGE=mounted exec unshare --mount --propagation private "$BASH" "$0" "$machine" "$base" "$dir" "$ns"
fi

mount -t overlay "labplay-$machine" -o "lowerdir=$base,upperdir=$dir/upper,workdir=$dir/work" "$dir/root"
# SYSTEMD_NSPAWN_LOCK=0: no image lock files left in the machine's /run (each seat has its own root anyway).
# No CAP_MKNOD: the seat sees only the devices nspawn gives it and its private /dev/kvm.
while :; do
  rc=0
  SYSTEMD_NSPAWN_LOCK=0 systemd-nspawn --directory="$dir/root" --boot --machine="$machine" --register=no --keep-unit \
    --network-namespace-path="/run/netns/$ns" --bind="$dir/kvm:/dev/kvm" --console=read-only \
    --drop-capability=CAP_MKNOD --resolv-conf=off --link-journal=no || rc=$?
  echo "labplay: systemd-nspawn exited $rc"
  [ "$rc" -eq 133 ] || exit "$rc"
done
