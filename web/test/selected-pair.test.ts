// quality/selected-pair.ts: the one rule the room's stats, the quality sample and the uplink guard
// share for "the candidate pair in use".
import { describe, expect, it } from 'vitest';
import { selectedPair } from '../src/quality/index.ts';

const pair = (id: string, over: Record<string, unknown> = {}) => ({ id, type: 'candidate-pair', state: 'succeeded', nominated: false, ...over });

describe('selectedPair', () => {
  it("Chromium: the transport's selectedCandidatePairId wins over another nominated pair", () => {
    const entries = [pair('old', { nominated: true }), pair('now'), { id: 'T', type: 'transport', selectedCandidatePairId: 'now' }];
    expect(selectedPair(entries)?.id).toBe('now');
  });

  it('Firefox (no transport entry): the succeeded, nominated pair; older Firefox marks it selected', () => {
    expect(selectedPair([pair('a', { state: 'in-progress', nominated: true }), pair('b', { nominated: true })])?.id).toBe('b');
    expect(selectedPair([pair('a'), pair('b', { selected: true })])?.id).toBe('b');
  });

  it('a transport naming a pair the report does not hold falls back; nothing in use gives undefined', () => {
    expect(selectedPair([{ id: 'T', type: 'transport', selectedCandidatePairId: 'gone' }, pair('b', { nominated: true })])?.id).toBe('b');
    expect(selectedPair([pair('a'), pair('b', { state: 'failed', nominated: true })])).toBeUndefined();
    expect(selectedPair([])).toBeUndefined();
  });
});
