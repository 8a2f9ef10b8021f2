// A crash while writing never leaves a half-written bundle or report behind.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { replaceDirAtomic, writeFileAtomic } from '../src/util/fs-atomic.js';
import { verifyBundle, writeManifest } from '../src/bundle/manifest.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'finetune-atomic-'));

describe('atomic outputs', () => {
  it('keeps the previous bundle intact when writing a new one fails midway', async () => {
    const out = tmp();
    const bundle = path.join(out, 'model');
    await replaceDirAtomic(bundle, async (d) => {
      fs.writeFileSync(path.join(d, 'model.json'), '{"v":1}');
      await writeManifest(d);
    });
    await expect(
      replaceDirAtomic(bundle, async (d) => {
        fs.writeFileSync(path.join(d, 'model.json'), '{"v":2, "half');
        throw new Error('disk full');
      }),
    ).rejects.toThrow('disk full');
    expect(fs.readFileSync(path.join(bundle, 'model.json'), 'utf8')).toBe('{"v":1}');
    expect((await verifyBundle(bundle)).ok).toBe(true);
    // No temporary folder is left next to it.
    expect(fs.readdirSync(out)).toEqual(['model']);
  });

  it('leaves no bundle at all when the first write fails, rather than one verify would accept', async () => {
    const out = tmp();
    await expect(
      replaceDirAtomic(path.join(out, 'model'), async (d) => {
        fs.writeFileSync(path.join(d, 'weights.bin'), Buffer.alloc(10));
        throw new Error('killed');
      }),
    ).rejects.toThrow('killed');
    expect(fs.readdirSync(out)).toEqual([]);
  });

  it('writes files through a rename: readers see the old or the new content, never a prefix', () => {
    const file = path.join(tmp(), 'report.json');
    writeFileAtomic(file, 'old');
    writeFileAtomic(file, 'new content');
    expect(fs.readFileSync(file, 'utf8')).toBe('new content');
    expect(fs.readdirSync(path.dirname(file))).toEqual(['report.json']);
  });

  it('makes the bundle folder readable by others (not the private mode of a temp folder)', async () => {
    const bundle = path.join(tmp(), 'model');
    await replaceDirAtomic(bundle, async (d) => fs.writeFileSync(path.join(d, 'a'), 'x'));
    expect(fs.statSync(bundle).mode & 0o777).toBe(0o755);
  });
});
