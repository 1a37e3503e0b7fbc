/**
 * RFC 4180 CSV: fields separated by commas, optionally quoted with `"` (a quote inside doubled),
 * records ended by CRLF or LF; a quoted field may span lines. Pure; errors name the line.
 */
export class CsvError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
  }
}

/** Parses a whole document into records of fields (a trailing newline does not make an empty record). */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let line = 1;
  let i = 0;
  let quoted = false;
  let fieldStarted = false;
  const endField = () => {
    record.push(field);
    field = '';
    fieldStarted = false;
  };
  const endRecord = () => {
    endField();
    records.push(record);
    record = [];
  };
  if (text.charCodeAt(0) === 0xfeff) i = 1; // byte-order mark
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        const next = text[i];
        if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') throw new CsvError('text after a closing quote', line);
        continue;
      }
      if (c === '\n') line++;
      field += c;
      i++;
      continue;
    }
    if (c === '"') {
      if (fieldStarted || field) throw new CsvError('a quote inside an unquoted field', line);
      quoted = true;
      fieldStarted = true;
      i++;
    } else if (c === ',') {
      endField();
      i++;
    } else if (c === '\r' || c === '\n') {
      endRecord();
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line++;
    } else {
      field += c;
      fieldStarted = true;
      i++;
    }
  }
  if (quoted) throw new CsvError('a quoted field is not closed', line);
  if (fieldStarted || field || record.length) endRecord();
  return records;
}

/** Records as objects keyed by the header row; a record with the wrong number of fields is an error. */
export function csvObjects(text: string): Array<Record<string, string>> {
  const [header, ...rows] = parseCsv(text);
  if (!header) return [];
  const names = header.map((h) => h.trim());
  const dupe = names.find((n, i) => names.indexOf(n) !== i);
  if (dupe) throw new CsvError(`column "${dupe}" appears twice`, 1);
  return rows
    .map((r, index) => ({ r, index }))
    .filter(({ r }) => !(r.length === 1 && r[0] === ''))
    .map(({ r, index }) => {
      if (r.length !== names.length) throw new CsvError(`${r.length} fields, the header has ${names.length}`, index + 2);
      return Object.fromEntries(names.map((n, i) => [n, r[i]!]));
    });
}

/** One field for writing: quoted when it holds a comma, a quote or a line break. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One record for writing, LF-terminated. */
export function csvRecord(fields: string[]): string {
  return fields.map(csvField).join(',') + '\n';
}
