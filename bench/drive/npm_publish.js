// Usage: node npm_publish.js DIR STORAGE — what `drive_bench publish` does, with the reference
// hyperdrive (NODE_PATH): walk DIR, writeFile every file whose size or mtime differs from the
// archive's (as Dat's mirror-folder decides), unlink files gone from DIR. Prints the same line.
'use strict'
const fs = require('fs')
const path = require('path')
const hyperdrive = require('hyperdrive')

const [dir, storage] = process.argv.slice(2)
const drive = hyperdrive(storage)
const p = (f) => new Promise((resolve, reject) => f((err, v) => err ? reject(err) : resolve(v)))

function walk (root, rel, out) {
  for (const entry of fs.readdirSync(path.join(root, rel), { withFileTypes: true }).sort((a, b) => a.name < b.name ? -1 : 1)) {
    const child = rel + '/' + entry.name
    if (entry.isDirectory()) walk(root, child, out)
    else if (entry.isFile()) out.push(child)
  }
  return out
}

async function archiveFiles (d, dir, out) {
  let names = []
  try { names = await p(cb => d.readdir(dir, cb)) } catch (e) { return out }
  for (const name of names) {
    const child = dir === '/' ? '/' + name : dir + '/' + name
    const st = await p(cb => d.stat(child, cb))
    if (st.isDirectory()) await archiveFiles(d, child, out)
    else out.set(child, st)
  }
  return out
}

drive.ready(async () => {
  await p(cb => drive._ensureContent(cb))
  const before = drive.metadata.byteLength + drive.content.byteLength
  const start = process.hrtime.bigint()
  const existing = await archiveFiles(drive, '/', new Map())
  const files = walk(dir, '', [])
  let changed = 0
  for (const file of files) {
    const st = fs.statSync(path.join(dir, file))
    const old = existing.get(file)
    existing.delete(file)
    if (old && old.size === st.size && old.mtime.getTime() === st.mtime.getTime()) continue
    await p(cb => drive.writeFile(file, fs.readFileSync(path.join(dir, file)), { mtime: st.mtime, ctime: st.mtime }, cb))
    changed++
  }
  for (const gone of existing.keys()) {
    await p(cb => drive.unlink(gone, cb))
    changed++
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  const bytes = drive.metadata.byteLength + drive.content.byteLength - before
  console.log(`seconds=${seconds.toFixed(3)} bytes=${bytes} files=${changed} version=${drive.version}`)
  drive.close(() => {})
})
