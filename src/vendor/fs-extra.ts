// fs-extra's move, loaded only to move a file across devices (rename cannot): a file of its own in dist/.
export { move } from 'fs-extra/lib/move/index.js';
