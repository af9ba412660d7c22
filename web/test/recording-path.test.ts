// The standalone recording page (/session/<id>/recording/<recordingId>?exp=…&sig=…) reads the
// playback API with the signature it was opened with — including `seat`, which a participant's
// signed URL carries and its signature covers (dropping it would make the URL invalid).
import { describe, expect, it } from 'vitest';
import { standaloneRecordingPath } from '../src/ui/lazy-player.tsx';

describe('standaloneRecordingPath', () => {
  it('keeps exp, seat and sig; marketplace links have no seat', () => {
    const seat = 'student.1700000000123.5b7d2a4e-0d1c-4a57-9d61-3c2f00000001';
    expect(standaloneRecordingPath({ pathname: '/session/l1/recording/r1', search: `?exp=99&seat=${seat}&sig=ab` })).toBe(`/v1/sessions/l1/recordings/r1/playback?exp=99&seat=${seat}&sig=ab`);
    expect(standaloneRecordingPath({ pathname: '/session/l1/recording/r1', search: '?exp=99&sig=ab' })).toBe('/v1/sessions/l1/recordings/r1/playback?exp=99&sig=ab');
    expect(standaloneRecordingPath({ pathname: '/session/l1', search: '' })).toBeNull();
  });
});
