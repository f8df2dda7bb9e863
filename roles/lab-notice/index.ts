import { defineRole } from 'labplay'

// The smallest complete role: a folder, a templated file, a link, a check-mode-safe command and a handler.
export default defineRole({
  name: 'lab-notice',
  description: 'A notice at /etc/labplay/notice naming the room and the host, for people at the seat.',
  defaults: {
    room: 'unknown',
    notice_dir: '/etc/labplay',
    message: 'This workstation is managed by labplay.',
  },
  tasks: [
    {
      name: 'notice folder exists',
      run: (h) => h.directory(h.vars.notice_dir, { mode: '0755' }),
    },
    {
      name: 'notice names the room and the host',
      run: (h) =>
        h.file(`${h.vars.notice_dir}/notice`, {
          content: `${h.vars.message}\nroom: ${h.vars.room}\nhost: ${h.name}\n`,
          mode: '0644',
        }),
      notify: 'stamp the notice',
    },
    {
      name: 'motd points at the notice',
      run: (h) => h.symlink(`${h.vars.notice_dir}/motd`, `${h.vars.notice_dir}/notice`),
    },
    {
      name: 'kernel is recorded',
      run: async (h) => {
        const seen = await h.probe`cat ${`${h.vars.notice_dir}/kernel`} 2>/dev/null`
        if (seen.stdout.trim() === h.facts.kernel.running) return
        await h.run`printf '%s\n' ${h.facts.kernel.running} > ${`${h.vars.notice_dir}/kernel`}`
      },
    },
  ],
  handlers: {
    'stamp the notice': (h) => h.run`date -u +%FT%TZ > ${`${h.vars.notice_dir}/stamped`}`,
  },
})
