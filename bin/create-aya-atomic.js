#!/usr/bin/env node
// Kept to syntax every Node understands, so an old Node gets this message rather than a stack trace.
var major = Number(process.versions.node.split('.')[0]);
if (major < 20) {
  console.error('create-aya-atomic needs Node.js 20 or newer; this is Node.js ' + process.versions.node + '.');
  process.exit(1);
}
import('../dist/index.js');
