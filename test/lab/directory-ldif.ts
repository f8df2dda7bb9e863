import { ntHash, sshaPassword } from './nt-hash.ts'

// The campus directory's shape, as LDIF: slapd's cn=config, the base tree, one entry a student.

// Where Debian keeps the schemas: OpenLDAP's own (slapd) and Samba's, already in cn=config form (samba's docs).
export const SCHEMAS = [
  '/etc/ldap/schema/core.ldif',
  '/etc/ldap/schema/cosine.ldif',
  '/etc/ldap/schema/nis.ldif',
  '/etc/ldap/schema/inetorgperson.ldif',
  '/usr/share/doc/samba/examples/LDAP/samba.ldif',
]

// The root of the host (uid 0 over ldapi://) manages both databases: no root password exists.
export const ROOT_IDENTITY = 'gidNumber=0+uidNumber=0,cn=peercred,cn=external,cn=auth'

// A campus account: the Unix, shadow and Samba sides of one student.
export interface Student {
  uid: string
  uidNumber: number
  password: string
}

// What the LDIF needs to know about the directory being built.
export interface DirectoryShape {
  suffix: string
  domain: string
  domainSid: string
  adminDn: string
  adminPassword: string
  studentsGid: number
}

export interface ConfigPaths {
  dir: string
  database: string
  caCert: string
  serverCert: string
  serverKey: string
}

// cn=config for slapd -F: TLS from the lab CA, an mdb database, the schemas, and access rules that
// let the Samba DN read the NT hashes and nothing write (so no seat can add its own sambaDomain entry).
export function configLdif(paths: ConfigPaths, shape: DirectoryShape): string {
  return [
    entry('cn=config', [
      'objectClass: olcGlobal',
      'cn: config',
      `olcPidFile: ${paths.dir}/slapd.pid`,
      `olcArgsFile: ${paths.dir}/slapd.args`,
      `olcTLSCACertificateFile: ${paths.caCert}`,
      `olcTLSCertificateFile: ${paths.serverCert}`,
      `olcTLSCertificateKeyFile: ${paths.serverKey}`,
    ]),
    entry('cn=module{0},cn=config', ['objectClass: olcModuleList', 'cn: module{0}', 'olcModulePath: /usr/lib/ldap', 'olcModuleLoad: back_mdb']),
    entry('cn=schema,cn=config', ['objectClass: olcSchemaConfig', 'cn: schema']),
    ...SCHEMAS.map((file) => `include: file://${file}\n`),
    entry('olcDatabase={-1}frontend,cn=config', ['objectClass: olcDatabaseConfig', 'objectClass: olcFrontendConfig', 'olcDatabase: {-1}frontend']),
    entry('olcDatabase={0}config,cn=config', [
      'objectClass: olcDatabaseConfig',
      'olcDatabase: {0}config',
      `olcAccess: {0}to * by dn.exact=${ROOT_IDENTITY} manage by * none`,
    ]),
    entry('olcDatabase={1}mdb,cn=config', [
      'objectClass: olcDatabaseConfig',
      'objectClass: olcMdbConfig',
      'olcDatabase: {1}mdb',
      `olcSuffix: ${shape.suffix}`,
      `olcRootDN: ${ROOT_IDENTITY}`,
      `olcDbDirectory: ${paths.database}`,
      'olcDbIndex: objectClass eq',
      'olcDbIndex: uid,uidNumber,gidNumber,memberUid eq',
      'olcDbIndex: sambaSID,sambaDomainName eq',
      'olcAccess: {0}to attrs=userPassword by anonymous auth by * none',
      `olcAccess: {1}to attrs=sambaNTPassword,sambaLMPassword,sambaPasswordHistory by dn.exact="${shape.adminDn}" read by * none`,
      'olcAccess: {2}to * by * read',
    ]),
  ].join('\n')
}

// The tree a campus has: people, groups, the Samba DN, the domain with its SID, the students' group.
export function baseLdif(shape: DirectoryShape, students: Student[]): string {
  const { suffix } = shape
  const dc = /^dc=([^,]+)/.exec(suffix)?.[1] ?? 'campus'
  return [
    entry(suffix, ['objectClass: dcObject', 'objectClass: organization', `dc: ${dc}`, `o: ${dc}`]),
    ...['people', 'groups', 'system'].map((ou) => entry(`ou=${ou},${suffix}`, ['objectClass: organizationalUnit', `ou: ${ou}`])),
    entry(shape.adminDn, [
      'objectClass: organizationalRole',
      'objectClass: simpleSecurityObject',
      `cn: ${/^cn=([^,]+)/.exec(shape.adminDn)?.[1] ?? 'samba'}`,
      `userPassword: ${sshaPassword(shape.adminPassword)}`,
    ]),
    entry(`sambaDomainName=${shape.domain},${suffix}`, [
      'objectClass: sambaDomain',
      `sambaDomainName: ${shape.domain}`,
      `sambaSID: ${shape.domainSid}`,
      'sambaAlgorithmicRidBase: 1000',
    ]),
    entry(`cn=students,ou=groups,${suffix}`, [
      'objectClass: posixGroup',
      'objectClass: sambaGroupMapping',
      'cn: students',
      `gidNumber: ${shape.studentsGid}`,
      `sambaSID: ${shape.domainSid}-513`,
      'sambaGroupType: 2',
      'displayName: students',
    ]),
    ...students.map((s) => studentLdif(shape, s)),
  ].join('\n')
}

// posixAccount + shadowAccount + sambaSamAccount; the RID is Samba's algorithmic one (2 × uid + 1000).
export function studentLdif(shape: DirectoryShape, s: Student, now = new Date()): string {
  const { suffix, domainSid } = shape
  return [
    entry(`uid=${s.uid},ou=people,${suffix}`, [
      'objectClass: inetOrgPerson',
      'objectClass: posixAccount',
      'objectClass: shadowAccount',
      'objectClass: sambaSamAccount',
      `uid: ${s.uid}`,
      `cn: ${s.uid}`,
      `sn: ${s.uid}`,
      `uidNumber: ${s.uidNumber}`,
      `gidNumber: ${shape.studentsGid}`,
      `homeDirectory: /home/${s.uid}`,
      'loginShell: /bin/bash',
      ...passwordAttributes(s.password, now),
      `sambaSID: ${domainSid}-${2 * s.uidNumber + 1000}`,
      `sambaPrimaryGroupSID: ${domainSid}-513`,
      'sambaAcctFlags: [U          ]',
    ]),
    `dn: cn=students,ou=groups,${suffix}\nchangetype: modify\nadd: memberUid\nmemberUid: ${s.uid}\n`,
  ].join('\n')
}

// A new campus password: the LDAP, shadow and NT sides change together, as a campus password tool does.
export function passwordLdif(shape: DirectoryShape, uid: string, password: string, now = new Date()): string {
  const lines = passwordAttributes(password, now)
  return [`dn: uid=${uid},ou=people,${shape.suffix}`, 'changetype: modify',
    ...lines.flatMap((line, i) => [`replace: ${line.split(':')[0]}`, line, ...(i < lines.length - 1 ? ['-'] : [])]), ''].join('\n')
}

function passwordAttributes(password: string, now: Date): string[] {
  return [
    `userPassword: ${sshaPassword(password)}`,
    `shadowLastChange: ${Math.floor(now.getTime() / 86_400_000)}`,
    `sambaNTPassword: ${ntHash(password)}`,
    `sambaPwdLastSet: ${Math.floor(now.getTime() / 1000)}`,
  ]
}

function entry(dn: string, lines: string[]): string {
  return `dn: ${dn}\n${lines.join('\n')}\n`
}
