import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { ROOT } from './labplay.ts'

// site.yml's roles in the order it plays them, read from playbooks/site.yml itself (campus-login among them, though
// it runs only where campus_login is true): what a full run records for every seat.
const play = (parse(readFileSync(join(ROOT, 'playbooks/site.yml'), 'utf8')) as Array<{ roles: Array<string | { role: string }> }>)[0]!
export const SITE_ROLES: readonly string[] = play.roles.map((r) => (typeof r === 'string' ? r : r.role))

// The role site.yml plays only where campus_login is true; the lab's inventories leave it off.
export const CAMPUS_LOGIN = 'campus-login'
// What a full run does on a seat without campus_login: every other role of site.yml, in its order.
export const SEAT_ROLES: readonly string[] = SITE_ROLES.filter((r) => r !== CAMPUS_LOGIN)
