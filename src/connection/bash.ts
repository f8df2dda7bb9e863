// POSIX single quotes: the one quoting every login shell (sh, dash, bash, zsh) reads the same way.
export function shQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`
}

// An argv as one command line for the remote login shell.
export function shellLine(argv: readonly string[]): string {
  return argv.map(shQuote).join(' ')
}

// Starts the stderr line through which the wrapper tells its process group (taken out again by PgidScanner).
export const PGID_MARKER = 'labplay-pgid='

// Runs $1 under bash in a process group of its own and reports that group on stderr first, so a
// timeout can kill the whole tree. The wrapper's own stderr goes to /dev/null (job notices); the
// command gets the real one. With $2 set (sudo password mode), stdin lines up to the $2 line are
// dropped first: that is the password when sudo did not ask for it.
const WRAPPER = [
  '[ -z "$2" ] || while IFS= read -r l; do [ "$l" = "$2" ] && break; done',
  'exec 3>&2 2>/dev/null',
  'set -m',
  `{ echo "${PGID_MARKER}$BASHPID" >&3; exec bash -c "$1" labplay 2>&3 3>&-; } <&0 &`,
  'set +m',
  'wait "$!"',
].join('\n')

// The argv that runs a command as a bash script whatever the login shell is.
export function bashArgv(command: string, stdinToken?: string): string[] {
  return ['bash', '-c', WRAPPER, 'labplay', command, ...(stdinToken === undefined ? [] : [stdinToken])]
}
