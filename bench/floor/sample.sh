# What sample.yml's rerun reads on a seat (role lab-notice), after the facts above.
d=/etc/labplay
stat -c '%F %a %u %g' "$d"
stat -c '%F %a %u %g %s' "$d/notice" && sha256sum <"$d/notice"
readlink "$d/motd"
cat "$d/kernel" 2>/dev/null
