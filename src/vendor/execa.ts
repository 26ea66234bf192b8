// execa, loaded only when a child process runs: a file of its own in dist/ (scripts/build.mjs).
export { execa } from 'execa';
