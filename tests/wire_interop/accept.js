// Feeds a byte stream written by evermirror's WireWriter into the reference decoder
// (hypercore-protocol 6.12.0) and prints, one line each, every event it fires with its values.
//   node accept.js <npm dir with node_modules> <in.wire> <out.wire> [extra key hex ...]
// in.wire is a recorded stream (shared/wire/testing/recorded_stream.h): flags, the stream key,
// bytes. The reference side opens the stream key's feed (and any extra key) when the remote
// announces it, as a seeding peer does; everything it sends back is saved to out.wire in the
// same format. Output lines: "<event> k=v ...", keys sorted, bytes in hex, "-" for none,
// objects as their values in key order joined by ":".
'use strict'
const fs = require('fs')
const path = require('path')

const [npmDir, inFile, outFile, ...extraKeys] = process.argv.slice(2)
const modules = path.resolve(npmDir, 'node_modules')
const protocol = require(path.join(modules, 'hypercore-protocol'))
const hcrypto = require(path.join(modules, 'hypercore-crypto'))

const file = fs.readFileSync(inFile)
const encrypted = (file[0] & 1) === 1
const key = file.slice(1, 33)
const bytes = file.slice(33)

const keys = {}
for (const k of [key, ...extraKeys.map(h => Buffer.from(h, 'hex'))]) {
  keys[hcrypto.discoveryKey(k).toString('hex')] = k
}

function value (v) {
  if (v === null || v === undefined) return '-'
  if (Buffer.isBuffer(v)) return v.length ? v.toString('hex') : '-'
  if (Array.isArray(v)) return v.length ? v.map(value).join(',') : '-'
  if (typeof v === 'object') return Object.keys(v).sort().map(k => value(v[k])).join(':')
  return String(v)
}

function print (event, fields) {
  const parts = Object.keys(fields || {}).sort().map(k => `${k}=${value(fields[k])}`)
  console.log([event, ...parts].join(' '))
}

const p = protocol({
  encrypt: encrypted,
  extensions: ['ext-a', 'ext-b'],
  id: Buffer.alloc(32, 0x52),
  live: true,
  timeout: false
})
const sent = []
p.on('data', d => sent.push(Buffer.from(d)))
p.on('error', err => print('error', { message: err.message.replace(/ /g, '_') }))
p.on('handshake', () => {
  print('handshake', {
    id: p.remoteId,
    live: p.remoteLive,
    userData: p.remoteUserData,
    ack: p.remoteAck,
    supports: p.extensions.filter(e => p.remoteSupports(e))
  })
})
p.on('feed', dk => {
  print('feed', { discoveryKey: dk })
  const k = keys[dk.toString('hex')]
  if (!k) return print('unknown-feed', {})
  const ch = p.feed(k)
  for (const type of ['info', 'have', 'unhave', 'want', 'unwant', 'request', 'cancel', 'data']) {
    ch.on(type, message => print(type, Object.assign({ channel: ch.id }, message)))
  }
  ch.on('extension', (name, message) => print('extension', { channel: ch.id, name, message }))
})

// Small writes exercise the reference's incremental parser.
let offset = 0
function writeNext () {
  if (offset >= bytes.length) return setTimeout(finish, 50)
  const chunk = Buffer.from(bytes.slice(offset, offset + 7))
  offset += 7
  p.write(chunk, writeNext)
}

function finish () {
  print('end', { destroyed: p.destroyed })
  fs.writeFileSync(outFile, Buffer.concat([Buffer.from([encrypted ? 1 : 0]), key, ...sent]))
  process.exit(0)
}

writeNext()
