// A discovery-swarm 6.1.0 peer on the LAN only (PROTOCOLS.md §4): no DHT, no DNS servers,
// multicast DNS on dat.local. Prints one JSON object per line:
//   {"event":"listening","port":N}  {"event":"joined"}  {"event":"peer","host":H,"port":P,"ms":T}
//   {"event":"connection","host":H,"port":P,"ms":T}   (T = ms since join)
// Usage: node swarm_peer.js <discovery key hex>   (stops after 60 s)
const swarm = require('discovery-swarm')
const defaults = require('dat-swarm-defaults')

const key = Buffer.from(process.argv[2], 'hex')
const print = (o) => process.stdout.write(JSON.stringify(o) + '\n')
const sw = swarm(defaults({ hash: false, dht: false, dns: { server: [], domain: 'dat.local' } }))
let joinedAt = 0

sw.on('peer', (p) => print({ event: 'peer', host: p.host, port: p.port, ms: Date.now() - joinedAt }))
sw.on('connection', (c, info) => print({ event: 'connection', host: info.host, port: info.port, ms: Date.now() - joinedAt }))
sw.on('connect-failed', (p) => print({ event: 'connect-failed', host: p.host, port: p.port }))
sw.listen(0)
sw.once('listening', () => {
  print({ event: 'listening', port: sw.address().port })
  joinedAt = Date.now()
  sw.join(key)
  print({ event: 'joined' })
})
setTimeout(() => { sw.destroy(); process.exit(0) }, 60000).unref()
setInterval(() => {}, 1000)
