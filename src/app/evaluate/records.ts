/**
 * Reading the records of a JSON list or JSONL text, with the place of each record for error
 * messages (`bon.jsonl line 12`, `bon.json item 3`). Shared by the file-kind detector and the
 * Best-of-N parser; the core has its own copy for the ProcessBench formats. No validation of
 * record fields here.
 */
import { DataError } from '../../core/processbench.ts';

export interface RawRecord {
  /** `bon.jsonl line 12` or `bon.json item 3` (JSON list items are 0-based, as in the core). */
  where: string;
  value: unknown;
}

export function baseName(sourceName: string): string {
  return sourceName.split(/[/\\]/).pop() ?? sourceName;
}

function parseList(body: string, file: string): unknown[] {
  let list: unknown;
  try {
    list = JSON.parse(body);
  } catch (e) {
    throw new DataError(
      `${file}: not valid JSON (${(e as Error).message}); expected a JSON list of records or JSONL.`,
    );
  }
  if (!Array.isArray(list) || list.length === 0) throw new DataError(`${file}: the list holds no records.`);
  return list;
}

function parseLine(line: string, where: string): unknown {
  try {
    return JSON.parse(line);
  } catch (e) {
    throw new DataError(
      `${where}: not valid JSON (${(e as Error).message}); expected one JSON object per line.`,
    );
  }
}

/**
 * Every record, or only the first with `firstOnly`. Throws `DataError` at the first line that is
 * not JSON, or when there is no record at all.
 *
 * @example
 * readRecords('{"a":1}\n\n{"a":2}\n', 'x.jsonl'); // [{ where: 'x.jsonl line 1', value: { a: 1 } }, { where: 'x.jsonl line 3', value: { a: 2 } }]
 */
export function readRecords(text: string, sourceName: string, firstOnly = false): RawRecord[] {
  const file = baseName(sourceName);
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim() === '')
    throw new DataError(`${file}: the file is empty; expected a JSON list or JSONL records.`);
  if (body.trimStart().startsWith('[')) {
    const list = parseList(body, file);
    return (firstOnly ? list.slice(0, 1) : list).map((value, i) => ({ where: `${file} item ${i}`, value }));
  }
  const out: RawRecord[] = [];
  const lines = body.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    const where = `${file} line ${i + 1}`;
    out.push({ where, value: parseLine(lines[i], where) });
    if (firstOnly) break;
  }
  return out;
}

/** The record as an object, or a `DataError` saying what it was instead. */
export function asObject(rec: RawRecord): Record<string, unknown> {
  const v = rec.value;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new DataError(`${rec.where}: expected a JSON object, got ${show(v)}`);
  }
  return v as Record<string, unknown>;
}

/** A value shortened for an error message. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
