import { parseArgs } from 'node:util'
import { labCache } from '../state.ts'
import { buildGuestImage } from './image.ts'
import { downloadGuestDebs, GUEST_PACKAGES } from './packages.ts'

const USAGE = `usage: tsx test/lab/guest/cli.ts [--debs DIR] [--download] [--name NAME] [--version VERSION]
Builds (or finds in the cache) the stand-in "Windows" guest disk and prints its manifest as JSON.
  --debs DIR     folder of .deb files (a mirror's pool will do); default ${labCache('guest-debs')}
  --download     apt-get download what DIR lacks first: ${GUEST_PACKAGES.join(' ')} and the kernel
  --name, --version   the manifest's name (default win11-lab) and version (default stand-in-<key>)`

// Building the stand-in guest by hand, e.g. to boot it with labvm on a seat or to publish its manifest.
function main(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      debs: { type: 'string', default: labCache('guest-debs') },
      download: { type: 'boolean', default: false },
      name: { type: 'string' },
      version: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  if (values.download) downloadGuestDebs(values.debs)
  const started = Date.now()
  const image = buildGuestImage({ debs: values.debs, name: values.name, version: values.version })
  console.error(`${image.built ? 'built' : 'found in the cache'} in ${((Date.now() - started) / 1000).toFixed(1)} s: ${image.file}`)
  console.log(JSON.stringify(image.manifest, null, 2))
  return 0
}

try {
  process.exitCode = main(process.argv.slice(2))
} catch (error) {
  console.error(`guest image: ${error instanceof Error ? error.message : String(error)}`)
  process.exitCode = 1
}
