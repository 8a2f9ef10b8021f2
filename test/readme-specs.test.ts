// Every YAML block of the README and docs/ is something a user copies: each must parse, each spec
// (or spec fragment) must validate, and each workflow must call the Action with inputs and
// outputs that action.yml has. The quick start's spec is run through `finetune validate` on a real
// repository laid out as the README says.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseSpec } from '../src/spec/load.js';
import { validateCommand } from '../src/cli/validate.js';
import { COMMANDS } from '../src/cli/main.js';
import { EXAMPLE_DIR } from './helpers/tiny-repo.js';
import { solidPng } from './helpers/images.js';
import { recordingLogger } from './helpers/tmp-repo.js';

interface Block {
  file: string;
  line: number;
  text: string;
}

const DOCS = [
  'README.md',
  ...fs
    .readdirSync('docs')
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const SPEC_KEYS = ['version', 'name', 'task', 'seed', 'model', 'data', 'train', 'gate', 'output', 'sweep'];
/** The least an image spec needs; a fragment (a block of only some top-level keys) is validated on it. */
const MINIMAL = {
  version: 1,
  name: 'fragment',
  task: 'image-classification',
  model: { base: 'models/base/model.json' },
  data: { format: 'image-folder', train: 'data/train' },
};

const action = parse(fs.readFileSync('action.yml', 'utf8')) as { inputs: Record<string, unknown>; outputs: Record<string, unknown> };

function yamlBlocks(file: string): Block[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== '```yaml') continue;
    const end = lines.findIndex((l, j) => j > i && l.trim() === '```');
    blocks.push({ file, line: i + 2, text: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return blocks;
}

const blocks = DOCS.flatMap(yamlBlocks);
const where = (b: Block) => `${b.file}:${b.line}`;
const isWorkflow = (doc: Record<string, unknown>) => 'jobs' in doc;
const isSpec = (doc: Record<string, unknown>) => Object.keys(doc).length > 0 && Object.keys(doc).every((k) => SPEC_KEYS.includes(k));

interface Step {
  id?: string;
  uses?: string;
  with?: Record<string, unknown>;
}

/** The steps that run this Action: `OWNER/finetune-action@vN` in the docs, `./` in this repository's workflows. */
function actionSteps(doc: { jobs: Record<string, { steps?: Step[] }> }): Step[] {
  return Object.values(doc.jobs)
    .flatMap((j) => j.steps ?? [])
    .filter((s) => s.uses === './' || /finetune-action@/.test(s.uses ?? ''));
}

function checkWorkflow(text: string, label: string, doc: { jobs: Record<string, { steps?: Step[] }> }, usesForm: RegExp): number {
  const steps = actionSteps(doc);
  for (const step of steps) {
    expect(step.uses, `${label}: uses`).toMatch(usesForm);
    for (const input of Object.keys(step.with ?? {})) expect(Object.keys(action.inputs), `${label}: input "${input}"`).toContain(input);
  }
  const ids = new Set(steps.map((s) => s.id).filter(Boolean));
  for (const m of text.matchAll(/steps\.([\w-]+)\.outputs\.([\w-]+)/g)) {
    if (ids.has(m[1])) expect(Object.keys(action.outputs), `${label}: output "${m[2]}"`).toContain(m[2]);
  }
  return steps.length;
}

describe('YAML in the README and docs/', () => {
  it('finds the blocks: the README has a spec and workflows that use the Action', () => {
    const readme = blocks.filter((b) => b.file === 'README.md').map((b) => parse(b.text) as Record<string, unknown>);
    expect(readme.filter(isSpec).length).toBeGreaterThanOrEqual(1);
    expect(readme.filter(isWorkflow).length).toBeGreaterThanOrEqual(2);
  });

  it.each(blocks.map((b) => [where(b), b] as const))('%s parses, and validates when it is a spec or a workflow', (_label, b) => {
    const doc = parse(b.text) as Record<string, unknown>;
    expect(doc, where(b)).toBeTypeOf('object');
    if (isWorkflow(doc)) {
      checkWorkflow(b.text, where(b), doc as never, /^OWNER\/finetune-action@v\d+$/);
    } else if (isSpec(doc)) {
      const text = 'version' in doc ? b.text : JSON.stringify({ ...MINIMAL, ...doc });
      expect(() => parseSpec(text, where(b)), where(b)).not.toThrow();
    }
  });

  it("this repository's workflows give the Action only inputs it has", () => {
    const dir = '.github/workflows';
    let found = 0;
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.yml'))) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      found += checkWorkflow(text, f, parse(text), /^(\.\/|OWNER\/finetune-action@v\d+)$/);
    }
    expect(found).toBeGreaterThan(0);
  });
});

describe("the README's reference", () => {
  /** The names in the first column of the table under `heading` whose header cell is `first`. */
  function tableNames(first: string): string[] {
    const text = fs.readFileSync('README.md', 'utf8');
    const start = text.indexOf(`| ${first} |`);
    const rows = text.slice(start).split('\n').slice(2);
    const table = rows.slice(
      0,
      rows.findIndex((r) => !r.startsWith('|')),
    );
    return table.flatMap((r) => [...(r.split('|')[1] ?? '').matchAll(/`([\w-]+)`/g)].map((m) => m[1]));
  }

  it("lists exactly action.yml's inputs and outputs", () => {
    expect(tableNames('input').sort()).toEqual(Object.keys(action.inputs).sort());
    expect(tableNames('output').sort()).toEqual(Object.keys(action.outputs).sort());
  });

  it('shows every command of the command line, with every option it takes', () => {
    for (const file of ['README.md', 'docs/spec.md']) {
      const text = fs.readFileSync(file, 'utf8');
      for (const c of COMMANDS) {
        const line = text.split('\n').find((l) => l.startsWith(`finetune ${c.name} `));
        expect(line, `${file}: finetune ${c.name}`).toBeDefined();
        for (const o of c.options) expect(line, `${file}: finetune ${c.name} --${o}`).toContain(`--${o}`);
      }
    }
  });
});

describe('links in the README and docs/', () => {
  it.each(DOCS.map((f) => [f]))('%s links only to files that exist', (file) => {
    const text = fs.readFileSync(file, 'utf8');
    const targets = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((t) => !/^(https?:|mailto:|#)/.test(t));
    for (const t of targets) expect(fs.existsSync(path.join(path.dirname(file), t.split('#')[0])), `${file}: ${t}`).toBe(true);
  });
});

describe("the README's quick start", () => {
  it('its spec passes finetune validate on image folders laid out as it says, with the base cut where it says', async () => {
    const block = blocks.find((b) => b.file === 'README.md' && isSpec(parse(b.text)) && /format: image-folder/.test(b.text));
    expect(block, 'the quick start spec').toBeDefined();
    const spec = parse((block as Block).text) as { model: { base: string; cut: string }; data: { train: string } };
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'finetune-quickstart-'));
    fs.mkdirSync(path.join(repo, '.git'));
    fs.cpSync(path.join(EXAMPLE_DIR, 'models/mobilenet_v2'), path.join(repo, path.dirname(spec.model.base)), { recursive: true });
    const colours: Record<string, [number, number, number]> = { cat: [200, 40, 40], dog: [40, 40, 200] };
    for (const [cls, [r, g, b]] of Object.entries(colours)) {
      fs.mkdirSync(path.join(repo, spec.data.train, cls), { recursive: true });
      for (let i = 0; i < 10; i++) fs.writeFileSync(path.join(repo, spec.data.train, cls, `${i}.png`), solidPng(r + i, g, b, 16));
    }
    const specFile = path.join(repo, 'finetune.yml');
    fs.writeFileSync(specFile, (block as Block).text);
    const log = recordingLogger();
    expect(await validateCommand(specFile, log)).toBe(0);
    const out = log.infos.join('\n');
    expect(out).toMatch(/classes: cat, dog/);
    expect(out).toContain(`cut at "${spec.model.cut}"`);
    // The candidates at the spec's size: the cut marked, layers above a Flatten at the model's own.
    expect(out).toMatch(new RegExp(`^  \\* ${spec.model.cut} +3x3x1280$`, 'm'));
    expect(out).toMatch(/^ {4}flatten_1 +1280 at 224x224 \(does not take 96x96\)$/m);
    fs.rmSync(repo, { recursive: true, force: true });
  });
});
