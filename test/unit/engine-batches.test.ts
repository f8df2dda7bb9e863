import test from 'ava'
import { Barrier } from '../../src/engine/barrier.ts'
import { batches } from '../../src/engine/prepare.ts'

const hosts = Array.from({ length: 10 }, (_, i) => `h${i}`)

test('serial: no value means one batch', (t) => {
  t.deepEqual(batches(hosts, []), [hosts])
})

test('serial: a number, a percentage, a list whose last size repeats', (t) => {
  t.deepEqual(batches(hosts, [4]).map((b) => b.length), [4, 4, 2])
  t.deepEqual(batches(hosts, ['30%']).map((b) => b.length), [3, 3, 3, 1])
  t.deepEqual(batches(hosts, [1, 2, '50%']).map((b) => b.length), [1, 2, 5, 2])
  t.deepEqual(batches(hosts, ['1%']).map((b) => b.length), Array(10).fill(1))
})

test('barrier runs its step once, after every host arrived or left, with the arrivals only', async (t) => {
  const runs: string[][] = []
  const barrier = new Barrier<string>(3, async (who) => {
    runs.push([...who])
  })
  const a = barrier.arrive('a')
  barrier.leave()
  t.deepEqual(runs, [])
  const c = barrier.arrive('c')
  await Promise.all([a, c])
  t.deepEqual(runs, [['a', 'c']])
})

test('barrier with nobody arriving releases without running', async (t) => {
  let ran = false
  const barrier = new Barrier<string>(2, async () => {
    ran = true
  })
  barrier.leave()
  barrier.leave()
  t.false(ran)
  const empty = new Barrier<string>(0, async () => {
    ran = true
  })
  t.truthy(empty)
  t.false(ran)
})
