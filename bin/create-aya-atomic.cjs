#!/usr/bin/env node
// Plain syntax that every Node still in use (12 and later) parses, so an old Node prints this
// one-line message rather than a stack trace from the bundle. CommonJS, as the bundle is: Node
// starts it faster than an ES module.
var major = Number(process.versions.node.split('.')[0]);
if (major < 20) {
  console.error('create-aya-atomic needs Node.js 20 or newer; this is Node.js ' + process.versions.node + '.');
  process.exit(1);
}
require('../dist/index.cjs');
