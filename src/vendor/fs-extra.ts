// fs-extra, loaded only to move a file across devices (rename cannot). A file of its own in dist/.
export { default } from 'fs-extra';
