// Ansible's parse_address, reduced to what inventories need: split `host:port`, `[ipv6]:port`,
// and tell a well-formed host name (possibly with [x:y] ranges) from anything else.

const RANGE = String.raw`\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]`
const WORD = String.raw`[\p{L}\p{N}_]`
const LABEL = String.raw`(?:${WORD}|${RANGE})(?:${WORD}|[_-]|${RANGE})*(?<![_-])`
const HOSTNAME = new RegExp(String.raw`^${LABEL}(?:\.${LABEL})*$`, 'iu')
const HEX = String.raw`(?:[0-9a-f]{1,4}|\[[0-9a-f]+:[0-9a-f]+(?::[0-9]+)?\])`
const V4 = String.raw`(?:${HEX}\.){3}${HEX}`
// Python applies its `$` to the last alternative only, so all but that one match a prefix.
const IPV6 = new RegExp(`^(?:${[
  `(?:${HEX}:){7}${HEX}`,
  `(?:${HEX}:){1,6}:`,
  `(?:${HEX}:)(?::${HEX}){1,6}`,
  `(?:${HEX}:){2}(?::${HEX}){1,5}`,
  `(?:${HEX}:){3}(?::${HEX}){1,4}`,
  `(?:${HEX}:){4}(?::${HEX}){1,3}`,
  `(?:${HEX}:){5}(?::${HEX}){1,2}`,
  `(?:${HEX}:){6}(?::${HEX})`,
  `:(?::${HEX}){1,6}`,
  `${HEX}?::`,
  `(?:0:){6}${V4}`,
  `::(?:ffff:)?${V4}`,
  `(?:0:){5}ffff:${V4}$`,
].join('|')})`, 'i')
const BRACKETED_PORT = /^\[(.+)\]:([0-9]+)$/
const HOST_PORT = /^((?:[^:[\]]|\[[^\]]*\])*):([0-9]+)$/

// A host name or address and the port written after it, if any.
export interface Address {
  host: string
  port?: number
}

// A host with an optional port, or undefined when Ansible would not recognise it as an address.
export function parseAddress(text: string, allowRanges: boolean): Address | undefined {
  let host = text
  let port: number | undefined
  for (const re of [BRACKETED_PORT, HOST_PORT]) {
    const m = re.exec(host)
    if (m) {
      host = m[1] ?? ''
      port = Number(m[2])
    }
  }
  if (!HOSTNAME.test(host) && !IPV6.test(host)) return undefined
  if (!allowRanges && host.includes('[')) return undefined
  return port === undefined ? { host } : { host, port }
}
