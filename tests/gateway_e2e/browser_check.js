// Opens a page in headless Chromium and reports what a visitor would get, driving Chromium
// through the DevTools protocol over --remote-debugging-pipe (JSON messages separated by NUL
// on file descriptors 3 and 4), so no npm package is needed.
// Usage: node browser_check.js CHROMIUM OUT_DIR URL [CHROMIUM_FLAG...]
// Writes OUT_DIR/screenshot.png and OUT_DIR/chromium.log (the browser's stderr); prints lines:
//   response STATUS MIME_TYPE URL     every response the page received
//   failed ERROR_TEXT URL             every request that failed (blocked, refused, aborted)
//   style NAME VALUE                  computed styles that only the site's CSS sets
//   image ID COMPLETE NATURAL_WIDTH NATURAL_HEIGHT PIXEL   PIXEL: r,g,b,a of the image's first pixel
//   screenshot PATH BYTES
//   error MESSAGE (then exit 1)
'use strict'
const fs = require('fs')
const os = require('os')
const path = require('path')
const { spawn } = require('child_process')

const [chromium, outDir, url, ...extraFlags] = process.argv.slice(2)
fs.mkdirSync(outDir, { recursive: true })
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'em-chromium-'))
const log = fs.openSync(path.join(outDir, 'chromium.log'), 'w')
const browser = spawn(chromium, [
  '--headless', '--no-sandbox', '--disable-gpu', '--remote-debugging-pipe', `--user-data-dir=${profile}`,
  '--no-first-run', '--no-default-browser-check', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--disable-domain-reliability', '--no-pings', '--hide-scrollbars', ...extraFlags, 'about:blank'
], { stdio: ['ignore', log, log, 'pipe', 'pipe'] })

const finish = (code, message) => {
  if (message) console.log(`error ${message}`)
  browser.kill('SIGKILL')
  // Chromium's helpers may still be writing there for a moment.
  try { fs.rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }) } catch (err) {}
  process.exit(code)
}
setTimeout(() => finish(1, 'timed out'), 60000).unref()
browser.on('exit', (code, signal) => finish(1, `chromium exited (${code ?? signal}); see chromium.log`))

let nextId = 1
const pending = new Map()
const listeners = []
const send = (method, params = {}, sessionId) => new Promise((resolve, reject) => {
  const id = nextId++
  pending.set(id, { resolve, reject, method })
  browser.stdio[3].write(JSON.stringify({ id, method, params, sessionId }) + '\0')
})
let input = ''
browser.stdio[4].on('data', (chunk) => {
  input += chunk
  let end
  while ((end = input.indexOf('\0')) >= 0) {
    const message = JSON.parse(input.slice(0, end))
    input = input.slice(end + 1)
    const waiter = pending.get(message.id)
    if (waiter) {
      pending.delete(message.id)
      if (message.error) waiter.reject(new Error(`${waiter.method}: ${message.error.message}`))
      else waiter.resolve(message.result)
    } else if (message.method) {
      for (const listener of listeners) listener(message)
    }
  }
})

// What the page computes once loaded: styles only the site's CSS sets, and the image decoded.
const probe = `(() => {
  const style = (el, name) => getComputedStyle(el).getPropertyValue(name)
  const img = document.getElementById('logo')
  let pixel = 'none'
  if (img && img.complete && img.naturalWidth > 0) {
    const canvas = document.createElement('canvas')
    canvas.width = img.naturalWidth
    canvas.height = img.naturalHeight
    const context = canvas.getContext('2d')
    context.drawImage(img, 0, 0)
    try {
      pixel = Array.from(context.getImageData(0, 0, 1, 1).data).join(',')
    } catch (err) {
      pixel = 'unreadable'  // a cross-origin image taints the canvas
    }
  }
  return [
    'style body-background-color ' + style(document.body, 'background-color'),
    'style title-color ' + style(document.getElementById('title'), 'color'),
    'image logo ' + (img ? [img.complete, img.naturalWidth, img.naturalHeight, pixel].join(' ') : 'missing')
  ].join('\\n')
})()`

async function main () {
  const { targetId } = await send('Target.createTarget', { url: 'about:blank' })
  const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true })
  const inSession = (method, params) => send(method, params, sessionId)
  const requests = new Map()  // requestId -> { url, done }
  const lines = []
  let loaded = false
  listeners.push((m) => {
    if (m.sessionId !== sessionId) return
    const p = m.params
    if (m.method === 'Network.requestWillBeSent') requests.set(p.requestId, { url: p.request.url, done: false })
    if (m.method === 'Network.responseReceived') {
      lines.push(`response ${p.response.status} ${p.response.mimeType} ${p.response.url}`)
    }
    const request = requests.get(p.requestId)
    if (m.method === 'Network.loadingFinished' && request) request.done = true
    if (m.method === 'Network.loadingFailed') {
      if (request) request.done = true
      lines.push(`failed ${p.errorText.replace(/\s+/g, '_')} ${request ? request.url : p.requestId}`)
    }
    if (m.method === 'Page.loadEventFired') loaded = true
  })
  await inSession('Network.enable')
  await inSession('Page.enable')
  const viewport = { width: 800, height: 600, deviceScaleFactor: 1, mobile: false }
  await inSession('Emulation.setDeviceMetricsOverride', viewport)
  const navigation = await inSession('Page.navigate', { url })
  if (navigation.errorText) throw new Error(`navigation failed: ${navigation.errorText}`)
  // Loaded, and every request the page made has finished or failed (the icon may come late).
  const settled = () => loaded && [...requests.values()].every((r) => r.done)
  const tick = () => new Promise((resolve) => setTimeout(resolve, 100))
  for (let quiet = 0; quiet < 5; quiet = settled() ? quiet + 1 : 0) await tick()
  const probed = await inSession('Runtime.evaluate', { expression: probe, returnByValue: true })
  if (probed.exceptionDetails) throw new Error(`probe failed: ${probed.exceptionDetails.text}`)
  lines.push(probed.result.value)
  const shot = await inSession('Page.captureScreenshot', { format: 'png' })
  const file = path.join(outDir, 'screenshot.png')
  fs.writeFileSync(file, Buffer.from(shot.data, 'base64'))
  lines.push(`screenshot ${file} ${fs.statSync(file).size}`)
  console.log(lines.join('\n'))
  // A clean close takes Chromium's helper processes down with it (SIGKILL would not).
  browser.removeAllListeners('exit')
  browser.on('exit', () => finish(0))
  send('Browser.close').catch(() => {})
}
main().catch((err) => finish(1, err.message))
