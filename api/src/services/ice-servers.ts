// ICE servers handed to a participant at join: static ICE_SERVERS, STUN_URLS, and TURN with
// time-limited credentials per coturn's REST scheme (use-auth-secret): username
// "<unix expiry>:<user id>", credential base64(HMAC-SHA1(TURN_SECRET, username)).
import { createHmac } from 'node:crypto';
import type { ApiConfig, IceServer } from '../config.ts';

export function turnCredentials(secret: string, userId: string, expiresAtSeconds: number): { username: string; credential: string } {
  const username = `${expiresAtSeconds}:${userId}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

export function iceServersFor(config: ApiConfig, userId: string, now: Date): IceServer[] {
  const out: IceServer[] = [...config.iceServers];
  if (config.stunUrls.length > 0) out.push({ urls: config.stunUrls });
  if (config.turn) {
    const exp = Math.floor(now.getTime() / 1000) + config.turn.ttlSeconds;
    out.push({ urls: config.turn.urls, ...turnCredentials(config.turn.secret, userId, exp) });
  }
  return out;
}
