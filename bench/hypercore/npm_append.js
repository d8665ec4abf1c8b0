// The npm hypercore 7.7.1 side of bench/hypercore: the same append workloads on disk.
// Usage: node npm_append.js DIR   (NODE_PATH must point at the hypercore7 node_modules)
'use strict'
const hypercore = require('hypercore')
const path = require('path')
const fs = require('fs')

const workloads = [
  { name: '64KiB x1600 single', size: 65536, blocks: 1600, batch: 1 },
  { name: '64KiB x1600 batch16', size: 65536, blocks: 1600, batch: 16 },
  { name: '1KiB x20000 single', size: 1024, blocks: 20000, batch: 1 },
  { name: '1KiB x100000 batch100', size: 1024, blocks: 100000, batch: 100 }
]
const only = process.env.FEED_BENCH_ONLY

function run (w, dir, done) {
  fs.rmSync(dir, { recursive: true, force: true })
  const feed = hypercore(dir)
  const batch = []
  for (let i = 0; i < w.batch; i++) batch.push(Buffer.alloc(w.size, 97 + (i % 26)))
  feed.ready(() => {
    const start = process.hrtime.bigint()
    let appended = 0
    const next = (err) => {
      if (err) throw err
      if (appended >= w.blocks) {
        return feed.close(() => {
          const s = Number(process.hrtime.bigint() - start) / 1e9
          const mb = w.blocks * w.size / (1 << 20)
          console.log(`npm      ${w.name.padEnd(24)} ${(mb / s).toFixed(1).padStart(9)} MB/s ${(w.blocks / s).toFixed(0).padStart(10)} blocks/s`)
          done()
        })
      }
      appended += w.batch
      feed.append(w.batch === 1 ? batch[0] : batch, next)
    }
    next()
  })
}

const dir = process.argv[2]
const todo = workloads.filter(w => !only || w.name.includes(only))
;(function loop () {
  const w = todo.shift()
  if (w) run(w, path.join(dir, 'npm-feed'), loop)
})()
