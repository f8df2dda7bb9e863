import test from 'ava'
import { selectedByTags } from '../../src/engine/tags.ts'

const cases: Array<[string[], string[], string[], boolean]> = [
  // task tags, --tags, --skip-tags, runs?
  [['kvm-module'], [], [], true],
  [['kvm-module'], ['kvm-module'], [], true],
  [['vm-image'], ['kvm-module'], [], false],
  [['vm-image', 'always'], ['kvm-module'], [], true],
  [['vm-image', 'always'], ['kvm-module'], ['always'], false],
  [['x', 'never'], [], [], false],
  [['x', 'never'], ['x'], [], true],
  [['x'], ['all'], [], true],
  [['x'], [], ['x'], false],
  [['x', 'y'], ['y'], ['x'], false],
  [['x'], ['tagged'], [], true],
]
for (const [tags, only, skip, expected] of cases) {
  test(`tags [${tags}] with -t [${only}] --skip-tags [${skip}] → ${expected ? 'runs' : 'skipped'}`, (t) => {
    t.is(selectedByTags(tags, only, skip), expected)
  })
}
