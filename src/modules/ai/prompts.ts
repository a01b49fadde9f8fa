/**
 * Puts a caller's text into a prompt as data. The closing tag is neutralised inside the text, so
 * a document cannot end its own block and continue as instructions.
 */
export function documentBlock(text: string): string {
  return `<document>\n${text.replace(/<\/document>/gi, '<\\/document>')}\n</document>`;
}
