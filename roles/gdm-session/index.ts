import { defineRole, list, type Host } from 'labplay'
import { withBlock } from './hook.ts'
import { cleanupScript, desktopEntry, sessionScript } from './scripts.ts'

const ENTRY = '/usr/share/xsessions/windows.desktop'
const SESSION = '/usr/local/bin/labvm-session'
const CLEANUP = '/usr/local/sbin/labvm-session-cleanup'
const HOOK = '/etc/gdm3/PostSession/Default'
// desktop-file-validate insists on the .desktop suffix, which the primitive's temporary name lacks.
const VALIDATE_ENTRY = 'd=$(mktemp -d) && cp %s "$d/windows.desktop" && desktop-file-validate "$d/windows.desktop"; r=$?; rm -rf "$d"; exit $r'
// GDM runs PostSession as root with $USER set to the user whose session ended.
const HOOK_BODY = `if [ -x ${CLEANUP} ]; then ${CLEANUP} "$USER"; fi`

// Installed by the first tasks; declared so that the test lab's mirror carries them.
const VALIDATOR = ['desktop-file-utils']
// The session has no desktop: without a window manager nobody honours QEMU's full-screen request, and the VM
// stays a small window in the screen's corner. matchbox (a kiosk window manager, 300 kB) gives it the whole screen.
const WINDOW_MANAGER = ['matchbox-window-manager']

const defaults = {
  // The VM launcher the session runs (made by the vm-image role).
  launcher: '/usr/local/bin/labvm',
  // Extra arguments for the launcher.
  launcher_args: [] as string[],
  // Where the launcher keeps per-session overlays, <user>-<pid>.qcow2; must match vm-image.
  overlay_dir: '/var/tmp/labvm',
  // The session's name and tooltip at the login screen.
  session_name: 'Windows',
  session_comment: 'Windows in a virtual machine; quitting Windows returns to this screen',
}
type SessionHost = Host<typeof defaults>

// One printable line: a newline in a desktop entry value would add keys of its own.
function line(h: SessionHost, name: keyof typeof defaults): string {
  const value = String(h.vars[name])
  if (value.trim() === '' || /[\x00-\x1f\x7f]/.test(value)) h.fail(`${name}: expected one line of text, got ${JSON.stringify(value)}`)
  return value
}

function absolute(h: SessionHost, name: 'launcher' | 'overlay_dir'): string {
  const value = String(h.vars[name])
  if (!value.startsWith('/') || /[\x00-\x1f\x7f]/.test(value)) h.fail(`${name}: expected an absolute path, got ${JSON.stringify(value)}`)
  return value.length > 1 ? value.replace(/\/+$/, '') : value
}

function launcherArgs(h: SessionHost): string[] {
  return list(h.vars.launcher_args, 'launcher_args')
}

// Real seats already run GDM; hosts cannot install it here. The files are still put in place for it.
async function gdmInstalled(h: SessionHost): Promise<void> {
  const status = await h.probe`dpkg-query -W -f '\${db:Status-Abbrev}' gdm3`
  if (status.code === 0 && status.stdout.startsWith('ii')) return
  h.warn("gdm3 is not installed: the Windows session shows once GDM runs")
}

// GDM's login screen reads the session files when it starts: one already on screen does not offer a new "Windows"
// (seen on a VM seat). Restarting GDM ends every session on the seat, so only while nobody is logged in there.
async function refreshLoginScreen(h: SessionHost): Promise<void> {
  if (h.facts.init !== 'systemd' || (await h.probe`systemctl is-active --quiet gdm.service`).code !== 0) return
  const sessions = await h.probe`for s in $(loginctl list-sessions --no-legend | awk '{print $1}'); do echo "$(loginctl show-session "$s" -p Class --value) $(loginctl show-session "$s" -p Seat --value) $(loginctl show-session "$s" -p Name --value)"; done`
  const students = sessions.stdout.split('\n').map((l) => l.split(' ')).filter(([cls, seat]) => cls === 'user' && seat).map(([, , name]) => name)
  if (students.length > 0) {
    h.warn(`${[...new Set(students)].join(', ')} logged in at this seat: "${line(h, 'session_name')}" shows at the login screen once that session ends`)
    return
  }
  await h.service('gdm', { state: 'restarted' })
}

async function hook(h: SessionHost): Promise<void> {
  await h.directory('/etc/gdm3/PostSession', { mode: '0755' })
  const seen = await h.probe`[ -e ${HOOK} ] || exit 3; cat -- ${HOOK}`
  if (seen.code !== 0 && seen.code !== 3) h.fail(`cannot read ${HOOK}: ${seen.stderr.trim()}`)
  await h.file(HOOK, { content: withBlock(seen.code === 3 ? undefined : seen.stdout, HOOK_BODY), mode: '0755' })
}

export default defineRole({
  name: 'gdm-session',
  description: 'A "Windows" session at the GDM login screen that runs the VM launcher; quitting Windows returns to the login screen, and what a session left behind is cleaned up.',
  defaults,
  packages: [...VALIDATOR, ...WINDOW_MANAGER],
  tasks: [
    // One task: one dpkg-query, and one apt-get where either is missing.
    { name: 'desktop-file-validate and a window manager that keeps the VM full screen are installed', run: (h) => h.packages([...VALIDATOR, ...WINDOW_MANAGER]) },
    { name: 'GDM is installed', run: gdmInstalled },
    {
      name: 'the session runs the Windows launcher in the foreground',
      run: (h) => h.file(SESSION, { content: sessionScript(absolute(h, 'launcher'), launcherArgs(h)), mode: '0755' }),
    },
    {
      name: '"Windows" is a session at the login screen',
      notify: 'the login screen offers the new session',
      run: async (h) => {
        await h.directory('/usr/share/xsessions', { mode: '0755' })
        await h.file(ENTRY, {
          content: desktopEntry(line(h, 'session_name'), line(h, 'session_comment'), SESSION),
          mode: '0644',
          validate: VALIDATE_ENTRY,
        })
      },
    },
    {
      name: "a session's leftover VMs and overlays can be cleaned up",
      run: (h) => h.file(CLEANUP, { content: cleanupScript(absolute(h, 'overlay_dir')), mode: '0755' }),
    },
    { name: 'GDM cleans up after every session', run: hook },
  ],
  handlers: {
    'the login screen offers the new session': refreshLoginScreen,
  },
})
