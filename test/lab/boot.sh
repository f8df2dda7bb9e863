#!/bin/bash
# pid 1 of a lab host: runs inside the host's own network, mount, UTS and pid namespaces.
# Usage: boot.sh NAME ADDRESS HOST_DIR   (HOST_DIR holds sshd_config, the host key, logs, upper dirs)
set -euo pipefail
name=$1 address=$2 dir=$3

ip link set lo up
ip addr add "$address/24" brd + dev eth0
ip link set eth0 up
ip route add 224.0.0.0/4 dev eth0

# The host's own view of the system folders: reads fall through to the machine, writes stay in HOST_DIR.
for d in etc var usr opt srv home root boot; do
  [ -d "/$d" ] || continue
  mkdir -p "$dir/upper/$d" "$dir/work/$d"
  mount -t overlay "lab-$d" -o "lowerdir=/$d,upperdir=$dir/upper/$d,workdir=$dir/work/$d" "/$d"
done
# A stock Debian root login: the machine's own ~/.bashrc (pyenv, cargo…) would run, slowly, on every
# ssh command, since bash sources it whenever its stdin is a socket.
cp /usr/share/base-files/dot.bashrc /root/.bashrc
cp /usr/share/base-files/dot.profile /root/.profile
mount -t tmpfs -o mode=0755 lab-run /run
mount -t tmpfs -o mode=1777 lab-tmp /tmp

hostname "$name"
echo "$name" > /etc/hostname
printf '127.0.1.1\t%s\n' "$name" >> /etc/hosts
mkdir -p -m 0755 /run/sshd
/usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log"
echo "$name is up"

# Stay up as init: bash reaps orphans (sessions, daemons started by roles) while it waits.
while :; do
  sleep 3600 &
  wait $! || true
done
