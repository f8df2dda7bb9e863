import { quote } from '../quote.ts'
import { commandFailed } from './failure.ts'
import { StepError } from '../outcome.ts'
import { type Outcome, type PrimitiveIO } from './types.ts'

// present (default) installs what is missing; absent removes what is installed.
export interface PackagesOptions {
  state?: 'present' | 'absent'
}

// Debian package names (policy §5.6.1), optionally with an architecture; nothing that apt could read as an option.
const NAME = /^[a-z0-9][a-z0-9+.-]*(:[a-z0-9-]+)?$/

const APT = 'DEBIAN_FRONTEND=noninteractive apt-get -y -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold'

// Debian packages installed (all missing ones in one apt-get call) or removed; one dpkg-query reads them all.
export async function packages(io: PrimitiveIO, names: string[], opts: PackagesOptions = {}): Promise<Outcome> {
  const state = opts.state ?? 'present'
  const bad = names.filter((name) => !NAME.test(name))
  if (bad.length > 0) throw new StepError(`invalid package name ${bad.map((n) => JSON.stringify(n)).join(', ')}`)
  const wanted = [...new Set(names)]
  if (wanted.length === 0) return { changed: false }

  const probe = await io.probe(`dpkg-query -W -f '\${binary:Package}\\t\${db:Status-Abbrev}\\n' -- ${wanted.map(quote).join(' ')}`)
  // dpkg-query exits 1 when some name is unknown to dpkg: that only means "not installed".
  if (probe.code > 1) throw commandFailed('cannot query dpkg', probe)
  const installed = installedPackages(probe.stdout)
  const todo = wanted.filter((name) => installed.has(name) !== (state === 'present'))
  if (todo.length === 0) return { changed: false }

  const verb = state === 'present' ? 'install' : 'remove'
  const list = todo.join(', ')
  if (io.check) return { changed: true, message: `would ${verb} ${list}` }
  const args = todo.map(quote).join(' ')
  const command =
    state === 'present'
      ? `${APT} install --no-install-recommends ${args} || { ${APT} update && ${APT} install --no-install-recommends ${args}; }`
      : `${APT} remove ${args}`
  const result = await io.run(command)
  if (result.code !== 0) throw commandFailed(`cannot ${verb} ${list}`, result)
  return { changed: true, message: `${verb === 'install' ? 'installed' : 'removed'} ${list}` }
}

// Installed = the status letter (second of db:Status-Abbrev) is 'i'; "rc" (config files left) counts as gone.
// Multi-arch packages print as name:arch; the bare name is added so "libc6" finds "libc6:amd64".
function installedPackages(stdout: string): Set<string> {
  const names = new Set<string>()
  for (const line of stdout.split('\n')) {
    const [name, status] = line.split('\t')
    if (!name || status?.[1] !== 'i') continue
    names.add(name)
    names.add(name.split(':')[0])
  }
  return names
}
