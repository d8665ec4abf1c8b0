// Prints bitfield-rle test vectors made by the reference package (npm bitfield-rle 2.2.1, as
// installed for hypercore 7): one line per case, "<input hex> <encoding hex>", "-" for empty.
//   node rle_vectors.js <npm dir with node_modules> <seed> <count>
// The cases mix runs of 0x00 and 0xff of every interesting length (around the points where a run
// starts to pay for itself, and long enough for multi-byte varints) with literal bytes.
'use strict'
const path = require('path')

const [npmDir, seedArg, countArg] = process.argv.slice(2)
const rle = require(path.resolve(npmDir, 'node_modules', 'bitfield-rle'))

// xorshift32: deterministic for a seed, so a failing case can be regenerated.
let state = (Number(seedArg) >>> 0) || 1
function rand (n) {
  state ^= state << 13; state >>>= 0
  state ^= state >>> 17
  state ^= state << 5; state >>>= 0
  return state % n
}

function randomBitfield () {
  const parts = []
  const pieces = rand(8)
  for (let i = 0; i < pieces; i++) {
    const kind = rand(4)
    const len = [1, 2, 3, 4, 5, 8, 16, 31, 32, 33, 63, 64, 65, 200, 1000, 5000][rand(16)]
    if (kind === 0) parts.push(Buffer.alloc(len, 0))
    else if (kind === 1) parts.push(Buffer.alloc(len, 0xff))
    else if (kind === 2) parts.push(Buffer.from(Array.from({ length: Math.min(len, 40) }, () => rand(256))))
    else parts.push(Buffer.from(Array.from({ length: Math.min(len, 12) }, () => [0, 0xff, 0x80, 0x01][rand(4)])))
  }
  return Buffer.concat(parts)
}

const fixed = [
  '', '00', '0000', 'ff', 'ffff', '80', 'f8', '01', '00ff', 'ff00', 'ff00ff', '00ff00ff00',
  'ffffffffffffffffffff', '0000000000000000000001', 'ff'.repeat(64), 'ff'.repeat(65), '00'.repeat(64) + '01',
  'ab' + 'ff'.repeat(3) + 'cd', 'ab' + 'ff'.repeat(4) + 'cd', 'ab' + '00'.repeat(3) + 'cd',
  'ab' + '00'.repeat(4) + 'cd', 'ff'.repeat(300) + '00'.repeat(300) + 'ff'
]

const hex = b => (b.length ? b.toString('hex') : '-')
const lines = []
for (const f of fixed) {
  const input = Buffer.from(f, 'hex')
  lines.push(`${hex(input)} ${hex(rle.encode(input))}`)
}
const count = Number(countArg)
for (let i = 0; i < count; i++) {
  const input = randomBitfield()
  const encoded = rle.encode(input)
  // The reference must decode its own output back (trailing zeros dropped).
  const decoded = rle.decode(encoded)
  let end = input.length
  while (end > 0 && input[end - 1] === 0) end--
  if (!decoded.slice(0, end).equals(input.slice(0, end))) throw new Error('reference round trip failed')
  lines.push(`${hex(input)} ${hex(encoded)}`)
}
process.stdout.write(lines.join('\n') + '\n')
