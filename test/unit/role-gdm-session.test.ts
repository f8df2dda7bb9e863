import test from 'ava'
import { BEGIN, END, withBlock } from '../../roles/gdm-session/hook.ts'

const BODY = 'cleanup "$USER"'
const block = `${BEGIN}\n${BODY}\n${END}\n`
const DEBIAN = '#!/bin/sh\n\nexit 0\n'

test('a missing PostSession/Default becomes a sh script ending with exit 0', (t) => {
  t.is(withBlock(undefined, BODY), `#!/bin/sh\n\n${block}\nexit 0\n`)
})

test("Debian's stock file gets the block before its final exit 0, once", (t) => {
  const once = withBlock(DEBIAN, BODY)
  t.is(once, `#!/bin/sh\n\n${block}exit 0\n`)
  t.is(withBlock(once, BODY), once)
})

test("the admin's lines stay as they are; a changed body replaces the block in place", (t) => {
  const admin = '#!/bin/sh\n# site hook\nlogger "session of $USER ended"\nexit 0\n# trailing comment\n'
  const once = withBlock(admin, BODY)
  t.is(once, `#!/bin/sh\n# site hook\nlogger "session of $USER ended"\n${block}exit 0\n# trailing comment\n`)
  t.is(withBlock(once, 'other'), `#!/bin/sh\n# site hook\nlogger "session of $USER ended"\n${BEGIN}\nother\n${END}\nexit 0\n# trailing comment\n`)
})

test('a file that does not end with exit gets the block at its end', (t) => {
  t.is(withBlock('#!/bin/sh\nrm -f /tmp/x', BODY), `#!/bin/sh\nrm -f /tmp/x\n${block}`)
})
