import { deflateSync } from 'node:zlib'

// A seat's screen as tests look at it: Xvfb's framebuffer file (-fbdir keeps Xvfb_screen0, an XWD dump, always
// current) or QEMU's screendump (PPM); kept as PNG. No screenshot tool is needed in the seat.
export interface Screen {
  width: number
  height: number
  // RGB, 3 bytes a pixel, rows top to bottom.
  rgb: Buffer
}

const HEADER_FIELDS = 25
const ZPIXMAP = 2
const TRUE_COLOR = 4
const XWD_COLOR_BYTES = 12

// The picture in an XWD file, or an error naming what differs from what Xvfb writes (ZPixmap, TrueColor, 24/32 bpp).
export function readXwd(file: Buffer): Screen {
  if (file.length < HEADER_FIELDS * 4) throw new Error(`XWD: expected a header of ${HEADER_FIELDS * 4} bytes, got ${file.length} bytes`)
  const field = (i: number) => file.readUInt32BE(i * 4)
  const [headerSize, version, format] = [field(0), field(1), field(2)]
  const [width, height, byteOrder, bitsPerPixel, bytesPerLine, visualClass] = [field(4), field(5), field(7), field(11), field(12), field(13)]
  const [redMask, greenMask, blueMask, colors] = [field(14), field(15), field(16), field(19)]
  if (version !== 7 || format !== ZPIXMAP || visualClass !== TRUE_COLOR || (bitsPerPixel !== 32 && bitsPerPixel !== 24)) {
    throw new Error(`XWD: expected version 7, ZPixmap, TrueColor, 24 or 32 bits a pixel, got version ${version}, format ${format}, class ${visualClass}, ${bitsPerPixel} bits`)
  }
  const data = headerSize + colors * XWD_COLOR_BYTES
  if (file.length < data + bytesPerLine * height) throw new Error(`XWD: expected ${data + bytesPerLine * height} bytes for ${width}x${height}, got ${file.length}`)
  const bytes = bitsPerPixel / 8
  const channel = (mask: number) => ({ mask, shift: mask === 0 ? 0 : Math.log2(mask & -mask) })
  const [r, g, b] = [channel(redMask), channel(greenMask), channel(blueMask)]
  const rgb = Buffer.alloc(width * height * 3)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = data + y * bytesPerLine + x * bytes
      const pixel = bytes === 4
        ? (byteOrder === 0 ? file.readUInt32LE(at) : file.readUInt32BE(at))
        : (byteOrder === 0 ? file.readUIntLE(at, 3) : file.readUIntBE(at, 3))
      const o = (y * width + x) * 3
      rgb[o] = ((pixel & r.mask) >>> r.shift) & 0xff
      rgb[o + 1] = ((pixel & g.mask) >>> g.shift) & 0xff
      rgb[o + 2] = ((pixel & b.mask) >>> b.shift) & 0xff
    }
  }
  return { width, height, rgb }
}

// The picture in a binary PPM (P6, maxval 255), as QEMU's screendump writes it.
export function readPpm(file: Buffer): Screen {
  const header = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(file.subarray(0, 64).toString('latin1'))
  if (!header) throw new Error(`PPM: expected a P6 header with maxval 255, got ${JSON.stringify(file.subarray(0, 16).toString('latin1'))}`)
  const [width, height] = [Number(header[1]), Number(header[2])]
  const rgb = file.subarray(header[0].length, header[0].length + width * height * 3)
  if (rgb.length !== width * height * 3) throw new Error(`PPM: expected ${width * height * 3} bytes of pixels for ${width}x${height}, got ${rgb.length}`)
  return { width, height, rgb: Buffer.from(rgb) }
}

// How many distinct colours the screen shows: 1 for an empty X screen, many once a window draws text on it.
export function colourCount(screen: Screen, limit = 4096): number {
  const seen = new Set<number>()
  for (let o = 0; o < screen.rgb.length && seen.size < limit; o += 3) seen.add(screen.rgb.readUIntBE(o, 3))
  return seen.size
}

// An 8-bit RGB PNG of the screen (what a test keeps as an artifact, and what README shows).
export function png(screen: Screen): Buffer {
  const { width, height, rgb } = screen
  const rows = Buffer.alloc((width * 3 + 1) * height)
  for (let y = 0; y < height; y++) rgb.copy(rows, y * (width * 3 + 1) + 1, y * width * 3, (y + 1) * width * 3)
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header.set([8, 2, 0, 0, 0], 8)
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header), chunk('IDAT', deflateSync(rows, { level: 9 })), chunk('IEND', Buffer.alloc(0)),
  ])
}

function chunk(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8)
  head.writeUInt32BE(body.length, 0)
  head.write(type, 4, 'latin1')
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0)
  return Buffer.concat([head, body, crc])
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

function crc32(bytes: Buffer): number {
  let c = 0xffffffff
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}
