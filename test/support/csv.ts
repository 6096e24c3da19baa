/**
 * An RFC 4180 CSV reader for tests: quoted fields, doubled quotes, newlines inside quotes, CRLF
 * rows, as spreadsheet programs read an exported CSV. Deliberately separate from the exporter's
 * code, so a test reads the file the way someone else's program would.
 *
 * @example
 * readCsv('a,"b,c"\r\n1,"say ""hi"""\r\n'); // [['a', 'b,c'], ['1', 'say "hi"']]
 */
export function readCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field !== '' || row.length) rows.push([...row, field]);
  return rows;
}
