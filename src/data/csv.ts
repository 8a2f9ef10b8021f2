// csv: one row per example, a label column and numeric feature columns.
import fs from 'node:fs';
import { DataError } from '../errors.js';
import { sha256 } from '../util/hash.js';

export interface CsvTable {
  header: string[];
  rows: string[][];
  /** 1-based line number of each row in the file. */
  lines: number[];
}

/** RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF. */
export function parseCsv(text: string, where: string): CsvTable {
  const records: string[][] = [];
  const lines: number[] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        field += c;
      }
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      if (record.length > 1 || record[0] !== '') {
        records.push(record);
        lines.push(recordLine);
      }
      record = [];
      field = '';
      line++;
      recordLine = line;
    } else field += c;
  }
  if (quoted) throw new DataError(`${where}: unterminated quoted field starting on line ${recordLine}`);
  if (field !== '' || record.length) {
    record.push(field);
    records.push(record);
    lines.push(recordLine);
  }
  if (records.length < 2) throw new DataError(`${where}: needs a header row and at least one data row`);
  return { header: records[0].map((h) => h.trim()), rows: records.slice(1), lines: lines.slice(1) };
}

export interface CsvRows {
  featureNames: string[];
  labels: string[];
  values: Float32Array[];
  ids: string[];
  /** "<file> line <n>" of each row, for messages. */
  where: string[];
  hashes: string[];
}

export function readCsvRows(file: string, displayPath: string, label: string, features: string[] | undefined, where: string): CsvRows {
  if (!fs.existsSync(file)) throw new DataError(`${where}: file "${displayPath}" does not exist`);
  if (!fs.statSync(file).isFile()) throw new DataError(`${where}: "${displayPath}" is not a file`);
  // A UTF-8 byte order mark would otherwise become part of the first column's name.
  const table = parseCsv(fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, ''), `${where} (${displayPath})`);
  const labelCol = table.header.indexOf(label);
  if (labelCol < 0) throw new DataError(`data.label: column "${label}" not found in ${displayPath} (columns: ${table.header.join(', ')})`);
  const featureNames = features ?? table.header.filter((_, i) => i !== labelCol);
  const cols = featureNames.map((name) => {
    const i = table.header.indexOf(name);
    if (i < 0) throw new DataError(`data.features: column "${name}" not found in ${displayPath} (columns: ${table.header.join(', ')})`);
    if (i === labelCol) throw new DataError(`data.features: "${name}" is the label column (data.label), not a feature`);
    return i;
  });
  const out: CsvRows = { featureNames, labels: [], values: [], ids: [], where: [], hashes: [] };
  table.rows.forEach((row, r) => {
    const at = `${where}: ${displayPath} line ${table.lines[r]}`;
    if (row.length !== table.header.length) throw new DataError(`${at}: ${row.length} fields, the header has ${table.header.length}`);
    const y = row[labelCol].trim();
    if (y === '') throw new DataError(`${at}, column ${labelCol + 1} ("${label}"): missing label`);
    const v = new Float32Array(cols.length);
    cols.forEach((c, j) => {
      const text = row[c].trim();
      const num = Number(text);
      if (text === '' || !Number.isFinite(num)) {
        throw new DataError(`${at}, column ${c + 1} ("${table.header[c]}"): expected a number, got "${row[c]}"`);
      }
      v[j] = num;
    });
    out.labels.push(y);
    out.values.push(v);
    out.ids.push(`${displayPath}#${table.lines[r]}`);
    out.where.push(at);
    out.hashes.push(sha256(row.join(',')));
  });
  return out;
}
