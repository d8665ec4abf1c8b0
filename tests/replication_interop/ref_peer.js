// A reference hypercore (7.7.1 or 6.26.0, whichever NODE_PATH provides) that dials evermirror
// over TCP and replicates live.
//   node ref_peer.js write SEED_HEX PORT COUNT [--plain]  writer of COUNT blocks "ref-block-<i>";
//                                                        stdin "append N" appends N more
//   node ref_peer.js read KEY_HEX PORT COUNT [--plain]    reader: downloads and verifies COUNT
//                                                        blocks; stdin "expect N" waits for N
// stdout: "ready", "appended <length>", "synced <n>", "leaf <i> <hex>", "error <message>".
'use strict'
const hypercore = require('hypercore')
const crypto = require('hypercore-crypto')
const sodium = require('sodium-universal')
const net = require('net')
const os = require('os')
const path = require('path')
const fs = require('fs')
const readline = require('readline')

const [mode, keyHex, port, countArg] = process.argv.slice(2)
const plain = process.argv.includes('--plain')
const count = Number(countArg)
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'em-ref-peer-'))
const fail = (err) => { console.log(`error ${err && err.message}`); process.exit(1) }

function connect (feed) {
  const socket = net.connect(Number(port), '127.0.0.1')
  const stream = feed.replicate({ live: true, encrypt: !plain })
  socket.on('error', fail)
  stream.on('error', fail)
  socket.pipe(stream).pipe(socket)
}

function appendBlocks (feed, n, cb) {
  const batch = []
  for (let i = 0; i < n; i++) batch.push(Buffer.from(`ref-block-${feed.length + i}`))
  feed.append(batch, cb)
}

function writer () {
  const pk = Buffer.alloc(32)
  const sk = Buffer.alloc(64)
  sodium.crypto_sign_seed_keypair(pk, sk, Buffer.from(keyHex, 'hex'))
  const feed = hypercore(dir, pk, { secretKey: sk })
  feed.ready(() => appendBlocks(feed, count, (err) => {
    if (err) return fail(err)
    connect(feed)
    console.log('ready')
  }))
  readline.createInterface({ input: process.stdin }).on('line', (line) => {
    const [cmd, n] = line.split(' ')
    if (cmd === 'append') appendBlocks(feed, Number(n), (err) => err ? fail(err) : console.log(`appended ${feed.length}`))
  }).on('close', () => process.exit(0))
}

function reader () {
  const feed = hypercore(dir, Buffer.from(keyHex, 'hex'))
  let reported = 0
  let target = count
  const check = () => {
    if (feed.length < target || feed.downloaded(0, target) < target) return
    const from = reported
    reported = target
    let i = from
    const next = () => {
      if (i === target) return console.log(`synced ${target}`)
      feed.get(i, (err, data) => {
        if (err) return fail(err)
        console.log(`leaf ${i} ${crypto.data(data).toString('hex')}`)
        i++
        next()
      })
    }
    next()
  }
  feed.ready(() => {
    connect(feed)
    feed.download({ start: 0, end: -1 })
    feed.on('download', check)
    feed.on('append', check)
    console.log('ready')
  })
  readline.createInterface({ input: process.stdin }).on('line', (line) => {
    const [cmd, n] = line.split(' ')
    if (cmd === 'expect') { target = Number(n); check() }
  }).on('close', () => process.exit(0))
}

if (mode === 'write') writer()
else if (mode === 'read') reader()
else fail(new Error('usage: ref_peer.js write|read ...'))
