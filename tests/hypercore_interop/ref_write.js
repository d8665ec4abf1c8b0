// Usage: node ref_write.js DIR SEED_HEX — writes the workload with the reference hypercore
// (whichever NODE_PATH provides) under a key derived from the seed, one append per batch.
'use strict'
const hypercore = require('hypercore')
const sodium = require('sodium-universal')
const { batches } = require('./workload')

const [dir, seedHex] = process.argv.slice(2)
const pk = Buffer.alloc(32)
const sk = Buffer.alloc(64)
sodium.crypto_sign_seed_keypair(pk, sk, Buffer.from(seedHex, 'hex'))
const feed = hypercore(dir, pk, { secretKey: sk, storeSecretKey: true })
const todo = batches()
function next (err) {
  if (err) throw err
  const batch = todo.shift()
  if (!batch) return feed.close(() => console.log(`length=${feed.length}\nbyteLength=${feed.byteLength}`))
  feed.append(batch, next)
}
feed.ready(next)
