// Issue 12, item 10: SECURITY.md says what Duet defends against, what an operator must set and how
// to report a problem — and stays true: every note and test folder it names exists, every setting
// in "What an operator must set" is a variable of some part's config schema (docs/env.md, generated
// from them), and it lists no "Known gaps" once they are closed.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/exec.ts';

const text = readFileSync(join(REPO_ROOT, 'SECURITY.md'), 'utf8');
const section = (title: string) => {
  const at = text.indexOf(`\n## ${title}\n`);
  expect(at, `SECURITY.md has "## ${title}"`).toBeGreaterThan(-1);
  const next = text.indexOf('\n## ', at + 4);
  return text.slice(at, next === -1 ? undefined : next);
};

describe('SECURITY.md', () => {
  it('has the three sections the issue asks for, and no open "Known gaps"', () => {
    expect(section('Who we defend against').split('\n').filter((l) => l.startsWith('| ')).length).toBeGreaterThan(5);
    expect(section('What an operator must set')).toMatch(/INTERNAL_HOOK_SECRET/);
    expect(section('Reporting a problem')).toMatch(/private/i);
    expect(text).not.toMatch(/\n## Known gaps\n/);
  });

  it('names only notes and test folders that exist', () => {
    const notes = [...text.matchAll(/\]\((docs\/security-notes\/[\w-]+\.md)\)/g)].map((m) => m[1]!);
    expect(notes.length).toBeGreaterThan(4);
    for (const n of notes) expect(existsSync(join(REPO_ROOT, n)), n).toBe(true);
    const folders = [...text.matchAll(/`(\w+\/test\/security)`/g)].map((m) => m[1]!);
    expect(folders.length).toBeGreaterThanOrEqual(5);
    for (const f of folders) expect(existsSync(join(REPO_ROOT, f)), f).toBe(true);
  });

  it('every variable an operator must set is one the roles read (docs/env.md)', () => {
    const env = readFileSync(join(REPO_ROOT, 'docs/env.md'), 'utf8');
    const vars = [...section('What an operator must set').matchAll(/`([A-Z][A-Z0-9_]{2,})`/g)].map((m) => m[1]!);
    expect(vars).toEqual(expect.arrayContaining(['DUET_API_KEY', 'INTERNAL_HOOK_SECRET', 'NODE_SECRET', 'URL_SIGNING_SECRET', 'METRICS_TOKEN', 'TRUST_PROXY']));
    for (const v of vars) expect(env, v).toContain(`\`${v}\``);
  });
});
