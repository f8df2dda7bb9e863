import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import samba from '../roles/samba-loopback/index.ts'
import gdm from '../roles/gdm-session/index.ts'
import vmImage from '../roles/vm-image/index.ts'
import { smbConf } from '../roles/samba-loopback/smb-conf.ts'
import { cleanupScript, desktopEntry, sessionScript } from '../roles/gdm-session/scripts.ts'
import { withBlock } from '../roles/gdm-session/hook.ts'
import { guestCpus, guestMemoryMb, launcherConfig, readSettings, tmpfilesConfig } from '../roles/vm-image/settings.ts'
import { formatRegistry } from '../roles/vm-image/versions.ts'
import type { ImageManifest as Manifest } from '../src/sdk/manifest.ts'

// The files site.yml writes, rendered once by the roles' own functions, so Ansible's copy tasks write
// byte-identical content (templating is not what is being compared: the work over SSH is). Seats share
// the machine's memory and CPUs, so labvm.conf is the same on every seat of the lab.
export function renderAnsibleFiles(dir: string, manifest: Manifest, groupVars: Record<string, unknown>): string {
  const out = join(dir, 'ansible-files')
  mkdirSync(out, { recursive: true })
  const smbVars = { ...samba.defaults, ...pick(groupVars, Object.keys(samba.defaults ?? {})) }
  const gdmVars = { ...gdm.defaults } as typeof gdm.defaults & Record<string, unknown>
  const vmVars = { ...vmImage.defaults, image: manifest, images_dir: groupVars.images_dir ?? vmImage.defaults?.images_dir }
  const { settings, problems } = readSettings(vmVars as Record<string, unknown>)
  if (!settings) throw new Error(`vm-image settings for the Ansible files: ${problems.join('; ')}`)
  const memory = guestMemoryMb(settings.memoryMb, Math.floor(totalmem() / 2 ** 20))
  const files: Record<string, string> = {
    'smb.conf': smbConf(smbVars),
    'labvm-session': sessionScript(String(gdmVars.launcher), (gdmVars.launcher_args as string[]).map(String)),
    'windows.desktop': desktopEntry(String(gdmVars.session_name), String(gdmVars.session_comment), '/usr/local/bin/labvm-session'),
    'labvm-session-cleanup': cleanupScript(String(gdmVars.overlay_dir)),
    'PostSession-Default': withBlock(undefined, 'if [ -x /usr/local/sbin/labvm-session-cleanup ]; then /usr/local/sbin/labvm-session-cleanup "$USER"; fi'),
    'labvm.conf': launcherConfig(settings, memory, guestCpus(settings.cpus, cpus().length)),
    'tmpfiles-labvm.conf': tmpfilesConfig(settings),
    'versions': formatRegistry([manifest.version]),
  }
  for (const [name, content] of Object.entries(files)) writeFileSync(join(out, name), content)
  return out
}

function pick(vars: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => k in vars).map((k) => [k, vars[k]]))
}

// The roles' validate commands (module-private there), as Ansible runs them: `bash -c SCRIPT` with %s the temp file.
const SMB_VALIDATE = [
  `out=$(testparm -s %s 2>&1 >/dev/null); rc=$?`,
  `echo "$out" | grep -v -e '^Load smb config files' -e '^Loaded services file OK' -e '^Weak crypto' -e '^Server role' -e '^$'`,
  `[ "$rc" -eq 0 ] && ! echo "$out" | grep -q '^Unknown parameter'`,
].join('\n')
const DESKTOP_VALIDATE = 'd=$(mktemp -d) && cp %s "$d/windows.desktop" && desktop-file-validate "$d/windows.desktop"; r=$?; rm -rf "$d"; exit $r'

// Extra vars of the Ansible playbook: where the rendered files and the roles' shipped files are, and the validate scripts.
export function ansibleVars(files: string, rolesDir: string): Record<string, string> {
  return { files, roles_dir: rolesDir, smb_validate: SMB_VALIDATE, desktop_validate: DESKTOP_VALIDATE }
}
