import test from 'ava'
import { packages, type PackagesOptions } from '../../src/sdk/primitives/packages.ts'
import { bash, fakeIO } from './primitive-harness.ts'

// Data only: installing packages for real would change this machine.

const APT = 'DEBIAN_FRONTEND=noninteractive apt-get -y -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold'
const QUERY = "dpkg-query -W -f '${binary:Package}\\t${db:Status-Abbrev}\\n' --"
const install = (args: string): string => `${APT} install --no-install-recommends ${args} || { ${APT} update && ${APT} install --no-install-recommends ${args}; }`

interface Case {
  title: string
  names: string[]
  opts?: PackagesOptions
  // dpkg-query prints known packages only and exits 1 if one is unknown.
  probe: { code: number; stdout: string }
  query?: string
  message?: string
  runs: string[]
}

const cases: Case[] = [
  { title: 'all installed', names: ['samba', 'smbclient'], probe: { code: 0, stdout: 'samba\tii \nsmbclient\tii \n' }, runs: [] },
  {
    title: 'one unknown to dpkg, one installed',
    names: ['samba', 'udpcast'],
    probe: { code: 1, stdout: 'samba\tii \n' },
    query: `${QUERY} samba udpcast`,
    message: 'installed udpcast',
    runs: [install('udpcast')],
  },
  {
    title: 'removed with config left (rc) and half-installed count as missing',
    names: ['samba', 'qemu-utils'],
    probe: { code: 0, stdout: 'samba\trc \nqemu-utils\tiU \n' },
    message: 'installed samba, qemu-utils',
    runs: [install('samba qemu-utils')],
  },
  { title: 'multi-arch names match their bare name', names: ['libc6'], probe: { code: 0, stdout: 'libc6:amd64\tii \n' }, runs: [] },
  { title: 'names with + and . are quoted', names: ['g++', 'libstdc++6'], probe: { code: 1, stdout: '' }, query: `${QUERY} $'g++' $'libstdc++6'`, runs: [install("$'g++' $'libstdc++6'")] },
  { title: 'duplicates asked once', names: ['samba', 'samba'], probe: { code: 1, stdout: '' }, query: `${QUERY} samba`, runs: [install('samba')] },
  { title: 'absent: installed ones are removed', names: ['avahi-daemon', 'cups'], opts: { state: 'absent' }, probe: { code: 0, stdout: 'avahi-daemon\tii \ncups\trc \n' }, message: 'removed avahi-daemon', runs: [`${APT} remove avahi-daemon`] },
  { title: 'absent: nothing installed', names: ['cups'], opts: { state: 'absent' }, probe: { code: 1, stdout: '' }, runs: [] },
]

for (const c of cases) {
  test(`packages: ${c.title}`, async (t) => {
    const io = fakeIO([{ ...c.probe, stderr: '' }])
    const outcome = await packages(io, c.names, c.opts)
    t.is(outcome.changed, c.runs.length > 0)
    if (c.message) t.is(outcome.message, c.message)
    if (c.query) t.is(io.calls[0].command, c.query)
    t.deepEqual(io.runs(), c.runs)

    const check = fakeIO([{ ...c.probe, stderr: '' }], { check: true })
    const checked = await packages(check, c.names, c.opts)
    t.is(checked.changed, c.runs.length > 0)
    if (checked.changed) t.regex(checked.message ?? '', /^would (install|remove) /)
    t.deepEqual(check.runs(), [])
  })
}

test('packages: no names, no probe', async (t) => {
  const io = fakeIO([])
  t.deepEqual(await packages(io, []), { changed: false })
  t.deepEqual(io.calls, [])
})

for (const name of ['-o APT::x=1', '--purge', 'a b', 'x;touch pwned', '$(touch pwned)', 'Samba', '', 'a\nb']) {
  test(`packages: ${JSON.stringify(name)} is refused before any command`, async (t) => {
    const io = fakeIO([])
    await t.throwsAsync(packages(io, ['samba', name]), { name: 'StepError', message: /invalid package name/ })
    t.deepEqual(io.calls, [])
  })
}

test('packages: a failed install names the packages and ends with apt’s reason', async (t) => {
  const io = fakeIO([{ code: 1, stdout: '' }], { run: { code: 100, stderr: 'E: Unable to locate package udpcast\n' } })
  await t.throwsAsync(packages(io, ['udpcast']), { message: 'cannot install udpcast (exit 100): E: Unable to locate package udpcast' })
})

test('packages: dpkg-query failing for another reason is an error', async (t) => {
  const io = fakeIO([{ code: 2, stderr: 'dpkg-query: error: cannot access archive' }])
  await t.throwsAsync(packages(io, ['samba']), { message: /cannot query dpkg \(exit 2\)/ })
})

test('packages: bash hands the names to apt-get literally; apt-get update only after a failed install', async (t) => {
  const io = fakeIO([{ code: 1, stdout: '' }])
  await packages(io, ['g++', 'libstdc++6', 'samba'])
  // apt-get stand-in: prints its arguments; install fails until update ran.
  const stub = 'apt-get() { printf "<%s>" "$@"; echo; case " $* " in *" update "*) updated=1 ;; *) [ -n "$updated" ] || return 100 ;; esac; }\n'
  const result = bash(stub + io.runs()[0])
  const options = '<-y><-o><Dpkg::Options::=--force-confdef><-o><Dpkg::Options::=--force-confold>'
  const installArgs = `${options}<install><--no-install-recommends><g++><libstdc++6><samba>`
  t.is(result.code, 0)
  t.deepEqual(result.stdout.trim().split('\n'), [installArgs, `${options}<update>`, installArgs])
  const query = bash(`dpkg-query() { printf "<%s>" "$@"; }\n${io.calls[0].command}`).stdout
  t.is(query, '<-W><-f><${binary:Package}\\t${db:Status-Abbrev}\\n><--><g++><libstdc++6><samba>')
})
