import { describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit.js';

/** A writer whose writes finish only when the test says so, recording what each write received. */
function controlledWriter() {
  const writes: { key: string; group: number[][]; finish: (error?: Error) => void }[] = [];
  const write = (key: string, group: readonly number[][]) =>
    new Promise<string[]>((resolve, reject) => {
      writes.push({
        key,
        group: group.map((items) => [...items]),
        finish: (error) => (error ? reject(error) : resolve(group.map((items) => `${key}:${items.join('+')}`))),
      });
    });
  return { writes, write };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('group commit', () => {
  it('writes a lone submission at once, on its own', async () => {
    const { writes, write } = controlledWriter();
    const commit = new GroupCommit(write, 100);
    const done = commit.submit('t1', [1, 2]);
    await settle();
    expect(writes.map((w) => w.group)).toEqual([[[1, 2]]]);
    writes[0].finish();
    await expect(done).resolves.toBe('t1:1+2');
  });

  it('writes everything submitted during a write together, in the next write, and answers each submitter with its own result', async () => {
    const { writes, write } = controlledWriter();
    const commit = new GroupCommit(write, 100);
    const first = commit.submit('t1', [1]);
    await settle();
    const second = commit.submit('t1', [2, 3]);
    const third = commit.submit('t1', [4]);
    await settle();
    expect(writes).toHaveLength(1);
    writes[0].finish();
    await settle();
    expect(writes.map((w) => w.group)).toEqual([[[1]], [[2, 3], [4]]]);
    writes[1].finish();
    await expect(Promise.all([first, second, third])).resolves.toEqual(['t1:1', 't1:2+3', 't1:4']);
  });

  it('never overlaps writes of one key, while another key writes alongside', async () => {
    const { writes, write } = controlledWriter();
    const commit = new GroupCommit(write, 100);
    void commit.submit('t1', [1]);
    void commit.submit('t2', [9]);
    await settle();
    void commit.submit('t1', [2]);
    await settle();
    expect(writes.map((w) => `${w.key}:${JSON.stringify(w.group)}`)).toEqual(['t1:[[1]]', 't2:[[9]]']);
  });

  it('stops a group at maxItems without splitting a submission, and still writes an oversized submission alone', async () => {
    const { writes, write } = controlledWriter();
    const commit = new GroupCommit(write, 4);
    void commit.submit('t1', [0]);
    await settle();
    void commit.submit('t1', [1, 2]);
    void commit.submit('t1', [3, 4, 5]);
    void commit.submit('t1', [6, 7, 8, 9, 10]);
    await settle();
    for (let i = 0; i < 4; i++) {
      writes[i]?.finish();
      await settle();
    }
    expect(writes.map((w) => w.group)).toEqual([[[0]], [[1, 2]], [[3, 4, 5]], [[6, 7, 8, 9, 10]]]);
  });

  it('rejects exactly the submissions of a failed write, and goes on with the next group', async () => {
    const { writes, write } = controlledWriter();
    const commit = new GroupCommit(write, 100);
    const first = commit.submit('t1', [1]);
    await settle();
    const second = commit.submit('t1', [2]);
    await settle();
    writes[0].finish(new Error('storage down'));
    await expect(first).rejects.toThrow('storage down');
    await settle();
    writes[1].finish();
    await expect(second).resolves.toBe('t1:2');
  });

  describe('paced (the embedded engine pays per insert, whatever its size)', () => {
    /** A clock the test moves; a sleep that records what was asked and waits for the test to wake it. */
    function manualTime() {
      let now = 0;
      const sleeps: { ms: number; wake: () => void }[] = [];
      return {
        now: () => now,
        advance: (ms: number) => void (now += ms),
        sleeps,
        sleep: (ms: number) => new Promise<void>((resolve) => sleeps.push({ ms, wake: resolve })),
      };
    }

    /** A group commit paced at 200 ms, on the test's clock, with writes the test finishes. */
    function pacedCommit(early?: { burst: number; everyMs: number }) {
      const { writes, write } = controlledWriter();
      const time = manualTime();
      return { writes, time, commit: new GroupCommit(write, 100, { minIntervalMs: 200, early, now: time.now, sleep: time.sleep }) };
    }

    it('starts the next write no sooner than the interval after the previous one started, with all that arrived meanwhile', async () => {
      const { writes, time, commit } = pacedCommit();
      void commit.submit('t1', [1]);
      await settle();
      time.advance(50);
      void commit.submit('t1', [2]);
      writes[0].finish();
      await settle();
      // The first write took 50 ms: the second waits the other 150.
      expect(time.sleeps.map((s) => s.ms)).toEqual([150]);
      void commit.submit('t1', [3]);
      time.advance(150);
      time.sleeps[0].wake();
      await settle();
      expect(writes.map((w) => w.group)).toEqual([[[1]], [[2], [3]]]);
    });

    it('writes at once when the previous write started longer ago than the interval', async () => {
      const { writes, time, commit } = pacedCommit();
      void commit.submit('t1', [1]);
      await settle();
      writes[0].finish();
      await settle();
      time.advance(250);
      void commit.submit('t1', [2]);
      await settle();
      expect(time.sleeps).toEqual([]);
      expect(writes.map((w) => w.group)).toEqual([[[1]], [[2]]]);
    });

    it('holds a submission that comes soon after a write even when nothing else was waiting', async () => {
      const { writes, time, commit } = pacedCommit();
      void commit.submit('t1', [1]);
      await settle();
      time.advance(20);
      writes[0].finish();
      await settle();
      time.advance(30);
      void commit.submit('t1', [2]);
      await settle();
      expect(time.sleeps.map((s) => s.ms)).toEqual([150]);
      expect(writes).toHaveLength(1);
    });

    it('starts a group that waits out the interval at once when expedited, and leaves a write under way alone', async () => {
      const { writes, time, commit } = pacedCommit();
      void commit.submit('t1', [1]);
      await settle();
      commit.expedite('t1');
      void commit.submit('t1', [2]);
      await settle();
      expect(writes.map((w) => w.group)).toEqual([[[1]]]);
      time.advance(20);
      writes[0].finish();
      await settle();
      expect(time.sleeps.map((s) => s.ms)).toEqual([180]);
      void commit.submit('t1', [3]);
      commit.expedite('t1');
      await settle();
      expect(writes.map((w) => w.group)).toEqual([[[1]], [[2], [3]]]);
      // The interval counts from the expedited write: the next group waits its full 200 ms.
      writes[1].finish();
      void commit.submit('t1', [4]);
      await settle();
      expect(time.sleeps.map((s) => s.ms)).toEqual([180, 200]);
      time.sleeps[0].wake();
      await settle();
      expect(writes).toHaveLength(2);
    });

    it('expedites only the key it is asked for', async () => {
      const { writes, time, commit } = pacedCommit();
      void commit.submit('t1', [1]);
      void commit.submit('t2', [9]);
      await settle();
      writes.forEach((w) => w.finish());
      void commit.submit('t1', [2]);
      void commit.submit('t2', [8]);
      await settle();
      expect(time.sleeps.map((s) => s.ms)).toEqual([200, 200]);
      commit.expedite('t2');
      await settle();
      expect(writes.map((w) => `${w.key}:${JSON.stringify(w.group)}`)).toEqual(['t1:[[1]]', 't2:[[9]]', 't2:[[8]]']);
    });

    describe('an urgent submission (an event a rule may alert on)', () => {
      it('starts the group waiting out the interval at once, with everything that waited in it', async () => {
        const { writes, time, commit } = pacedCommit();
        void commit.submit('t1', [1]);
        await settle();
        writes[0].finish();
        void commit.submit('t1', [2]);
        await settle();
        expect(time.sleeps.map((s) => s.ms)).toEqual([200]);
        void commit.submit('t1', [3], { urgent: () => true });
        await settle();
        expect(writes.map((w) => w.group)).toEqual([[[1]], [[2], [3]]]);
      });

      it('waits for the write under way, then is written without the pacing', async () => {
        const { writes, time, commit } = pacedCommit();
        void commit.submit('t1', [1]);
        await settle();
        void commit.submit('t1', [2], { urgent: () => true });
        time.advance(20);
        await settle();
        expect(writes).toHaveLength(1);
        writes[0].finish();
        await settle();
        expect(time.sleeps).toEqual([]);
        expect(writes.map((w) => w.group)).toEqual([[[1]], [[2]]]);
      });

      it('is written at once when the key is idle within the interval', async () => {
        const { writes, time, commit } = pacedCommit();
        void commit.submit('t1', [1]);
        await settle();
        writes[0].finish();
        await settle();
        time.advance(30);
        void commit.submit('t1', [2], { urgent: () => true });
        await settle();
        expect(time.sleeps).toEqual([]);
        expect(writes.map((w) => w.group)).toEqual([[[1]], [[2]]]);
      });

      it('starts early from a budget: two at once, then one a second; past it, it is paced (a rule that fires all the time)', async () => {
        const { writes, time, commit } = pacedCommit({ burst: 2, everyMs: 1_000 });
        const urgentRightAfterAWrite = async (item: number) => {
          writes.at(-1)?.finish();
          await settle();
          time.advance(10);
          void commit.submit('t1', [item], { urgent: () => true });
          await settle();
        };
        void commit.submit('t1', [0]);
        await settle();
        await urgentRightAfterAWrite(1);
        await urgentRightAfterAWrite(2);
        expect(writes.map((w) => w.group)).toEqual([[[0]], [[1]], [[2]]]);
        expect(time.sleeps).toEqual([]);
        // The budget is spent: the third waits out the interval like any other.
        await urgentRightAfterAWrite(3);
        expect(writes).toHaveLength(3);
        expect(time.sleeps.map((s) => s.ms)).toEqual([190]);
        time.advance(190);
        time.sleeps[0].wake();
        await settle();
        expect(writes.map((w) => w.group)).toHaveLength(4);
        // A second on, one more early start.
        time.advance(1_000);
        await urgentRightAfterAWrite(4);
        expect(writes).toHaveLength(5);
        expect(time.sleeps).toHaveLength(1);
      });

      it('is asked whether it is only when the pacing would hold it, and once', async () => {
        const { writes, time, commit } = pacedCommit();
        const asked = { idle: 0, held: 0 };
        void commit.submit('t1', [1], { urgent: () => (asked.idle++, true) });
        await settle();
        writes[0].finish();
        void commit.submit('t1', [2], { urgent: () => (asked.held++, false) });
        await settle();
        void commit.submit('t1', [3]);
        await settle();
        expect(asked).toEqual({ idle: 0, held: 1 });
        expect(time.sleeps.map((s) => s.ms)).toEqual([200]);
      });

      it('hastens only its own key, and the submissions after it are paced again', async () => {
        const { writes, time, commit } = pacedCommit();
        void commit.submit('t1', [1]);
        void commit.submit('t2', [9]);
        await settle();
        writes.forEach((w) => w.finish());
        void commit.submit('t1', [2]);
        void commit.submit('t2', [8], { urgent: () => true });
        await settle();
        expect(writes.map((w) => `${w.key}:${JSON.stringify(w.group)}`)).toEqual(['t1:[[1]]', 't2:[[9]]', 't2:[[8]]']);
        writes[2].finish();
        void commit.submit('t2', [7]);
        await settle();
        expect(time.sleeps.map((s) => s.ms)).toEqual([200, 200]);
        expect(writes).toHaveLength(3);
      });
    });

    it('paces each key on its own', async () => {
      const { writes, time, commit } = pacedCommit();
      void commit.submit('t1', [1]);
      void commit.submit('t2', [9]);
      await settle();
      expect(writes.map((w) => w.key)).toEqual(['t1', 't2']);
      expect(time.sleeps).toEqual([]);
    });
  });
});
