// Usage: node ref_write.js DIR SEED_HEX WORKLOAD — writes the workload with the reference
// hyperdrive (whichever NODE_PATH provides) into DIR/{metadata,content}, under the metadata key
// pair derived from the seed. Prints key=, content_key=, version=.
'use strict'
const hyperdrive = require('hyperdrive')
const sodium = require('sodium-universal')
const { parse } = require('./workload')

const [dir, seedHex, workload] = process.argv.slice(2)
const pk = Buffer.alloc(32)
const sk = Buffer.alloc(64)
sodium.crypto_sign_seed_keypair(pk, sk, Buffer.from(seedHex, 'hex'))
const drive = hyperdrive(dir, pk, { secretKey: sk })
const ops = parse(workload)

function next (err) {
  if (err) throw err
  const op = ops.shift()
  if (!op) {
    console.log(`key=${drive.key.toString('hex')}\ncontent_key=${drive.content.key.toString('hex')}\nversion=${drive.version}`)
    return drive.close(() => {})
  }
  if (op.op === 'put') drive.writeFile(op.path, op.data, { mtime: op.mtime, ctime: op.ctime }, next)
  else if (op.op === 'mkdir') drive.mkdir(op.path, { mtime: op.mtime, ctime: op.ctime }, next)
  else drive.unlink(op.path, next)
}
drive.ready(next)
