// A bittorrent-dht@11 reference node for the DHT interop tests, speaking the same line
// protocol as em_dht_cli: stdin commands (announce HEX PORT | lookup HEX | stats | quit),
// stdout lines (listening IP:PORT, id HEX, peer HEX IP:PORT, lookup_done HEX peers=N,
// announced HEX, ok, error MSG).
//   node bt_dht_peer.mjs NPM_DIR [--bootstrap=IP:PORT]...
import path from 'node:path'
import readline from 'node:readline'
import { pathToFileURL } from 'node:url'

const npmDir = process.argv[2]
const bootstrap = process.argv.slice(3).filter(a => a.startsWith('--bootstrap=')).map(a => a.slice(12))
const { default: DHT } = await import(pathToFileURL(path.join(npmDir, 'node_modules/bittorrent-dht/index.js')).href)

const say = line => process.stdout.write(line + '\n')
// bootstrap: [] would fall back to the public default list: pass false when there is none.
const dht = new DHT({ bootstrap: bootstrap.length ? bootstrap : false, host: false })
let announcesStored = 0
dht.on('announce', () => { announcesStored++ })
dht.on('error', err => say('error ' + err.message))
dht.on('warning', () => {})
const found = new Map()
dht.on('peer', (peer, infoHash) => {
  const hex = infoHash.toString('hex')
  const key = `${peer.host}:${peer.port}`
  if (!found.has(hex)) found.set(hex, new Set())
  if (found.get(hex).has(key)) return
  found.get(hex).add(key)
  say(`peer ${hex} ${key}`)
})

dht.listen(0, '127.0.0.1', () => {
  say(`listening 127.0.0.1:${dht.address().port}`)
  say(`id ${dht.nodeId.toString('hex')}`)
})

const rl = readline.createInterface({ input: process.stdin })
rl.on('line', line => {
  const [cmd, a, b] = line.trim().split(/\s+/)
  if (cmd === 'quit') {
    dht.destroy(() => process.exit(0))
  } else if (cmd === 'announce') {
    dht.announce(a, Number(b), err => say(err ? `error announce ${err.message}` : `announced ${a}`))
    say('ok')
  } else if (cmd === 'lookup') {
    dht.lookup(a, (err, n) => say(err ? `error lookup ${err.message}`
      : `lookup_done ${a} peers=${found.has(a) ? found.get(a).size : 0} responders=${n}`))
    say('ok')
  } else if (cmd === 'stats') {
    say(`stats table=${dht.toJSON().nodes.length} announces_stored=${announcesStored}`)
  } else if (cmd) {
    say(`error unknown command ${cmd}`)
  }
})
rl.on('close', () => dht.destroy(() => process.exit(0)))
