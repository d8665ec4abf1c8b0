// Parses a *.workload file (see site.workload) into operations; shared by the node scripts.
'use strict'
const fs = require('fs')

// The deterministic bytes of `gen SIZE SEED` (drive_interop_test.cc generates the same).
function generate (size, seed) {
  const buf = Buffer.alloc(size)
  for (let i = 0; i < size; i++) buf[i] = (seed * 131 + i * 7 + Math.floor(i / 1024)) & 255
  return buf
}

function parse (file) {
  const ops = []
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue
    const parts = line.split(' ')
    const [op, path] = parts
    if (op === 'del') ops.push({ op, path })
    else if (op === 'mkdir') ops.push({ op, path, mtime: Number(parts[2]), ctime: Number(parts[3]) })
    else if (op === 'put') {
      const data = parts[4] === 'gen' ? generate(Number(parts[5]), Number(parts[6])) : Buffer.from(parts.slice(5).join(' '))
      ops.push({ op, path, mtime: Number(parts[2]), ctime: Number(parts[3]), data })
    } else throw new Error('bad workload line: ' + line)
  }
  return ops
}

module.exports = { parse, generate }
