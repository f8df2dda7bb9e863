import { parseArgs } from 'node:util'
import { createLab, destroyLab, destroyStaleLabs, type LabKind } from './lab.ts'
import { isSeatLab, prepareSeatLab } from './seat-lab.ts'
import { labNamespaces } from './network.ts'
import { isStale, labFolders, labRoot, NS_PREFIX, readRecord } from './state.ts'

const USAGE = `usage: tsx test/lab/cli.ts COMMAND [options]   (npm run lab:up -- …, npm run lab:down -- …)
  up [--hosts N] [--name NAME] [--prefix P] [--kind seat]
                                              bring up N hosts (default 5) named P-01…; they stay up;
                                              --kind seat: Debian 12 seats booted with systemd
  prepare                                     build the seats' base and mirror when missing (CI set-up)
  down [--name NAME]                          tear lab NAME down (default: the only lab there is)
  down --stale                                remove labs left by crashed test runs
  status                                      list the labs on this machine
NAME defaults to the prefix, or 'lab'; state lives in ${'$'}LABPLAY_LAB_DIR (default /labplay-lab).`

// Bringing a lab up and down by hand, for the README's demo and for poking at hosts.
async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      hosts: { type: 'string', default: '5' },
      name: { type: 'string' },
      prefix: { type: 'string' },
      kind: { type: 'string', default: 'namespace' },
      stale: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  const command = positionals[0]
  const name = values.name ?? values.prefix
  if (values.help || positionals.length !== 1) {
    console.log(USAGE)
    return values.help ? 0 : 5
  }
  if (command === 'prepare') {
    const started = Date.now()
    const { base, mirror } = await prepareSeatLab()
    console.log(`seat base ${base.root}\nseat mirror ${mirror.dir} (${mirror.packages.length} packages)\nready in ${((Date.now() - started) / 1000).toFixed(0)} s`)
    return 0
  }
  if (command === 'up') {
    const started = Date.now()
    const kind = values.kind as LabKind
    const lab = await createLab({ hosts: Number(values.hosts), name: name ?? 'lab', prefix: values.prefix, keep: true, kind })
    const first = lab.hosts[0]!
    console.log(`lab ${lab.id}: ${lab.hosts.length} ${kind === 'seat' ? 'seats' : 'hosts'} up in ${((Date.now() - started) / 1000).toFixed(1)} s
  hosts       ${first.name} (${first.address}) … ${lab.hosts.at(-1)!.name} (${lab.hosts.at(-1)!.address})
  inventory   ${lab.inventory}
  key         ${lab.privateKey}
  known_hosts ${lab.knownHosts}
  controller  ${lab.controllerAddress} in namespace ${lab.controllerNs}
run labplay from the controller namespace (the hosts are reachable only from there):
  ip netns exec ${lab.controllerNs} npx labplay -i ${lab.inventory} PLAYBOOK
ssh by hand:
  ip netns exec ${lab.controllerNs} ssh -i ${lab.privateKey} -o UserKnownHostsFile=${lab.knownHosts} root@${first.address}
a root shell on a host without ssh:
  nsenter -t ${first.pid} --all --root bash${isSeatLab(lab) ? `   (a seat's pid changes when it reboots)
seats install packages from the lab's mirror ${lab.mirror.url}` : ''}
tear down:
  npm run lab:down -- --name ${lab.id}`)
    return 0
  }
  if (command === 'down') {
    if (values.stale) {
      const removed = await destroyStaleLabs()
      console.log(removed.length ? `removed stale labs: ${removed.join(' ')}` : 'no stale labs')
      return 0
    }
    const labs = labFolders()
    const id = name ?? (labs.length === 1 ? labs[0] : undefined)
    if (id === undefined || !labs.includes(id)) {
      console.error(`${id === undefined ? 'which lab?' : `no lab '${id}'`} labs here: ${labs.join(' ') || 'none'} (npm run lab:down -- --name NAME)`)
      return 5
    }
    await destroyLab(id)
    console.log(`lab ${id} is down`)
    return 0
  }
  if (command === 'status') {
    const namespaces = await labNamespaces()
    const ids = labFolders()
    if (ids.length === 0) console.log(`no labs in ${labRoot()}`)
    for (const id of ids) {
      const r = readRecord(id)
      const up = namespaces.filter((ns) => ns.startsWith(`${NS_PREFIX}${id}-`) && !ns.endsWith('-ctl')).length
      const owner = r?.keep ? 'kept (lab:up)' : `owner pid ${r?.owner ?? '?'}`
      console.log(`${id}: ${r ? `10.250.${r.subnet}.0/24, ${r.kind === 'seat' ? 'seats' : 'hosts'} ${r.prefix}-01…, ${up}/${r.hosts} namespaces, ${owner}` : 'no lab.json'}` +
        `${isStale(id) ? ', STALE (npm run lab:down -- --stale)' : ''}`)
    }
    return 0
  }
  console.error(`unknown command '${command}'\n${USAGE}`)
  return 5
}

try {
  process.exitCode = await main(process.argv.slice(2))
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err))
  process.exitCode = 1
}
