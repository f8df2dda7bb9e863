import { fileURLToPath } from 'node:url'
import { defineRole, imageFileName, type Host } from 'labplay'
import { removeOldVersions, recordVersion } from './retention.ts'
import { guestCpus, guestMemoryMb, launcherConfig, linkPath, readSettings, tmpfilesConfig, type Settings } from './settings.ts'
import { imagePath, makeReadOnly, verifyImage } from './verify.ts'

const LAUNCHER = '/usr/local/bin/labvm'
const RELAY = '/usr/local/libexec/labvm-smb-relay'
const CONFIG = '/etc/labplay/labvm.conf'
const BOOT_CLEANUP = 'labvm-overlays'
const shipped = (name: string): string => fileURLToPath(new URL(`files/${name}`, import.meta.url))

// Every task starts from the checked variables; the first task fails the host when they are wrong.
function settings(h: Host): Settings {
  const { settings, problems } = readSettings(h.vars)
  if (!settings) h.fail(problems.join('; '))
  return settings
}

// vm_packages' default, declared so that the test lab's mirror carries it; qemu-system-gui brings the gtk display.
const VM_PACKAGES = ['qemu-utils', 'qemu-system-x86', 'qemu-system-gui']

const root = { owner: 'root', group: 'root' }

export default defineRole({
  name: 'vm-image',
  description: 'The shared disk image installed read-only and verified, and the labvm launcher that runs it in snapshot mode.',
  defaults: {
    // The manifest (group_vars): name and version make the file name, size in bytes, sha256 of the bytes;
    // source is where the udpcast role reads it on the controller (this role never transfers bytes).
    image: { name: '', version: '', size: 0, sha256: '', source: '' },
    // Versioned images and the stable link <name>.qcow2 live here.
    images_dir: '/srv/labplay/images',
    // Versions of an image kept on disk, the current one included.
    images_keep: 2,
    // Per-session overlays <user>-<pid>.qcow2, on local disk, emptied at boot.
    overlay_dir: '/var/tmp/labvm',
    // Guest RAM in MiB; 0: half the host's memory, at most 8192, at least 1024.
    vm_memory_mb: 0,
    // Guest CPUs; 0: the host's CPUs minus one, at least 1.
    vm_cpus: 0,
    // QEMU -display of a session (LABVM_DISPLAY overrides it for one run).
    vm_display: 'gtk,full-screen=on',
    // Where the guest finds the host's loopback Samba (port 445) on QEMU's user network.
    vm_smb_address: '10.0.2.100',
    // Debian packages labvm needs.
    vm_packages: VM_PACKAGES,
  },
  packages: VM_PACKAGES,
  tasks: [
    {
      name: 'the image manifest and settings are valid',
      run: (h) => void settings(h),
    },
    {
      name: 'QEMU and qemu-img are installed',
      run: (h) => h.packages(settings(h).packages),
    },
    {
      name: 'the images folder exists',
      run: (h) => h.directory(settings(h).imagesDir, { mode: '0755', ...root }),
    },
    {
      name: 'the image matches its manifest and passes qemu-img check',
      run: async (h) => {
        const s = settings(h)
        await verifyImage(h, s)
        // Verified (in check mode too): the run record remembers which image this host holds.
        h.state('image', s.image.version)
      },
    },
    {
      name: 'the image is read-only',
      run: (h) => makeReadOnly(h, imagePath(settings(h))),
    },
    {
      name: 'the stable link points to the current version',
      run: async (h) => {
        const s = settings(h)
        await recordVersion(h, s)
        await h.symlink(linkPath(s), imageFileName(s.image.name, s.image.version))
      },
    },
    {
      name: 'old versions beyond images_keep are gone, unless a VM holds them',
      run: (h) => removeOldVersions(h, settings(h)),
    },
    {
      name: 'labvm settings match this host',
      run: async (h) => {
        const s = settings(h)
        await h.directory('/etc/labplay', { mode: '0755', ...root })
        const memory = guestMemoryMb(s.memoryMb, h.facts.memory.totalMb)
        const cpus = guestCpus(s.cpus, h.facts.cpu.count)
        await h.file(CONFIG, { content: launcherConfig(s, memory, cpus), mode: '0644', ...root })
      },
    },
    {
      name: 'the labvm launcher and its Samba relay are installed',
      run: async (h) => {
        await h.file(LAUNCHER, { source: shipped('labvm'), mode: '0755', ...root })
        await h.directory('/usr/local/libexec', { mode: '0755', ...root })
        await h.file(RELAY, { source: shipped('labvm-smb-relay'), mode: '0755', ...root })
      },
    },
    {
      name: 'session overlays live on local disk and are emptied at boot',
      run: async (h) => {
        const s = settings(h)
        await h.directory(s.overlayDir, { mode: '1777', ...root })
        await h.directory('/etc/tmpfiles.d', { mode: '0755', ...root })
        await h.file('/etc/tmpfiles.d/labvm.conf', { content: tmpfilesConfig(s), mode: '0644', ...root })
      },
    },
    {
      name: 'without systemd, an init script empties the overlays at boot',
      when: (h) => h.facts.init === 'sysv',
      run: async (h) => {
        await h.file(`/etc/init.d/${BOOT_CLEANUP}`, { source: shipped(BOOT_CLEANUP), mode: '0755', ...root })
        await h.service(BOOT_CLEANUP, { enabled: true })
      },
    },
  ],
})
