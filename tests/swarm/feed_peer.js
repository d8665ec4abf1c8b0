// A hypercore@7.7.1 writer found through discovery-swarm 6.1.0, for the end-to-end swarm test:
// creates a feed of BLOCKS blocks ("block 0", "block 1", ...) in DIR, prints
//   {"event":"feed","key":HEX,"discoveryKey":HEX,"length":N}
// then joins the feed's discovery key (hash: false) on the DHT only and replicates the feed
// (hypercore-protocol v6, live, encrypted) on every connection, printing
//   {"event":"listening","port":N}  {"event":"peer",...}  {"event":"connection",...}
// Usage: node feed_peer.js DIR BLOCKS <bootstrap ip:port>
// NODE_PATH: tests/interop/npm/discovery-swarm/node_modules:tests/interop/npm/hypercore7/node_modules
const hypercore = require('hypercore')
const swarm = require('discovery-swarm')
const defaults = require('dat-swarm-defaults')

const [dir, blocksText, bootstrap] = process.argv.slice(2)
const blocks = Number(blocksText)
const print = (o) => process.stdout.write(JSON.stringify(o) + '\n')

const feed = hypercore(dir)
feed.ready(() => {
  const data = []
  for (let i = 0; i < blocks; i++) data.push(Buffer.from('block ' + i))
  feed.append(data, (err) => {
    if (err) throw err
    print({ event: 'feed', key: feed.key.toString('hex'), discoveryKey: feed.discoveryKey.toString('hex'), length: feed.length })
    // Only the DHT, through the local bootstrap node: no public default is ever used.
    const sw = swarm(defaults({ hash: false, dns: false, dht: { bootstrap: [bootstrap] }, stream: () => feed.replicate({ live: true }) }))
    sw.on('peer', (p) => print({ event: 'peer', host: p.host, port: p.port }))
    sw.on('connection', (c, info) => print({ event: 'connection', host: info.host, port: info.port }))
    sw.listen(0)
    sw.once('listening', () => {
      print({ event: 'listening', port: sw.address().port })
      sw.join(feed.discoveryKey)
    })
  })
})
setTimeout(() => process.exit(0), 120000).unref()
setInterval(() => {}, 1000)
