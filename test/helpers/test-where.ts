import test from 'ava'

// A unit test that needs a tool or a privilege: skipped only where `npx ava test/unit` runs without root (a
// developer's laptop); as root (CI, `npm test`) it always runs, so a missing tool fails instead of hiding.
export function testWhere(available: boolean): typeof test | typeof test.skip {
  return available || process.getuid?.() === 0 ? test : test.skip
}
