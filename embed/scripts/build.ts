// npm run embed:build → embed/dist: index.js (the TypeScript source with its types stripped by
// Node itself — the package has no dependencies and needs no bundler) and index.d.ts (tsc).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { resolve } from 'node:path';

const EMBED = resolve(import.meta.dirname, '..');
const DIST = resolve(EMBED, 'dist');

/** The module as browsers load it. */
export function embedJs(): string {
  return stripTypeScriptTypes(readFileSync(resolve(EMBED, 'src/index.ts'), 'utf8'), { mode: 'strip' });
}

export function buildEmbed(): string {
  rmSync(DIST, { recursive: true, force: true });
  mkdirSync(DIST, { recursive: true });
  writeFileSync(resolve(DIST, 'index.js'), embedJs());
  execFileSync(resolve(EMBED, '../node_modules/.bin/tsc'), [resolve(EMBED, 'src/index.ts'), '--declaration', '--emitDeclarationOnly', '--lib', 'ES2022,DOM', '--target', 'ES2022', '--module', 'ESNext', '--moduleResolution', 'Bundler', '--skipLibCheck', '--outDir', DIST], { stdio: 'inherit' });
  return DIST;
}

if (import.meta.main) console.log(`built ${buildEmbed()}`);
