#!/bin/bash
# Samples the machine's CPU while another benchmark runs: once a second, /proc/stat's cpu line and the
# 15 busiest processes (top), for at most N seconds (default 150), then prints the busy % per second
# and each program's mean %CPU of one core. Used for the image analysis in BENCHMARKS.md:
#   bash bench/cpu-sample.sh 150 & npx tsx bench/run.ts --only image --image-hosts 20 --image-tools udpcast --rounds 1; wait
set -euo pipefail
n=${1:-150}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for i in $(seq "$n"); do echo "=== $(date +%T) $(head -1 /proc/stat)"; top -b -n1 -w 160 | sed -n 8,22p; sleep 1; done > "$log" 2>&1
python3 - "$log" <<'PY'
import collections, sys
prev = None; busy = []; procs = collections.Counter(); samples = 0
for line in open(sys.argv[1]).read().split('\n'):
    if line.startswith('=== '):
        parts = line.split(); vals = list(map(int, parts[3:]))
        idle, total = vals[3] + vals[4], sum(vals[:8])
        if prev and total > prev[1]: busy.append(f"{parts[1]}:{round(100 * (1 - (idle - prev[0]) / (total - prev[1])))}%")
        prev = (idle, total); samples += 1
    else:
        f = line.split()
        if len(f) >= 12 and f[0].isdigit():
            try: procs[f[11]] += float(f[8])
            except ValueError: pass
print('busy (both cores):', ' '.join(busy))
print('mean %CPU of one core per program (its processes among the 15 busiest, summed):', ', '.join(f'{k} {v / samples:.0f}' for k, v in procs.most_common(10)))
PY
