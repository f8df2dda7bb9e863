import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { baseLdif, configLdif, passwordLdif, SCHEMAS, studentLdif, type DirectoryShape, type Student } from './directory-ldif.ts'
import type { Lab } from './lab.ts'
import { must } from './run.ts'

export type { Student } from './directory-ldif.ts'

// The campus directory as a test sees it: where it listens, what Samba binds with, what the CA is.
export interface Directory {
  host: string
  address: string
  url: string
  suffix: string
  // sambaDomainName of the domain entry, and its SID (every student's sambaSID starts with it).
  domain: string
  domainSid: string
  adminDn: string
  adminPassword: string
  // The lab CA that signed the server's certificate: its path in the lab state and its PEM.
  caFile: string
  caCert: string
  studentsGid: number
  // slapd's stats log (connections, STARTTLS, binds with their ssf).
  logFile: string
  addStudent(student: Student): Promise<void>
  setPassword(uid: string, password: string): Promise<void>
  // Refuses every operation on a connection without TLS (StartTLS itself excepted).
  requireTls(): Promise<void>
  // ldapsearch as the host's root over ldapi://, LDIF out.
  search(filter: string, attributes?: string[]): Promise<string>
}

export interface DirectoryOptions {
  students?: Student[]
  suffix?: string
  domain?: string
  // The Samba DN's password; default: a random one.
  adminPassword?: string
}

// slapd answers within a second here; bounded like every wait of the lab.
const START_ROUNDS = 100

// Where startDirectory runs slapd when no lab host can: the lab network's own side (the controller's namespace,
// at the lab's .1), a campus server beside the seats. A seat lab's hosts are all seats, and a seat does not see the
// lab's state folder that slapd's files live in.
export const CONTROLLER = 'controller'

// How the directory's commands reach the machine slapd runs on, and its address on the lab network.
interface Server {
  address: string
  exec(command: string, opts: { input?: string; timeoutMs: number }): Promise<{ code: number; stdout: string; stderr: string }>
}

function server(lab: Lab, host: string): Server {
  if (host === CONTROLLER) return { address: lab.controllerAddress, exec: (command, opts) => lab.controller(['bash', '-c', command], opts) }
  const labHost = lab.hosts.find((h) => h.name === host)
  if (!labHost) throw new Error(`no host '${host}' in lab ${lab.id}`)
  return { address: labHost.address, exec: (command, opts) => lab.exec(host, command, opts) }
}

// Debian's slapd in `host`'s namespaces (a namespace host, or CONTROLLER), listening on its lab address (and a
// private ldapi:// socket for the test's own changes), its config and database in the lab's state: it dies with the lab.
export async function startDirectory(lab: Lab, host: string, opts: DirectoryOptions = {}): Promise<Directory> {
  const where = server(lab, host)
  const missing = SCHEMAS.filter((f) => !existsSync(f))
  if (missing.length > 0) throw new Error(`the directory needs ${missing.join(', ')} (Debian's slapd and samba packages)`)
  const dir = join(lab.dir, host, 'directory')
  const paths = {
    dir,
    database: join(dir, 'db'),
    caCert: join(dir, 'ca.crt'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
  }
  mkdirSync(paths.database, { recursive: true })
  mkdirSync(join(dir, 'config'))
  await makeCertificates(dir, host, where.address)

  const suffix = opts.suffix ?? 'dc=campus,dc=lab'
  const shape: DirectoryShape = {
    suffix,
    domain: opts.domain ?? 'CAMPUS',
    domainSid: `S-1-5-21-${[0, 1, 2].map(() => randomBytes(4).readUInt32LE()).join('-')}`,
    adminDn: `cn=samba,ou=system,${suffix}`,
    adminPassword: opts.adminPassword ?? `adm-${randomBytes(9).toString('base64url')}`,
    studentsGid: 10000,
  }
  const socket = join(dir, 'ldapi')
  const ldapi = `ldapi://${encodeURIComponent(socket)}`
  const logFile = join(dir, 'slapd.log')
  const url = `ldap://${where.address}/`
  writeFileSync(join(dir, 'config.ldif'), configLdif(paths, shape))

  const inHost = async (command: string, input?: string): Promise<string> => {
    const r = await where.exec(command, { input, timeoutMs: 30_000 })
    if (r.code !== 0) throw new Error(`directory on ${host}: ${command.split('\n')[0]} exited ${r.code}\n${r.stderr}${r.stdout}`)
    return r.stdout
  }
  const modify = (ldif: string) => inHost(`ldapmodify -a -Q -Y EXTERNAL -H ${ldapi}`, ldif)

  await inHost(`slapadd -n0 -F ${join(dir, 'config')} -l ${join(dir, 'config.ldif')}`)
  // -d stats: stay in the foreground (a child of the host's init once this shell exits) and log every operation.
  await inHost(`setsid slapd -h '${url} ${ldapi}' -F ${join(dir, 'config')} -d stats </dev/null >${logFile} 2>&1 &`)
  for (let round = 0; ; round++) {
    const r = await where.exec(`ldapsearch -Q -Y EXTERNAL -H ${ldapi} -s base -b '' namingContexts`, { timeoutMs: 5_000 })
    if (r.code === 0) break
    if (round >= START_ROUNDS) throw new Error(`slapd on ${host} does not answer: ${readFileSync(logFile, 'utf8').split('\n').slice(-10).join('\n')}`)
    await sleep(50)
  }
  await modify(baseLdif(shape, opts.students ?? []))

  return {
    host,
    address: where.address,
    url,
    suffix,
    domain: shape.domain,
    domainSid: shape.domainSid,
    adminDn: shape.adminDn,
    adminPassword: shape.adminPassword,
    caFile: paths.caCert,
    caCert: readFileSync(paths.caCert, 'utf8'),
    studentsGid: shape.studentsGid,
    logFile,
    addStudent: async (student) => void (await modify(studentLdif(shape, student))),
    setPassword: async (uid, password) => void (await modify(passwordLdif(shape, uid, password))),
    // ldapi:// counts as ssf 71, TLS as 256, plain TCP as 0: 64 leaves the test's own socket usable.
    requireTls: async () => void (await modify('dn: cn=config\nchangetype: modify\nreplace: olcSecurity\nolcSecurity: ssf=64\n')),
    search: (filter, attributes = []) => inHost(`ldapsearch -LLL -Q -Y EXTERNAL -H ${ldapi} -b ${suffix} '${filter.replace(/'/g, `'\\''`)}' ${attributes.join(' ')}`),
  }
}

// A lab CA and a server certificate for the host's address and name, made with openssl in the lab state.
async function makeCertificates(dir: string, host: string, address: string): Promise<void> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  await must('openssl', ['req', '-x509', ...ec, '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.crt'), '-days', '2', '-subj', '/CN=labplay campus CA'])
  await must('openssl', ['req', ...ec, '-keyout', join(dir, 'server.key'), '-out', join(dir, 'server.csr'), '-subj', `/CN=${host}`])
  writeFileSync(join(dir, 'server.ext'), `subjectAltName=IP:${address},DNS:${host}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n`)
  await must('openssl', ['x509', '-req', '-in', join(dir, 'server.csr'), '-CA', join(dir, 'ca.crt'), '-CAkey', join(dir, 'ca.key'),
    '-CAcreateserial', '-out', join(dir, 'server.crt'), '-days', '2', '-extfile', join(dir, 'server.ext')])
}

// One LDAP connection in slapd's stats log: from where, whether it switched to TLS, the binds it tried
// (logged as they arrive, refused or not) and those that succeeded, with their ssf.
export interface DirectoryConnection {
  conn: number
  from: string
  startTls: boolean
  tls: boolean
  bindAttempts: number
  binds: Array<{ dn: string; ssf: number }>
}

// Reads slapd's stats log back into connections, numbered in the order slapd accepted them. The lines of
// one conn=N share that tag but come from several threads: its ACCEPT may be written after its first operation.
export function directoryConnections(log: string): DirectoryConnection[] {
  const byConn = new Map<number, DirectoryConnection>()
  for (const line of log.split('\n')) {
    const tag = / conn=(\d+) /.exec(line)?.[1]
    if (!tag) continue
    const conn = Number(tag)
    let c = byConn.get(conn)
    if (!c) byConn.set(conn, (c = { conn, from: '', startTls: false, tls: false, bindAttempts: 0, binds: [] }))
    const accept = /ACCEPT from IP=([^:\s]+):/.exec(line)
    if (accept) c.from = accept[1]!
    if (/ op=\d+ STARTTLS$/.test(line)) c.startTls = true
    if (/ TLS established /.test(line)) c.tls = true
    if (/ BIND dn="[^"]*" method=\d+$/.test(line)) c.bindAttempts++
    const bind = / BIND dn="([^"]*)" mech=\S+ .*\bssf=(\d+)/.exec(line)
    if (bind) c.binds.push({ dn: bind[1]!, ssf: Number(bind[2]) })
  }
  return [...byConn.values()].sort((a, b) => a.conn - b.conn)
}

// The stand-in for NSS until seats resolve students through the directory: a local Unix account with
// the directory's uidNumber and the students' gidNumber, so smbd's getpwnam(student) succeeds.
export async function localAccount(lab: Lab, host: string, directory: Directory, student: Student): Promise<void> {
  const gid = directory.studentsGid
  const r = await lab.exec(host, `getent group ${gid} >/dev/null || groupadd -g ${gid} students; useradd -m -u ${student.uidNumber} -g ${gid} -s /bin/bash ${student.uid}`)
  if (r.code !== 0) throw new Error(`${host}: useradd ${student.uid} exited ${r.code}: ${r.stderr}`)
}
