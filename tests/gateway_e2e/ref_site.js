// A site written and seeded by the reference hyperdrive (9.14.2 from tests/interop/npm/hyperdrive9,
// given by NODE_PATH). Commands arrive on stdin, one per line, fields separated by tabs (paths
// may hold spaces), and run in order:
//   put PATH SOURCE_FILE MTIME_MS   writes the bytes of SOURCE_FILE as PATH
//   del PATH                        deletes PATH
//   mkdir PATH MTIME_MS             an explicit (empty) directory
//   listen                          seeds the archive to whoever dials 127.0.0.1:<port>, live
// Usage: node ref_site.js DIR SEED_HEX [--plain]   (the metadata key pair comes from the seed)
// stdout: "ready <key hex> <content key hex>", "version <n>" after each change,
// "listening <port>", "peer <connected|closed>", "error <message>" (then exit 1).
'use strict'
const fs = require('fs')
const net = require('net')
const readline = require('readline')
const hyperdrive = require('hyperdrive')
const sodium = require('sodium-universal')

const [dir, seedHex] = process.argv.slice(2)
const plain = process.argv.includes('--plain')
const fail = (err) => { console.log(`error ${err && err.message}`); process.exit(1) }

const pk = Buffer.alloc(32)
const sk = Buffer.alloc(64)
sodium.crypto_sign_seed_keypair(pk, sk, Buffer.from(seedHex, 'hex'))
const drive = hyperdrive(dir, pk, { secretKey: sk })
drive.on('error', fail)

function listen (done) {
  const server = net.createServer((socket) => {
    console.log('peer connected')
    const stream = drive.replicate({ live: true, encrypt: !plain })
    // A peer going away is not this seeder's failure; the test reads the replicator's state.
    socket.on('error', () => {})
    stream.on('error', () => {})
    socket.on('close', () => console.log('peer closed'))
    socket.pipe(stream).pipe(socket)
  })
  server.on('error', fail)
  server.listen(0, '127.0.0.1', () => { console.log(`listening ${server.address().port}`); done() })
}

function run (line, done) {
  const [cmd, path, a, b] = line.split('\t')
  const changed = (err) => {
    if (err) return fail(err)
    console.log(`version ${drive.version}`)
    done()
  }
  if (cmd === 'put') {
    const mtime = new Date(Number(b))
    drive.writeFile(path, fs.readFileSync(a), { mtime, ctime: mtime }, changed)
  } else if (cmd === 'del') drive.unlink(path, changed)
  else if (cmd === 'mkdir') drive.mkdir(path, { mtime: new Date(Number(a)), ctime: new Date(Number(a)) }, changed)
  else if (cmd === 'listen') listen(done)
  else fail(new Error(`unknown command: ${line}`))
}

drive.ready((err) => {
  if (err) return fail(err)
  console.log(`ready ${drive.key.toString('hex')} ${drive.content.key.toString('hex')}`)
  // Commands run one at a time, in order; the end of stdin ends the process once they are done.
  const queue = []
  let busy = false
  let closed = false
  const pump = () => {
    if (busy) return
    if (queue.length === 0) return closed && process.exit(0)
    busy = true
    run(queue.shift(), () => { busy = false; pump() })
  }
  readline.createInterface({ input: process.stdin })
    .on('line', (line) => { if (line.trim()) { queue.push(line); pump() } })
    .on('close', () => { closed = true; pump() })
})
