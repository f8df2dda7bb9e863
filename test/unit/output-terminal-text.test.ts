import test from 'ava'
import { jsonText, terminalData, terminalText } from '../../src/output/terminal-text.ts'

// Seat text in, what a terminal is given out: every control written out, nothing for it to act on.
const CASES: Array<[what: string, input: string, shown: string]> = [
  ['plain text passes', 'samba 4.17 installed on m5-03', 'samba 4.17 installed on m5-03'],
  ['UTF-8 letters pass', 'Kernel für Übungsräume — 日本', 'Kernel für Übungsräume — 日本'],
  ['newline and tab are kept for the views', 'a\tb\nc', 'a\tb\nc'],
  ['backslashes stay as they are', 'C:\\lab\\x1b', 'C:\\lab\\x1b'],
  ['OSC 0 title change', '\x1b]0;owned\x07', '\\x1b]0;owned\\x07'],
  ['OSC 52 clipboard write, ST-terminated', '\x1b]52;c;cm0gLXJmIH4=\x1b\\', '\\x1b]52;c;cm0gLXJmIH4=\\x1b\\'],
  ['clear screen', '\x1b[2J\x1b[H', '\\x1b[2J\\x1b[H'],
  ['cursor up and erase line', '\x1b[1A\x1b[2K', '\\x1b[1A\\x1b[2K'],
  ['a lone ESC', 'a\x1bb', 'a\\x1bb'],
  ['CR cannot overwrite a line', 'failed\rok    ', 'failed\\x0dok    '],
  ['CRLF keeps its newline, shows its CR', 'line\r\n', 'line\\x0d\n'],
  ['NUL, BEL, backspace, vertical tab, form feed', '\0\x07\b\v\f', '\\x00\\x07\\x08\\x0b\\x0c'],
  ['DEL', 'a\x7fb', 'a\\x7fb'],
  ['C1 CSI as a UTF-8 code point (U+009B)', '\u009b2J', '\\x9b2J'],
  ['C1 OSC and ST (U+009D, U+009C)', '\u009d0;t\u009c', '\\x9d0;t\\x9c'],
  ['every C1 from U+0080 to U+009F', '\u0080\u009f', '\\x80\\x9f'],
  ['NBSP (U+00A0) is text', 'a\u00a0b', 'a\u00a0b'],
  ['bidi override and isolates', '\u202eevil\u202c \u2066x\u2069', '\\u202eevil\\u202c \\u2066x\\u2069'],
  ['bidi marks', '\u200e\u200f\u061c', '\\u200e\\u200f\\u061c'],
]

for (const [what, input, shown] of CASES) {
  test(`terminalText: ${what}`, (t) => {
    t.is(terminalText(input), shown)
    t.notRegex(terminalText(input), /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/, 'no control character is left')
  })
}

test('terminalData: every string of nested data; clean data comes back as the same object', (t) => {
  const event = { type: 'task-end', host: 'm5-01', result: { message: 'x\x1b[2Jy', diff: ['+a\x07\n'], n: 3, ok: true, none: undefined } }
  t.deepEqual(terminalData(event), { type: 'task-end', host: 'm5-01', result: { message: 'x\\x1b[2Jy', diff: ['+a\\x07\n'], n: 3, ok: true, none: undefined } })
  t.is(event.result.message, 'x\x1b[2Jy', 'the input is not changed')
  const clean = { host: 'm5-01', tasks: [{ message: 'ok' }] }
  t.is(terminalData(clean), clean)
})

test('jsonText: the exact data back, with no character a terminal acts on', (t) => {
  const data = { message: '\x1b]0;t\x07 \u009b2J \x7f \u202e \u2028 ok' }
  const text = jsonText(data)
  t.deepEqual(JSON.parse(text), data)
  t.notRegex(text, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e\u2028]/)
  t.regex(text, /\\u001b\]0;t\\u0007 \\u009b2J \\u007f \\u202e \\u2028 ok/)
})
