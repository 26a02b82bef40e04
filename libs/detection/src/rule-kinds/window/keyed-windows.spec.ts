import { describe, expect, it } from 'vitest';
import { KeyedWindows, type WindowEntry } from './keyed-windows.js';

const entry = (id: string, atMs: number): WindowEntry<null> => ({ eventId: id, atMs, occurredAt: new Date(atMs).toISOString(), value: null });
const ids = (entries: WindowEntry<null>[]) => entries.map((e) => e.eventId);

describe('a sliding window of event time', () => {
  it('is half-open: an event exactly one window old has left it', () => {
    const w = new KeyedWindows<null>(60_000, 100);
    w.add('k', entry('a', 0));
    w.add('k', entry('b', 30_000));
    expect(ids(w.range('k', 59_999))).toEqual(['a', 'b']);
    expect(ids(w.range('k', 60_000))).toEqual(['b']);
  });

  it('counts a redelivered event once', () => {
    const w = new KeyedWindows<null>(60_000, 100);
    expect([w.add('k', entry('a', 0)), w.add('k', entry('a', 0))]).toEqual(['added', 'duplicate']);
    expect(w.entryCount).toBe(1);
  });

  it('slots a slightly late event into time order, and refuses one older than the window', () => {
    const w = new KeyedWindows<null>(60_000, 100);
    w.add('k', entry('a', 10_000));
    w.add('k', entry('c', 70_000));
    expect(w.add('k', entry('b', 40_000))).toBe('added');
    expect(w.add('k', entry('old', 5_000))).toBe('too_late');
    expect(ids(w.range('k', 70_000))).toEqual(['b', 'c']);
  });

  it('evicts entries older than the window as newer ones arrive', () => {
    const w = new KeyedWindows<null>(60_000, 100);
    for (let s = 0; s < 300; s++) w.add('k', entry(`e${s}`, s * 1000));
    expect(w.entryCount).toBe(60);
  });

  it('keeps at most the per-key cap, dropping the oldest', () => {
    const w = new KeyedWindows<null>(60_000, 5);
    for (let i = 0; i < 8; i++) w.add('k', entry(`e${i}`, i));
    expect(ids(w.range('k', 10))).toEqual(['e3', 'e4', 'e5', 'e6', 'e7']);
  });

  it('sweeps keys whose events have all aged out, keeping live ones', () => {
    const w = new KeyedWindows<null>(60_000, 100);
    w.add('quiet', entry('q', 0));
    w.add('busy', entry('b', 100_000));
    w.sweep(120_000);
    expect([w.keyCount, ids(w.range('busy', 120_000))]).toEqual([1, ['b']]);
  });
});
