// The shared interop workload: batches of blocks, each block a string or {size, fill}.
// hypercore_interop_test.cc builds the same list (keep them in sync).
'use strict'
function block (spec) {
  return typeof spec === 'string' ? Buffer.from(spec) : Buffer.alloc(spec.size, spec.fill)
}
function batches () {
  const many = []
  for (let i = 0; i < 20; i++) many.push('block-' + i)
  return [
    ['a', 'bc'], ['def'], [''], [{ size: 1048576, fill: 'x' }],
    ['ghij', 'k', '', { size: 70000, fill: 'q' }], many
  ].map(b => b.map(block))
}
module.exports = { batches }
