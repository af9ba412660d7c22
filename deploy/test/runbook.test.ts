// The runbook stays true: every file it names exists, and every `duet …` command it tells an
// operator to type parses with the real CLI (known command, subcommand and options).
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMANDS, parseCli } from '../src/cli/main.ts';
import { DEPLOY_DIR, REPO_ROOT } from './support/exec.ts';

const runbook = readFileSync(join(DEPLOY_DIR, 'RUNBOOK.md'), 'utf8');

describe('RUNBOOK.md', () => {
  it('names only files that exist in the repository', () => {
    const paths = new Set([...runbook.matchAll(/(?<![\w/.-])((?:deploy|scripts|sfu\/scripts)\/[\w./*-]*[\w*])/g)].map((m) => m[1]!));
    expect(paths.size).toBeGreaterThan(10);
    for (const p of paths) {
      // `deploy/systemd/duet-*.service` style globs name a family of files.
      const path = p.includes('*') ? p.slice(0, p.lastIndexOf('/')) : p;
      expect(existsSync(join(REPO_ROOT, path)), p).toBe(true);
    }
    // Files named relative to deploy/ in its table.
    for (const m of runbook.matchAll(/^\| `((?:systemd|env|container|compose|k8s|nginx|coturn)\/[^`]+)`/gm)) {
      const rel = m[1]!.replace(/\{([^}]+)\}/, (_x, alts: string) => alts.split(',')[0]!);
      const file = rel.includes('*') ? rel.slice(0, rel.lastIndexOf('/')) : rel;
      expect(existsSync(join(DEPLOY_DIR, file)), rel).toBe(true);
    }
  });

  it('every duet command it shows is one the CLI accepts', () => {
    const commands = [...runbook.matchAll(/(?:^|[`\s])(?:npx |node deploy\/bin\/duet\.ts |)duet ((?:[a-z]+)(?: [^`\n#|]*)?)/gm)]
      .map((m) => m[1]!.trim())
      .filter((c) => !c.startsWith('CLI') && Object.keys(COMMANDS).includes(c.split(' ')[0]!));
    expect(commands.length).toBeGreaterThan(8);
    for (const line of commands) {
      // Placeholders like <id> and shell continuations are not part of the grammar.
      const argv = line.replace(/<[^>]+>/g, 'X').replace(/\s+\\$/, '').replace(/…/g, 'X').split(/\s+/).filter(Boolean);
      const { positionals } = parseCli(argv);
      const [cmd, sub] = positionals;
      expect(Object.keys(COMMANDS), line).toContain(cmd);
      if (COMMANDS[cmd!]!.length > 0) expect(COMMANDS[cmd!], line).toContain(sub);
    }
  });
});
