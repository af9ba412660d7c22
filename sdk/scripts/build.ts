// npm run sdk:build → sdk/dist: the publishable @duet/sdk (JavaScript + .d.ts, no TypeScript
// loader needed). Its package.json is written here (the workspace one points at the sources);
// openapi-fetch is bundled (bundleDependencies) so the tarball installs offline.
//   npm run sdk:build && npm pack ./sdk/dist      # or: npm publish ./sdk/dist
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

const SDK = resolve(import.meta.dirname, '..');
const ROOT = resolve(SDK, '..');
const DIST = resolve(SDK, 'dist');

export function buildSdk(): string {
  rmSync(DIST, { recursive: true, force: true });
  execFileSync(resolve(ROOT, 'node_modules/.bin/tsc'), ['-p', resolve(SDK, 'tsconfig.build.json')], { stdio: 'inherit' });
  const workspace = JSON.parse(readFileSync(resolve(SDK, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };
  const entry = (name: string) => ({ types: `./${name}.d.ts`, default: `./${name}.js` });
  const manifest = {
    name: '@duet/sdk',
    version: workspace.version,
    description: 'Typed client for the Duet lesson API (generated from its OpenAPI document) and webhook verification',
    license: 'Apache-2.0',
    type: 'module',
    engines: { node: '>=18' },
    exports: { '.': entry('index'), './fetch': entry('client'), './webhooks': entry('webhooks'), './openapi.json': './openapi.json' },
    types: './index.d.ts',
    sideEffects: false,
    dependencies: workspace.dependencies,
    bundleDependencies: Object.keys(workspace.dependencies),
  };
  writeFileSync(resolve(DIST, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  cpSync(resolve(ROOT, 'api/openapi.json'), resolve(DIST, 'openapi.json'));
  cpSync(resolve(SDK, 'README.md'), resolve(DIST, 'README.md'));
  cpSync(resolve(ROOT, 'LICENSE'), resolve(DIST, 'LICENSE'));
  // The bundled runtime dependency and what it needs, as installed in the workspace.
  for (const dep of [...Object.keys(workspace.dependencies), 'openapi-typescript-helpers']) {
    const from = resolve(ROOT, 'node_modules', dep);
    if (!existsSync(from)) throw new Error(`${dep} is not installed (npm ci)`);
    mkdirSync(resolve(DIST, 'node_modules'), { recursive: true });
    cpSync(from, resolve(DIST, 'node_modules', dep), { recursive: true, dereference: true });
  }
  return DIST;
}

if (import.meta.main) console.log(`built ${buildSdk()}`);
