// Records real hypercore-protocol 6.12.0 connections: two hypercore 7.7.1 feeds (writer A,
// reader B) replicate in-process and every byte each side sends is saved, exactly as sent.
//   node record.js <npm dir with node_modules> <out dir> [--big] [--idle]
// Writes <scenario>.a2b.wire and <scenario>.b2a.wire (format: shared/wire/testing/
// recorded_stream.h: flags byte, 32-byte key, raw bytes) and blocks.txt, one line per block
// B received: "<scenario> <index> <hex value>". No sockets: the streams are piped in memory.
// --big adds a 200 KiB block; --idle adds a live connection left idle for 5.6 s, so both sides
// send keep-alives (about 6 s of wall time).
'use strict'
const fs = require('fs')
const os = require('os')
const path = require('path')

const [npmDir, outDir] = process.argv.slice(2)
const big = process.argv.includes('--big')
const idle = process.argv.includes('--idle')
const hypercore = require(path.resolve(npmDir, 'node_modules', 'hypercore'))

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'wire-record-'))
const blockLines = []

function open (name, key, opts) {
  const feed = hypercore(path.join(tmpRoot, name), key, opts)
  return new Promise((resolve, reject) => feed.ready(err => err ? reject(err) : resolve(feed)))
}

function append (feed, blocks) {
  return new Promise((resolve, reject) => feed.append(blocks, err => err ? reject(err) : resolve()))
}

function get (feed, index) {
  return new Promise((resolve, reject) => feed.get(index, (err, data) => err ? reject(err) : resolve(data)))
}

function header (encrypted, key) {
  return Buffer.concat([Buffer.from([encrypted ? 1 : 0]), key])
}

// Pipes a <-> b, copying each chunk before the receiver decrypts it in place.
function pipeRecorded (sa, sb) {
  const rec = { a2b: [], b2a: [] }
  sa.on('data', d => { rec.a2b.push(Buffer.from(d)); sb.write(d) })
  sb.on('data', d => { rec.b2a.push(Buffer.from(d)); sa.write(d) })
  sa.on('end', () => sb.end())
  sb.on('end', () => sa.end())
  return rec
}

function save (scenario, encrypted, key, rec) {
  for (const dir of ['a2b', 'b2a']) {
    const file = path.join(outDir, `${scenario}.${dir}.wire`)
    fs.writeFileSync(file, Buffer.concat([header(encrypted, key), ...rec[dir]]))
  }
}

async function noteBlocks (scenario, feed, count) {
  for (let i = 0; i < count; i++) {
    const value = await get(feed, i)
    blockLines.push(`${scenario} ${i} ${value.toString('hex')}`)
  }
}

const settle = () => new Promise(resolve => setTimeout(resolve, 50))

// Live replication of three blocks, then a live append; A and B also exchange extension messages.
async function live (scenario, encrypted) {
  const exts = { extensions: ['ext-a', 'ext-b'] }
  const a = await open(`${scenario}-a`, null, exts)
  const blocks = ['block-0', 'block-1 is a little longer', 'block-2']
  if (big) blocks.push(Buffer.alloc(200 * 1024, 7))
  await append(a, blocks)
  const b = await open(`${scenario}-b`, a.key, { extensions: ['ext-b', 'ext-c'] })
  const sa = a.replicate({ live: true, encrypt: encrypted })
  const sb = b.replicate({ live: true, encrypt: encrypted })
  const rec = pipeRecorded(sa, sb)
  await get(b, blocks.length - 1)
  a.extension('ext-b', Buffer.from('hello from a'))
  b.extension('ext-b', Buffer.from('hello from b'))
  await append(a, 'live block')
  await get(b, blocks.length)
  await settle()
  await noteBlocks(scenario, b, blocks.length + 1)
  save(scenario, encrypted, a.key, rec)
  sa.destroy()
  sb.destroy()
}

// Non-live replication of five blocks: the stream ends by itself after Info{false, false}.
async function oneshot (scenario, encrypted) {
  const a = await open(`${scenario}-a`)
  await append(a, ['one', 'two', 'three', 'four', 'five'])
  const b = await open(`${scenario}-b`, a.key)
  const sa = a.replicate({ encrypt: encrypted })
  const sb = b.replicate({ encrypt: encrypted })
  const rec = pipeRecorded(sa, sb)
  await new Promise(resolve => { let n = 0; const done = () => { if (++n === 2) resolve() }; sa.on('end', done); sb.on('end', done) })
  await noteBlocks(scenario, b, 5)
  save(scenario, encrypted, a.key, rec)
}

// A live connection with nothing to say for 5.6 s: each side pings after 3.75-5 s of silence.
async function idleLive (scenario, encrypted) {
  const a = await open(`${scenario}-a`)
  await append(a, 'before idle')
  const b = await open(`${scenario}-b`, a.key)
  const sa = a.replicate({ live: true, encrypt: encrypted })
  const sb = b.replicate({ live: true, encrypt: encrypted })
  const rec = pipeRecorded(sa, sb)
  await get(b, 0)
  await new Promise(resolve => setTimeout(resolve, 5600))
  await append(a, 'after idle')
  await get(b, 1)
  await settle()
  await noteBlocks(scenario, b, 2)
  save(scenario, encrypted, a.key, rec)
  sa.destroy()
  sb.destroy()
}

async function main () {
  fs.mkdirSync(outDir, { recursive: true })
  await live('live_encrypted', true)
  await live('live_plain', false)
  await oneshot('oneshot_encrypted', true)
  if (idle) await idleLive('idle_encrypted', true)
  fs.writeFileSync(path.join(outDir, 'blocks.txt'), blockLines.join('\n') + '\n')
}

main().then(() => {
  fs.rmSync(tmpRoot, { recursive: true, force: true })
  process.exit(0)
}, err => {
  fs.rmSync(tmpRoot, { recursive: true, force: true })
  console.error(err)
  process.exit(1)
})
