import type { Host } from 'labplay'

// nscd keeps answers, "no such user" among them, for minutes: once the directory settings or nsswitch.conf changed,
// a running nscd (glibc's or unscd, both /usr/sbin/nscd) forgets its passwd and group answers, as libnss-ldapd's own
// scripts have it do. One -i a call: unscd acts on the first and exits.
export async function forgetCachedAccounts(h: Host): Promise<void> {
  if ((await h.probe`pidof nscd`).code !== 0) return
  await h.run`nscd -i passwd && nscd -i group`
  h.changed('nscd forgot its passwd and group answers')
}
