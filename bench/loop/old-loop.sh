exec 2>/dev/null
d=$(mktemp -d "${TMPDIR:-/tmp}/labplay.XXXXXX") || exit 1
trap 'rm -rf -- "$d"' EXIT
set -m
while IFS=' ' read -r id clen ilen; do
  head -c "$clen" >"$d/c" && head -c "$ilen" >"$d/i" || exit 1
  if [ "$clen" -lt 100000 ]; then bash -c "$(<"$d/c")" labplay; else bash "$d/c"; fi <"$d/i" >"$d/o" 2>"$d/e" &
  echo "S $id $!"
  wait "$!"; code=$?
  printf 'R %s %s %s %s\n' "$id" "$code" "$(stat -c %s "$d/o")" "$(stat -c %s "$d/e")"
  cat "$d/o" "$d/e"
done
