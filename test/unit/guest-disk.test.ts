import test from 'ava'
import { masterBootRecord, PARTITION_START } from '../lab/guest/disk.ts'

test('the MBR holds the boot code, one active FAT16 (LBA) partition from 1 MiB, and the boot signature', (t) => {
  const code = Buffer.alloc(440, 0xfa)
  const mbr = masterBootRecord(code, 63488, 0x1234abcd)
  t.is(mbr.length, 512)
  t.deepEqual(mbr.subarray(0, 440), code)
  t.is(mbr.readUInt32LE(440), 0x1234abcd)
  t.is(mbr[446], 0x80, 'active')
  t.is(mbr[450], 0x0e, 'FAT16, LBA')
  t.is(mbr.readUInt32LE(454), PARTITION_START)
  t.is(mbr.readUInt32LE(458), 63488)
  t.deepEqual(mbr.subarray(462, 510), Buffer.alloc(48), 'the other three entries are empty')
  t.is(mbr.readUInt16LE(510), 0xaa55)
  t.throws(() => masterBootRecord(Buffer.alloc(441), 1, 1), { message: 'MBR code: expected at most 440 bytes, got 441' })
})
