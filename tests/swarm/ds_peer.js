// A discovery-swarm 6.1.0 peer (dat-swarm-defaults 1.0.3, the Dat 2019 discovery stack) for the
// swarm interop tests. Joins one Dat discovery key with `hash: false` (DHT info_hash = its first
// 20 bytes), on the DHT only or on the LAN only, and prints one JSON object per line:
//   {"event":"listening","port":N}  {"event":"joined","at":<unix ms>}
//   {"event":"peer","host":H,"port":P,"ms":T}  {"event":"connection","host":H,"port":P,"ms":T}
//   (T = ms since the join)
// Usage: node ds_peer.js <discovery key hex> dht <bootstrap ip:port>
//        node ds_peer.js <discovery key hex> lan
// Needs NODE_PATH=tests/interop/npm/discovery-swarm/node_modules. Exits after 90 s.
const swarm = require('discovery-swarm')
const defaults = require('dat-swarm-defaults')

const [keyHex, mode, bootstrap] = process.argv.slice(2)
const print = (o) => process.stdout.write(JSON.stringify(o) + '\n')

// dat-swarm-defaults merges shallowly: each key given here replaces its public default whole,
// so no public bootstrap node or DNS discovery server is ever configured.
let opts
if (mode === 'dht' && bootstrap) {
  opts = { hash: false, dns: false, dht: { bootstrap: [bootstrap] } }
} else if (mode === 'lan') {
  opts = { hash: false, dht: false, dns: { server: [], domain: 'dat.local' } }
} else {
  process.stderr.write('usage: ds_peer.js <key hex> dht <ip:port> | lan\n')
  process.exit(2)
}

const sw = swarm(defaults(opts))
let joinedAt = 0
sw.on('peer', (p) => print({ event: 'peer', host: p.host, port: p.port, ms: Date.now() - joinedAt }))
sw.on('connection', (c, info) => print({ event: 'connection', host: info.host, port: info.port, ms: Date.now() - joinedAt }))
sw.on('connect-failed', (p) => print({ event: 'connect-failed', host: p.host, port: p.port }))
sw.on('error', (e) => print({ event: 'error', message: String(e) }))
sw.listen(0)
sw.once('listening', () => {
  print({ event: 'listening', port: sw.address().port })
  joinedAt = Date.now()
  sw.join(Buffer.from(keyHex, 'hex'))
  print({ event: 'joined', at: joinedAt })
})
setTimeout(() => { sw.destroy(); process.exit(0) }, 90000).unref()
setInterval(() => {}, 1000)
