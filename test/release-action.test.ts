// The Action's release: the workflow that tags it and the changelog section it takes its notes from.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { changelogSection } from '../scripts/changelog-section.mjs';

const changelog = fs.readFileSync('CHANGELOG.md', 'utf8');
const version = (JSON.parse(fs.readFileSync('package.json', 'utf8')) as { version: string }).version;

describe('the changelog', () => {
  it("has a section for package.json's version, which becomes the release notes without the link lines", () => {
    const section = changelogSection(changelog, version);
    expect(section).toMatch(/^The first version\.|^### /);
    expect(section).not.toMatch(/^\[[^\]]+\]: /m);
    expect(section).not.toMatch(/^## /m);
  });

  it('keeps an Unreleased section first, and has no section for a version never released', () => {
    expect(changelog.indexOf('## [Unreleased]')).toBeLessThan(changelog.indexOf(`## [${version}]`));
    expect(changelogSection(changelog, '99.0.0')).toBeUndefined();
    const res = spawnSync(process.execPath, ['scripts/changelog-section.mjs', '99.0.0'], { encoding: 'utf8' });
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/^error: CHANGELOG\.md has no "## \[99\.0\.0\]" section/);
  });

  it('does not take 1.0.10 for 1.0.1', () => {
    const text = '## [1.0.10]\nten\n\n## [1.0.1]\none\n';
    expect(changelogSection(text, '1.0.1')).toBe('one');
    expect(changelogSection(text, '1.0.10')).toBe('ten');
  });
});

describe('release-action.yml', () => {
  const wf = parse(fs.readFileSync('.github/workflows/release-action.yml', 'utf8')) as {
    on: { push: { tags: string[] }; workflow_dispatch: { inputs: Record<string, unknown> } };
    permissions: Record<string, string>;
    jobs: { release: { steps: Array<{ run?: string; name?: string }> } };
  };
  const script = wf.jobs.release.steps.map((s) => s.run ?? '').join('\n');

  it('runs on a vX.Y.Z tag or by hand with a version, with contents: write only', () => {
    expect(wf.on.push.tags).toEqual(['v[0-9]+.[0-9]+.[0-9]+']);
    expect(Object.keys(wf.on.workflow_dispatch.inputs)).toEqual(['version']);
    expect(wf.permissions).toEqual({ contents: 'write' });
  });

  it('rebuilds dist/ and fails on a difference before it tags, releases and moves the major tag', () => {
    const at = (needle: string) => script.indexOf(needle);
    for (const needle of [
      'npm run build',
      'git status --porcelain dist',
      'gh release create',
      'git push --force origin "refs/tags/$MAJOR"',
    ])
      expect(at(needle), needle).toBeGreaterThan(-1);
    expect(at('npm run build')).toBeLessThan(at('git status --porcelain dist'));
    expect(at('git status --porcelain dist')).toBeLessThan(at('gh release create'));
    expect(at('gh release create')).toBeLessThan(at('refs/tags/$MAJOR'));
    expect(script).toMatch(/node scripts\/changelog-section\.mjs "\$v"/);
  });
});
