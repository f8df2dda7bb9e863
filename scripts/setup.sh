#!/bin/bash
# Runs before `npm test` and `npm run demo` (npm's pretest/predemo), so that on a fresh Debian 12 checkout
# those two commands are all it takes: what is missing is installed, each step announced in one line;
# when everything is there this prints nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! missing=$(bash .ci/install --missing); then
  if [ "$(id -u)" != 0 ]; then
    echo "labplay: missing $missing; as root, run: bash .ci/install" >&2
    exit 1
  fi
  echo "labplay: installing what is missing ($missing) with bash .ci/install (Debian packages, then npm ci)"
  bash .ci/install
fi
# The seats' Debian base and package mirror: built once (about 1.5 minutes), announced when built.
npx tsx test/lab/cli.ts prepare >/dev/null
