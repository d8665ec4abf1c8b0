// The npm side of bench/replication: one feed replicated between two node processes over
// loopback TCP, with hypercore 7.7.1 (v6 wire, XSalsa20) or hypercore 11 (Noise, protomux),
// whichever NODE_PATH provides. replication_bench drives three steps, each its own process:
//   node npm_replicate.js write DIR SIZE COUNT     creates the feed; prints "key <hex>", exits
//   node npm_replicate.js serve DIR                 seeds it on 127.0.0.1; prints "port <n>"
//   node npm_replicate.js fetch DIR KEY PORT COUNT  prints "ready"; on stdin "go" connects and
//                                                  downloads; prints "done" when COUNT blocks are in
// Blocks are pseudo-random bytes (nothing compresses). Errors print "error <message>" and exit 1.
'use strict'
const hypercore = require('hypercore')
const major = Number(require('hypercore/package.json').version.split('.')[0])
const net = require('net')
const readline = require('readline')

const fail = (err) => { console.log(`error ${err && (err.stack || err.message)}`); process.exit(1) }
process.on('uncaughtException', fail)
process.on('unhandledRejection', fail)

function block (size, index) {
  const b = Buffer.allocUnsafe(size)
  let x = (index * 2654435761 + 12345) >>> 0
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0
    b.writeUInt32LE(x, i)
  }
  return b
}

// The batch size keeps each append (one signature) near 4 MiB, as the evermirror side does.
function batches (size, count) {
  const per = Math.max(1, Math.min(1000, Math.floor((4 << 20) / size)))
  const out = []
  for (let i = 0; i < count; i += per) {
    const batch = []
    for (let j = i; j < Math.min(count, i + per); j++) batch.push(block(size, j))
    out.push(batch)
  }
  return out
}

const p = (fn) => new Promise((resolve, reject) => fn((err, v) => err ? reject(err) : resolve(v)))

function open (dir, key) {
  if (major >= 10) return key ? new hypercore(dir, key) : new hypercore(dir)
  return key ? hypercore(dir, key) : hypercore(dir)
}

async function ready (feed) {
  if (major >= 10) return feed.ready()
  return p((cb) => feed.ready(cb))
}

async function write (dir, size, count) {
  const feed = open(dir)
  await ready(feed)
  for (const batch of batches(size, count)) {
    if (major >= 10) await feed.append(batch)
    else await p((cb) => feed.append(batch, cb))
  }
  console.log(`key ${feed.key.toString('hex')}`)
  if (major >= 10) await feed.close()
  else await p((cb) => feed.close(cb))
  process.exit(0)
}

function replicate (feed, socket, initiator) {
  socket.setNoDelay(true)
  socket.on('error', () => {})
  const stream = major >= 10 ? feed.replicate(initiator) : feed.replicate({ live: true, encrypt: true })
  stream.on('error', () => {})
  socket.pipe(stream).pipe(socket)
}

async function serve (dir) {
  const feed = open(dir)
  await ready(feed)
  const server = net.createServer((socket) => replicate(feed, socket, false))
  server.listen(0, '127.0.0.1', () => console.log(`port ${server.address().port}`))
  readline.createInterface({ input: process.stdin }).on('close', () => process.exit(0))
}

async function fetch (dir, keyHex, port, count) {
  const feed = open(dir, Buffer.from(keyHex, 'hex'))
  await ready(feed)
  let downloaded = 0
  feed.on('download', () => {
    if (++downloaded === count) console.log('done')
  })
  console.log('ready')
  readline.createInterface({ input: process.stdin }).on('line', (line) => {
    if (line !== 'go') return
    replicate(feed, net.connect(Number(port), '127.0.0.1'), true)
    if (major >= 10) feed.download({ start: 0, end: -1 })
  }).on('close', () => process.exit(0))
}

const [cmd, ...args] = process.argv.slice(2)
if (cmd === 'write') write(args[0], Number(args[1]), Number(args[2])).catch(fail)
else if (cmd === 'serve') serve(args[0]).catch(fail)
else if (cmd === 'fetch') fetch(args[0], args[1], args[2], Number(args[3])).catch(fail)
else fail(new Error('usage: npm_replicate.js write|serve|fetch ...'))
