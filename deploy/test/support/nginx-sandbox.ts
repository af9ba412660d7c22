// The shipped nginx config (deploy/nginx/) run by a real nginx in a test's own directory: only
// addresses and paths change, so what the tests check is what operators deploy.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEPLOY_DIR } from './exec.ts';

export const NGINX = process.env.NGINX_BIN || '/usr/sbin/nginx';

export interface SitePorts {
  https: number;
  http: number;
  api: number;
  media: number;
}

/** deploy/nginx/<file> with loopback ports and the sandbox's certificate and log paths. */
export function sandboxSite(dir: string, ports: SitePorts, file = 'duet.conf'): string {
  return readFileSync(join(DEPLOY_DIR, 'nginx', file), 'utf8')
    .replace(/^\s*listen \[::\]:.*$/gm, '') // IPv6 is disabled in the test namespace
    .replace('listen 443 ssl http2;', `listen 127.0.0.1:${ports.https} ssl http2;`)
    .replace('listen 80;', `listen 127.0.0.1:${ports.http};`)
    .replace('server 127.0.0.1:8080;', `server 127.0.0.1:${ports.api};`)
    .replace('server 127.0.0.1:8090;', `server 127.0.0.1:${ports.media};`)
    .replaceAll('/etc/ssl/duet/', `${dir}/tls/`)
    .replace('/var/log/nginx/duet.access.log', `${dir}/access.log`)
    .replace('/var/log/nginx/duet-media.access.log', `${dir}/media-access.log`);
}

/** A main nginx.conf that keeps every file nginx writes inside `dir` and includes `siteFile`. */
export function nginxMainConfig(dir: string, siteFile: string): string {
  return [
    ...(process.getuid?.() === 0 ? ['user root;'] : []),
    'worker_processes 1;',
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log warn;`,
    'events { worker_connections 64; }',
    'http {',
    `  client_body_temp_path ${dir}/tmp/body; proxy_temp_path ${dir}/tmp/proxy;`,
    `  fastcgi_temp_path ${dir}/tmp/fcgi; uwsgi_temp_path ${dir}/tmp/uwsgi; scgi_temp_path ${dir}/tmp/scgi;`,
    '  access_log off;',
    `  include ${siteFile};`,
    '}',
    '',
  ].join('\n');
}
