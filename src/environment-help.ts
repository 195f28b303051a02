/**
 * The environment variables as `odoo-relay --help` lists them: names in a column as wide as the
 * longest (so a new, longer name never runs into its text) and texts wrapped beside it.
 */
export function environmentHelp(variables: { name: string; description: string | undefined }[], width: number): string {
  const column = Math.max(...variables.map((v) => v.name.length)) + 2;
  const indent = ' '.repeat(2 + column);
  // A narrow terminal wraps the lines itself rather than squeezing the texts to a few words.
  const textWidth = Math.max(40, width - indent.length);
  return variables.map((v) => `  ${v.name.padEnd(column)}${wrap(v.description ?? '', textWidth).join(`\n${indent}`)}`).join('\n');
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  return [...lines, line];
}
