#!/bin/bash
# Runs inside a container seat (as root, from vm-seat.ts): installs a VM seat's packages from the lab's mirror and
# takes the seat's identity out again, so its root can become a VM seat's disk that each lab makes its own.
# Usage: vm-seat-build.sh PACKAGE…
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

# Nothing starts while installing: the services start when the VM seat boots.
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
chmod +x /usr/sbin/policy-rc.d
apt-get update -q
apt-get install -y -q "$@"
rm -f /usr/sbin/policy-rc.d

# The VM seat's network comes from the kernel's ip= (systemd-network-generator), applied by networkd.
systemctl enable systemd-networkd.service systemd-network-generator.service
apt-get clean
rm -rf /var/lib/apt/lists/*

# Each lab writes its own (vm-seat.ts, with debugfs); the machine id is made at the VM seat's first boot.
: >/etc/machine-id
rm -f /etc/hostname /etc/hosts /etc/ssh/ssh_host_* /root/.ssh/authorized_keys /etc/apt/sources.list
