// What the lab's own tests install on seats, beyond what the roles declare (RoleDefinition.packages):
// the campus mirror carries both, with their dependencies. A test that apt-installs something on a
// seat adds it here, under the reason it is needed; the mirror is rebuilt for the new package set.
export const LAB_PACKAGES: Readonly<Record<string, readonly string[]>> = {
  // The campus directory on a lab seat: OpenLDAP with the Samba schema, and its command-line tools.
  'LDAP directory server': ['slapd', 'ldap-utils'],
  // The room printer samba-loopback shares with the guest.
  'printing': ['cups', 'cups-client'],
  // Shares checked from the seat itself, as the guest would mount them.
  'SMB client': ['smbclient', 'cifs-utils'],
  // GDM's session contract without a display: GDM's Xsession and PostSession under Xvfb.
  'sessions': ['gdm3', 'xvfb', 'xauth', 'x11-utils'],
  // A VM seat (scripts/vm-seat.ts): the X server of its X11 sessions after a login at GDM (the Windows session is X11;
  // the greeter itself is Wayland), and GNOME's session beside Windows, as lab seats have it (GDM shows its session
  // menu only when there are two sessions or more).
  'VM seat': ['xserver-xorg-core', 'xserver-xorg-input-libinput', 'gnome-session'],
  // A tiny guest inside a seat (Debian's kernel and modules, a busybox initramfs) and a VM seat's
  // kernel booted from the base under TCG.
  'guests': ['linux-image-amd64', 'busybox-static', 'cpio', 'e2fsprogs'],
  // Ansible's modules need Python on the target, its apt module python3-apt (bench compares labplay with Ansible on seats).
  'ansible targets': ['python3', 'python3-apt'],
}
