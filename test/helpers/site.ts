// site.yml's roles in the order it plays them (playbooks/site.yml): what a full run records for every seat.
export const SITE_ROLES = ['kvm-module', 'udpcast', 'vm-image', 'samba-loopback', 'gdm-session']
