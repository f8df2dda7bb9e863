# What site.yml's rerun reads on a seat, role by role, after the facts above ($img: the image's path).
st() { for p; do if [ -e "$p" ] || [ -L "$p" ]; then stat --printf '%F\t%a\t%u\t%U\t%g\t%G\t%s\n' -- "$p"; else echo absent; fi; done; }
sum() { for p; do st "$p"; [ -f "$p" ] && sha256sum <"$p"; done; }
# A service's state as labplay's service primitive reads it: systemctl where systemd runs (seats), else sysv.
svc() {
  if [ -d /run/systemd/system ]; then
    for n; do
      printf 'load=%s\n' "$(systemctl show -p LoadState --value -- "$n" 2>/dev/null)"
      printf 'active=%s\n' "$(systemctl is-active -- "$n" 2>/dev/null)"
      printf 'enabled=%s\n' "$(systemctl is-enabled -- "$n" 2>/dev/null)"
    done
    return
  fi
  for n; do [ -x /etc/init.d/"$n" ] && echo exists=1; service "$n" status >/dev/null 2>&1; echo "running=$?"; set -- /etc/rc2.d/S??"$n"; [ -e "$1" ] && echo enabled=1; done
}
dpkg-query -W -f '${binary:Package}\t${db:Status-Abbrev}\n' -- udpcast qemu-utils qemu-system-x86 qemu-system-gui samba-common-bin tdb-tools samba desktop-file-utils matchbox-window-manager gdm3 2>/dev/null
# kvm-module: the device, the test guest's verdict (cached for the boot: no QEMU on a rerun), nesting, udev, the newest kernel
test -c /dev/kvm; echo "kvm device: $?"
sum /usr/local/libexec/labplay-kvm-probe
LABPLAY_KVM_PROBE_CACHE=/run/labplay/kvm-probe.kvm LABPLAY_KVM_PROBE_WRITE=1 bash /usr/local/libexec/labplay-kvm-probe kvm
cat /sys/module/kvm_intel/parameters/nested /sys/module/kvm_amd/parameters/nested 2>/dev/null
st /etc/modules-load.d/labplay-kvm.conf /etc/modprobe.d/labplay-kvm-nested.conf /etc/udev/rules.d
getent group kvm
sum /etc/udev/rules.d/65-labplay-kvm.rules
test -S /run/udev/control; echo "udev: $?"
modinfo -k "$(ls /lib/modules | sort -V | tail -n1)" kvm >/dev/null 2>&1; echo "newest kernel's kvm: $?"
# udpcast and vm-image: the image by its sha256 stamp, qemu-img check's stamp, mode, registry, link
d=${img%/*} b=${img##*/}
st "$d"
stat -c '%s %.9Y %i' -- "$img"; cat -- "$d/.$b.sha256" "$d/.$b.checked"
stat -c '%a %U %G' -- "$img"
cat -- "$d"/.*.versions; st "$d"/.*.versions; readlink -- "$d/${b%-*}.qcow2"
st /etc/labplay /usr/local/libexec /var/tmp/labvm /etc/tmpfiles.d
sum /etc/labplay/labvm.conf /usr/local/bin/labvm /usr/local/libexec/labvm-smb-relay /etc/tmpfiles.d/labvm.conf /etc/init.d/labvm-overlays
svc labvm-overlays
# samba-loopback
sum /etc/samba/smb.conf
{ lpstat -p m5-laser || lpstat -c m5-laser; } >/dev/null 2>&1; echo "printer queue: $?"
st /var/spool/samba
svc smbd nmbd
[ -d /run/systemd/system ] || pidof nmbd
# gdm-session
sum /usr/local/bin/labvm-session /usr/share/xsessions/windows.desktop /usr/local/sbin/labvm-session-cleanup /etc/gdm3/PostSession/Default
st /usr/share/xsessions /etc/gdm3/PostSession
cat -- /etc/gdm3/PostSession/Default
