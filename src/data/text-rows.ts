// text-classification rows: csv (a text column and a label column) or jsonl (one JSON object per
// line with a text field and a label field). Every bad row is named by file and line (docs/text.md).
import fs from 'node:fs';
import { DataError } from '../errors.js';
import { sha256 } from '../util/hash.js';
import { parseCsv } from './csv.js';

export interface TextRows {
  texts: string[];
  labels: string[];
  ids: string[];
  /** "<key>: <file> line <n>" of each row, for messages. */
  where: string[];
  /** sha256 of the text alone: the feature cache key (a text's features do not depend on its label). */
  hashes: string[];
}

export interface TextColumns {
  text: string;
  label: string;
}

export function readTextRows(file: string, displayPath: string, format: 'csv' | 'jsonl', cols: TextColumns, where: string): TextRows {
  if (!fs.existsSync(file)) throw new DataError(`${where}: file "${displayPath}" does not exist`);
  if (!fs.statSync(file).isFile()) throw new DataError(`${where}: "${displayPath}" is not a file`);
  // A UTF-8 byte order mark would otherwise become part of the first column's name or break the first JSON line.
  const content = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  const raw = format === 'csv' ? csvRecords(content, displayPath, cols, where) : jsonlRecords(content, displayPath, cols, where);
  const out: TextRows = { texts: [], labels: [], ids: [], where: [], hashes: [] };
  for (const r of raw) {
    const at = `${where}: ${displayPath} line ${r.line}`;
    if (r.text.trim() === '') throw new DataError(`${at}: empty text in ${r.textName}`);
    if (r.label === '') throw new DataError(`${at}: missing label in ${r.labelName}`);
    out.texts.push(r.text);
    out.labels.push(r.label);
    out.ids.push(`${displayPath}#${r.line}`);
    out.where.push(at);
    out.hashes.push(sha256(r.text));
  }
  if (out.texts.length === 0) throw new DataError(`${where}: ${displayPath} holds no rows`);
  return out;
}

interface RawRecord {
  line: number;
  text: string;
  label: string;
  textName: string;
  labelName: string;
}

function csvRecords(content: string, displayPath: string, cols: TextColumns, where: string): RawRecord[] {
  const table = parseCsv(content, `${where} (${displayPath})`);
  const column = (name: string, key: string) => {
    const i = table.header.indexOf(name);
    if (i < 0) throw new DataError(`${key}: column "${name}" not found in ${displayPath} (columns: ${table.header.join(', ')})`);
    return i;
  };
  const t = column(cols.text, 'data.text');
  const l = column(cols.label, 'data.label');
  return table.rows.map((row, r) => {
    if (row.length !== table.header.length) {
      throw new DataError(`${where}: ${displayPath} line ${table.lines[r]}: ${row.length} fields, the header has ${table.header.length}`);
    }
    return {
      line: table.lines[r],
      text: row[t],
      label: row[l].trim(),
      textName: `column ${t + 1} ("${cols.text}")`,
      labelName: `column ${l + 1} ("${cols.label}")`,
    };
  });
}

function jsonlRecords(content: string, displayPath: string, cols: TextColumns, where: string): RawRecord[] {
  const out: RawRecord[] = [];
  content.split(/\r?\n/).forEach((lineText, i) => {
    if (lineText.trim() === '') return;
    const at = `${where}: ${displayPath} line ${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(lineText);
    } catch (err) {
      throw new DataError(`${at}: not valid JSON (${(err as Error).message})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new DataError(`${at}: expected a JSON object, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`);
    const obj = value as Record<string, unknown>;
    const text = obj[cols.text];
    const label = obj[cols.label];
    if (text === undefined)
      throw new DataError(`${at}: no field "${cols.text}" (data.text); fields: ${Object.keys(obj).join(', ') || 'none'}`);
    if (typeof text !== 'string')
      throw new DataError(`${at}: field "${cols.text}" (data.text) must be a string, got ${JSON.stringify(text)}`);
    if (label === undefined) throw new DataError(`${at}: no field "${cols.label}" (data.label); fields: ${Object.keys(obj).join(', ')}`);
    if (typeof label !== 'string' && !(typeof label === 'number' && Number.isFinite(label))) {
      throw new DataError(`${at}: field "${cols.label}" (data.label) must be a string or a number, got ${JSON.stringify(label)}`);
    }
    out.push({ line: i + 1, text, label: String(label).trim(), textName: `field "${cols.text}"`, labelName: `field "${cols.label}"` });
  });
  return out;
}
