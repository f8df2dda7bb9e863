import { defineRole, stampPath, type Host } from 'labplay'
import { readSettings, type Settings } from './settings.ts'
import { deliver } from './transfer.ts'

// What the first task found on each host, handed to the play-scoped task that follows it (h.share).
interface Copy {
  settings: Settings
  right: boolean
}
const COPY = 'copy'

// Reads the manifest (a clear failure when it is wrong) and hashes this host's copy (stat-cached).
async function inspect(h: Host): Promise<Copy> {
  const settings = readSettings(h.vars)
  const sum = await h.sha256(settings.final)
  const right = sum?.sha256 === settings.manifest.sha256 && sum.size === settings.manifest.size
  const seen = { settings, right }
  h.share(COPY, seen)
  return seen
}

// udp-receiver on the targets, udp-sender on a sending host: one package; declared so that the test lab's mirror carries it.
const PACKAGES = ['udpcast']

export default defineRole({
  name: 'udpcast',
  description: 'Every host holds images_dir/<name>-<version>.qcow2 with the sha256 of the image manifest; the hosts missing it receive it as one multicast stream.',
  defaults: {
    // The manifest (shared with vm-image): name, version, size in bytes, sha256, source (a path on the sender).
    image: { name: '', version: '', size: 0, sha256: '', source: '' } as Record<string, unknown>,
    // Where the verified image lands as <name>-<version>.qcow2.
    images_dir: '/srv/labplay/images',
    // A host of the play that sends (its image.source); empty: the controller sends.
    udpcast_sender_host: '',
    // The first of the room's ports; every room on a shared network segment needs its own range.
    udpcast_portbase: 9000,
    // Port pairs the room owns from udpcast_portbase on; each transfer round draws one at random.
    udpcast_port_pairs: 5,
    // Cap of the raw stream: 60% of a 1 Gbit/s room switch, leaving room for NFS homes and the campus uplink.
    udpcast_max_bitrate: '600m',
    // Seconds the sender and the receivers wait for each other before the data flows.
    udpcast_start_timeout_s: 60,
    // Seconds a receiver waits for the next packet once the transfer runs.
    udpcast_receive_timeout_s: 60,
    // Seconds the sender waits for missing receivers after the first one connected.
    udpcast_max_wait_s: 20,
    // Unanswered acknowledgement requests before the sender drops a receiver and goes on with the others.
    udpcast_retries_until_drop: 10,
    // A single target gets a plain copy over its SSH connection instead of multicast.
    udpcast_unicast_single: true,
  },
  packages: PACKAGES,
  tasks: [
    {
      name: 'the manifest is valid and this copy is checked against it',
      run: async (h) => {
        const { settings, right } = await inspect(h)
        // A .part left by an interrupted run on a host that needs nothing more.
        if (right) for (const leftover of [settings.part, stampPath(settings.part)]) await h.absent(leftover)
      },
    },
    {
      name: 'udp-sender and udp-receiver are installed',
      run: (h) => h.packages(PACKAGES),
    },
    {
      name: 'every host holds the verified image',
      once: async (play) => {
        const targets: Array<{ host: Host; settings: Settings }> = []
        for (const host of play.hosts) {
          const seen = play.shared<Copy>(host, COPY)
          if (!seen) play.failHost(host, 'the copy was not checked (the task before this one did not run)')
          else if (!seen.right) targets.push({ host, settings: seen.settings })
        }
        if (targets.length > 0) await deliver(play, targets)
      },
    },
  ],
})
