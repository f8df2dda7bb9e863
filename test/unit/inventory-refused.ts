import test from 'ava'
import { fileURLToPath } from 'node:url'
import { InputError } from '../../src/errors.ts'
import { loadInventory } from '../../src/inventory/index.ts'

// Shared by inventory-ini.test.ts and inventory-yaml.test.ts: a refused inventory is a fixture, a place and a message.

const FIXTURES = fileURLToPath(new URL('../fixtures/inventories/', import.meta.url))

// test(refuses, 'name.ini', line, col, message): loading test/fixtures/inventories/bad/name.ini fails there, saying that.
export const refuses = test.macro({
  async exec(t, name: string, line: number, col: number, message: string) {
    const file = `bad/${name}`
    const error = await t.throwsAsync(loadInventory([file], { cwd: FIXTURES }), { instanceOf: InputError })
    t.is(error?.format(), `${file}:${line}:${col}: ${message}`)
  },
  title: (_ = '', name: string, line: number, col: number) => `refuses bad/${name} at ${line}:${col}`,
})
