// Usage: node ref_read.js DIR — opens the archive stored in DIR/{metadata,content} with the
// reference hyperdrive and, for every version, walks it from "/" printing one line per entry:
//   D <version> <path>
//   F <version> <path> <size> <mode octal> <mtime ms> <sha256 hex>
// (drive_interop_test.cc prints the same from evermirror's reader and compares).
'use strict'
const crypto = require('crypto')
const hyperdrive = require('hyperdrive')

const [dir] = process.argv.slice(2)
const drive = hyperdrive(dir)
const p = (f) => new Promise((resolve, reject) => f((err, v) => err ? reject(err) : resolve(v)))

async function walk (d, version, path, out) {
  const names = await p(cb => d.readdir(path, cb))
  for (const name of [...new Set(names)].sort()) {
    const child = path === '/' ? '/' + name : path + '/' + name
    let st
    try { st = await p(cb => d.stat(child, cb)) } catch (e) { continue }
    if (st.isFile()) {
      const buf = await p(cb => d.readFile(child, cb))
      const sha = crypto.createHash('sha256').update(buf).digest('hex')
      out.push(`F ${version} ${child} ${buf.length} ${st.mode.toString(8)} ${st.mtime.getTime()} ${sha}`)
    } else if (st.isDirectory()) {
      out.push(`D ${version} ${child}`)
      await walk(d, version, child, out)
    }
  }
}

drive.ready(async () => {
  // Every checkout listens on the shared feeds.
  drive.metadata.setMaxListeners(0)
  try {
    await p(cb => drive._ensureContent(cb))
    drive.content.setMaxListeners(0)
    const out = [`version=${drive.version}`]
    for (let v = 0; v <= drive.version; v++) await walk(drive.checkout(v), v, '/', out)
    console.log(out.join('\n'))
    drive.close(() => {})
  } catch (err) {
    console.error('ref_read failed:', err)
    process.exit(1)
  }
})
