import test from 'ava'
import { watchSecretReads } from '../../src/sdk/secret-reads.ts'

// Which reads of h.vars count as the task reading a secret (its diffs are then hidden).
const vars = () => ({ room: 'm5', db_password: 'x', db: { host: 'h', password: 'y' }, users: [{ name: 'ann', token: 't' }], shared: Object.freeze({ list: Object.freeze(['a']) }) })

const reads: Array<[string, (v: ReturnType<typeof vars>) => unknown, boolean]> = [
  ['a plain variable', (v) => v.room, false],
  ['a nested plain value', (v) => v.db.host, false],
  ['a list item\'s plain key', (v) => v.users[0]!.name, false],
  ['a frozen shared value', (v) => v.shared.list[0], false],
  ['checking a secret exists', (v) => 'db_password' in v, false],
  ['the names only', (v) => Object.keys(v), false],
  ['a secret-named variable', (v) => v.db_password, true],
  ['a secret-named key at depth', (v) => v.db.password, true],
  ['in a list', (v) => v.users.map((u) => u.token), true],
  ['all variables spread', (v) => ({ ...v }), true],
  ['all variables serialised', (v) => JSON.stringify(v), true],
  ['destructured', (v) => { const { db_password: pw } = v; return pw }, true],
]

for (const [what, read, secret] of reads) {
  test(`h.vars: ${what} ${secret ? 'reads' : 'does not read'} a secret`, (t) => {
    let count = 0
    const data = vars()
    const watched = watchSecretReads(data, () => count++) as ReturnType<typeof vars>
    const value = read(watched)
    t.is(count > 0, secret)
    t.deepEqual(JSON.parse(JSON.stringify(value ?? null)), JSON.parse(JSON.stringify(read(data) ?? null)), 'the same data')
  })
}
