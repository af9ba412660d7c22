// The join grant fetched during the pre-join check is reused by the Join click only while its
// TURN credentials (username "<unix expiry>:<user id>") have a couple of minutes left.
import { describe, expect, it } from 'vitest';
import { RoomController } from '../src/room-controller.ts';
import type { JoinInfo } from '../src/lib/api.ts';

function grant(iceServers: RTCIceServer[]): JoinInfo {
  return {
    signaling_url: 'ws://127.0.0.1:1/ws',
    ice_servers: iceServers,
    session: { id: 's', title: 't', status: 'scheduled', scheduled_start: '', scheduled_end: '', recording: false },
    you: { role: 'student', user_id: 'u', name: 'n' },
    peer: { role: 'tutor', user_id: 'v', name: 'm', avatar_url: null },
  };
}

describe('RoomController.joinGrantFresh', () => {
  const now = Date.UTC(2026, 0, 1, 12, 0, 0);
  const turn = (expiresInS: number): RTCIceServer => ({ urls: 'turn:127.0.0.1:3478', username: `${now / 1000 + expiresInS}:u`, credential: 'c' });

  it('is false without a grant', () => {
    expect(new RoomController('s', 't').joinGrantFresh(now)).toBe(false);
  });

  it('keeps a grant without TURN, or with TURN credentials valid for a while', () => {
    const c = new RoomController('s', 't');
    c.state.set({ join: grant([{ urls: 'stun:127.0.0.1:3478' }]) });
    expect(c.joinGrantFresh(now)).toBe(true);
    c.state.set({ join: grant([turn(3600)]) });
    expect(c.joinGrantFresh(now)).toBe(true);
  });

  it('asks again when the TURN credentials expire within two minutes', () => {
    const c = new RoomController('s', 't');
    c.state.set({ join: grant([turn(60)]) });
    expect(c.joinGrantFresh(now)).toBe(false);
    c.state.set({ join: grant([turn(-10)]) });
    expect(c.joinGrantFresh(now)).toBe(false);
  });
});
