#!/bin/bash
# The remote session's cost per command, on this machine, without SSH: 500 requests of a `stat` fed to
# the loop labplay used before (old-loop.sh: head, bash -c, stat and cat per command) and to the one in
# src/connection/session.ts (extracted from it), against 500 bare `stat`s. Quoted in BENCHMARKS.md.
# Usage: bash bench/loop/run.sh        (writes only under a temporary folder)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$here/../.."
node --import tsx -e "import('./src/connection/session.ts').then((m) => process.stdout.write(m.SESSION_LOOP))" > "$tmp/new-loop.sh"
python3 - "$tmp" <<'PY'
import sys
s = b'stat -c %s /etc/passwd'
body = b''.join(b'%d %d 0\n' % (i, len(s)) + s for i in range(500))
open(sys.argv[1] + '/old.req', 'wb').write(body)
open(sys.argv[1] + '/new.req', 'wb').write(b'marker\n' + body)
PY
t() { local s=$(date +%s%N); "$@"; echo $(( ($(date +%s%N) - s) / 500000 )); }
old=$(t bash -c "bash '$here/old-loop.sh' < '$tmp/old.req' > /dev/null")
new=$(t bash -c "bash '$tmp/new-loop.sh' < '$tmp/new.req' > /dev/null 2>&1")
bare=$(t bash -c 'for i in $(seq 500); do stat -c %s /etc/passwd; done > /dev/null')
echo "per command, µs of wall time (500 commands): old loop $old, session loop $new, bare stat $bare"
