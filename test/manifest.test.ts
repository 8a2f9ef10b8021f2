import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MANIFEST_NAME, parseManifest, verifyBundle, writeManifest } from '../src/bundle/manifest.js';

const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'manifest-'));
  await writeFile(path.join(dir, 'model.json'), '{"format":"layers-model"}');
  await writeFile(path.join(dir, 'labels.json'), '["a","b"]');
  await mkdir(path.join(dir, 'weights'));
  await writeFile(path.join(dir, 'weights', 'group1-shard1of1.bin'), Buffer.from([0, 1, 2, 255]));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeManifest', () => {
  it('writes sorted sha256sum lines for every other file, recursing, and returns its digest', async () => {
    const digest = await writeManifest(dir);
    const content = await readFile(path.join(dir, MANIFEST_NAME), 'utf8');
    expect(content).toBe(
      `${sha('["a","b"]')}  labels.json\n` +
        `${sha('{"format":"layers-model"}')}  model.json\n` +
        `${sha(Buffer.from([0, 1, 2, 255]))}  weights/group1-shard1of1.bin\n`,
    );
    expect(digest).toBe(sha(content));
  });

  it('is what coreutils sha256sum writes, and sha256sum -c --strict accepts it', async () => {
    await writeManifest(dir);
    const files = ['labels.json', 'model.json', 'weights/group1-shard1of1.bin'];
    // Text mode: "<hex>  <path>", two spaces; "<hex> *<path>" would be binary mode.
    const written = await readFile(path.join(dir, MANIFEST_NAME), 'utf8');
    expect(written).toBe(execFileSync('sha256sum', ['--text', ...files], { cwd: dir, encoding: 'utf8' }));
    expect(
      written
        .split('\n')
        .slice(0, -1)
        .every((line) => /^[0-9a-f]{64} {2}[^ *]/.test(line)),
    ).toBe(true);
    const out = execFileSync('sha256sum', ['-c', '--strict', MANIFEST_NAME], { cwd: dir, encoding: 'utf8' });
    expect(out.trim().split('\n')).toEqual(files.map((f) => `${f}: OK`));
  });

  it('is refused by sha256sum -c once a file changes', async () => {
    await writeManifest(dir);
    await writeFile(path.join(dir, 'model.json'), '{"format":"tampered"}');
    const run = spawnSync('sha256sum', ['-c', '--strict', MANIFEST_NAME], { cwd: dir, encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stdout.trim().split('\n')).toEqual(['labels.json: OK', 'model.json: FAILED', 'weights/group1-shard1of1.bin: OK']);
  });

  it('does not change its digest when rewritten over an unchanged bundle', async () => {
    expect(await writeManifest(dir)).toBe(await writeManifest(dir));
  });

  it('refuses symlinks', async () => {
    await symlink('/etc/passwd', path.join(dir, 'weights', 'leak.bin'));
    await expect(writeManifest(dir)).rejects.toThrow(/weights\/leak\.bin/);
  });
});

describe('verifyBundle', () => {
  it('accepts an untouched bundle', async () => {
    await writeManifest(dir);
    expect(await verifyBundle(dir)).toEqual({ ok: true, problems: [] });
  });

  it('reports a changed, a missing and an extra file', async () => {
    await writeManifest(dir);
    await writeFile(path.join(dir, 'model.json'), '{"format":"tampered"}');
    await rm(path.join(dir, 'labels.json'));
    await writeFile(path.join(dir, 'weights', 'extra.bin'), 'x');
    const check = await verifyBundle(dir);
    expect(check.ok).toBe(false);
    expect(check.problems).toEqual(['missing: labels.json', 'sha256 mismatch: model.json', `not in ${MANIFEST_NAME}: weights/extra.bin`]);
  });

  it('refuses a symlinked file or folder even when its hash matches', async () => {
    const outside = await mkdtemp(path.join(os.tmpdir(), 'outside-'));
    await writeFile(path.join(outside, 'w.bin'), 'secret');
    await symlink(outside, path.join(dir, 'linked'));
    await writeFile(path.join(dir, MANIFEST_NAME), `${sha('secret')}  linked/w.bin\n`);
    const check = await verifyBundle(dir);
    expect(check.problems).toContain('symlink refused: linked');
    expect(check.problems).toContain('missing: linked/w.bin');
    await rm(outside, { recursive: true, force: true });
  });

  it('reports a missing manifest', async () => {
    expect(await verifyBundle(dir)).toEqual({ ok: false, problems: [`${MANIFEST_NAME} is missing`] });
  });
});

describe('parseManifest', () => {
  it('rejects unparsable lines, absolute paths and ..', () => {
    const h = sha('x');
    const { entries, problems } = parseManifest(
      [`${h}  ok.bin`, 'garbage', `${h}  /etc/passwd`, `${h}  a/../../b`, `${h}  ok.bin`, `${h} *bin.bin`, ''].join('\n'),
    );
    expect(entries.map((e) => e.rel)).toEqual(['ok.bin', 'bin.bin']);
    expect(problems).toEqual([
      `${MANIFEST_NAME} line 2: not "<sha256>  <path>"`,
      `${MANIFEST_NAME} line 3: absolute path: /etc/passwd`,
      `${MANIFEST_NAME} line 4: path with ..: a/../../b`,
      `${MANIFEST_NAME} line 5: listed twice: ok.bin`,
    ]);
  });
});

describe('what a bundle may hold', () => {
  it('lists files in code-unit order, whatever order they were written in', async () => {
    for (const name of ['b.bin', 'B.bin', '_x.bin', 'a.bin']) await writeFile(path.join(dir, 'weights', name), name);
    // "weights-old.bin" sorts before "weights/...", though a walk meets the folder "weights" first.
    await writeFile(path.join(dir, 'weights-old.bin'), 'old');
    await writeManifest(dir);
    const names = (await readFile(path.join(dir, MANIFEST_NAME), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => l.slice(66));
    expect(names).toEqual([
      'labels.json',
      'model.json',
      'weights-old.bin',
      'weights/B.bin',
      'weights/_x.bin',
      'weights/a.bin',
      'weights/b.bin',
      'weights/group1-shard1of1.bin',
    ]);
  });

  it('refuses special files and names every link or special file it found', async () => {
    execFileSync('mkfifo', [path.join(dir, 'weights', 'pipe')]);
    await symlink('model.json', path.join(dir, 'alias.json'));
    await expect(writeManifest(dir)).rejects.toThrow('model bundle holds links or special files, refused: alias.json, weights/pipe');
  });

  it('refuses a file name that sha256sum would have to escape', async () => {
    await writeFile(path.join(dir, 'weights', 'a\\b.bin'), 'x');
    await expect(writeManifest(dir)).rejects.toThrow('model bundle file name not allowed: "weights/a\\\\b.bin"');
    await rm(path.join(dir, 'weights', 'a\\b.bin'));
    await writeFile(path.join(dir, 'line\nbreak.bin'), 'x');
    await expect(writeManifest(dir)).rejects.toThrow('model bundle file name not allowed: "line\\nbreak.bin"');
  });

  it('verifyBundle reports a special file and a manifest that is a symlink', async () => {
    await writeManifest(dir);
    execFileSync('mkfifo', [path.join(dir, 'weights', 'pipe')]);
    expect((await verifyBundle(dir)).problems).toEqual(['not a regular file: weights/pipe']);
    await rm(path.join(dir, 'weights', 'pipe'));
    const elsewhere = await mkdtemp(path.join(os.tmpdir(), 'manifest-elsewhere-'));
    try {
      await rename(path.join(dir, MANIFEST_NAME), path.join(elsewhere, MANIFEST_NAME));
      await symlink(path.join(elsewhere, MANIFEST_NAME), path.join(dir, MANIFEST_NAME));
      expect(await verifyBundle(dir)).toEqual({ ok: false, problems: [`${MANIFEST_NAME} is a symlink (refused)`] });
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });
});

describe('parseManifest: paths a manifest may name', () => {
  const h = sha('x');
  const problemsOf = (lines: string[]) => parseManifest(lines.join('\n')).problems;

  it('refuses Windows drive paths, backslashes and paths that are not normalised', () => {
    expect(problemsOf([`${h}  C:/x.bin`, `${h}  a\\b.bin`, `${h}  a//b.bin`, `${h}  ./a.bin`, `${h}  a/./b.bin`, `${h}  a/`])).toEqual([
      `${MANIFEST_NAME} line 1: absolute path: C:/x.bin`,
      `${MANIFEST_NAME} line 2: backslash in path: a\\b.bin`,
      `${MANIFEST_NAME} line 3: path not normalised: a//b.bin`,
      `${MANIFEST_NAME} line 4: path not normalised: ./a.bin`,
      `${MANIFEST_NAME} line 5: path not normalised: a/./b.bin`,
      `${MANIFEST_NAME} line 6: path not normalised: a/`,
    ]);
  });

  it('accepts a colon or dots inside a name', () => {
    expect(parseManifest([`${h}  a/b:c.bin`, `${h}  ..x/y.bin`, `${h}  .hidden`].join('\n'))).toEqual({
      entries: [
        { hex: h, rel: 'a/b:c.bin' },
        { hex: h, rel: '..x/y.bin' },
        { hex: h, rel: '.hidden' },
      ],
      problems: [],
    });
  });

  it('a line with text before the hash or a carriage return after the name is not read as an entry', () => {
    expect(parseManifest([`x${h}  a.bin`, `${h}  b.bin\r`].join('\n'))).toEqual({
      entries: [],
      problems: [`${MANIFEST_NAME} line 1: not "<sha256>  <path>"`, `${MANIFEST_NAME} line 2: not "<sha256>  <path>"`],
    });
  });
});
