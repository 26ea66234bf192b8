// Markdown for the tables the READMEs and docs derive from the code.

/** Text for a markdown table cell: a `|` would end the cell, even inside backticks. */
export const mdCell = (text: string) => text.replace(/\|/g, '\\|');
