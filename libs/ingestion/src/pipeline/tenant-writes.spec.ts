import { describe, expect, it } from 'vitest';
import { TenantWrites } from './tenant-writes.js';

const keys = (...k: string[]) => new Set(k);

describe("a tenant's writes, as dedupe checks under way see them", () => {
  it('gives a check the keys of every write that finished after it started, and none from before', () => {
    const writes = new TenantWrites();
    const early = writes.startCheck();
    writes.writeFinished(keys('a'));
    const later = writes.startCheck();
    writes.writeFinished(keys('b'));
    expect(writes.storedSince(early)).toEqual([keys('a'), keys('b')]);
    expect(writes.storedSince(later)).toEqual([keys('b')]);
  });

  it('says nothing is known when one of those writes failed: the log must be asked again', () => {
    const writes = new TenantWrites();
    const check = writes.startCheck();
    writes.writeFinished(keys('a'));
    writes.writeFinished(null);
    expect(writes.storedSince(check)).toBeNull();
    const after = writes.startCheck();
    writes.writeFinished(keys('c'));
    expect(writes.storedSince(after)).toEqual([keys('c')]);
  });

  it('keeps a write only while a check that started before it finished still waits for its own write', () => {
    const writes = new TenantWrites();
    writes.writeFinished(keys('unseen by anyone'));
    expect(writes.kept).toBe(0);
    const first = writes.startCheck();
    const second = writes.startCheck();
    writes.writeFinished(keys('a'));
    writes.checkUsed(first);
    expect(writes.kept).toBe(1);
    writes.checkUsed(second);
    expect(writes.kept).toBe(0);
    expect(writes.idle).toBe(true);
  });

  it('forgets older writes once only later checks wait', () => {
    const writes = new TenantWrites();
    const first = writes.startCheck();
    writes.writeFinished(keys('a'));
    const second = writes.startCheck();
    writes.writeFinished(keys('b'));
    writes.checkUsed(first);
    expect(writes.kept).toBe(1);
    expect(writes.storedSince(second)).toEqual([keys('b')]);
    expect(writes.idle).toBe(false);
  });
});
