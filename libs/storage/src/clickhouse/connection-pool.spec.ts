import type { Connection } from 'chdb/connection';
import { describe, expect, it } from 'vitest';
import { ConnectionPool } from './connection-pool.js';

/** A connection whose queries finish when the test says so, recording which statements it ran. */
function heldConnection(name: string, ran: string[]) {
  const pending: (() => void)[] = [];
  const connection = {
    query: (params: { query: string }) =>
      new Promise((resolve) => {
        ran.push(`${name}: ${params.query}`);
        pending.push(() => resolve({ query_id: params.query }));
      }),
    close: async () => {
      ran.push(`${name}: closed`);
    },
  } as unknown as Connection<unknown>;
  return { connection, finishNext: () => pending.shift()?.() };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('a pool of connections to one engine', () => {
  it('runs statements side by side, one per connection', async () => {
    const ran: string[] = [];
    const a = heldConnection('a', ran);
    const b = heldConnection('b', ran);
    const pool = new ConnectionPool([a.connection, b.connection]);

    const first = pool.query({ query: 'insert' } as never);
    const second = pool.query({ query: 'dedup' } as never);
    await settle();
    expect(ran).toEqual(['a: insert', 'b: dedup']);

    a.finishNext();
    b.finishNext();
    await expect(Promise.all([first, second])).resolves.toEqual([{ query_id: 'insert' }, { query_id: 'dedup' }]);
  });

  it('holds a statement back while every connection is busy, and gives it the first connection to free up', async () => {
    const ran: string[] = [];
    const a = heldConnection('a', ran);
    const b = heldConnection('b', ran);
    const pool = new ConnectionPool([a.connection, b.connection]);
    const insert = pool.query({ query: 'insert' } as never);
    const dedup = pool.query({ query: 'dedup' } as never);

    const alert = pool.query({ query: 'alert' } as never);
    await settle();
    expect(ran).toEqual(['a: insert', 'b: dedup']);
    expect(pool.queued).toBe(1);

    b.finishNext();
    await dedup;
    await settle();
    expect(ran[2]).toBe('b: alert');
    expect(pool.queued).toBe(0);

    a.finishNext();
    b.finishNext();
    await expect(Promise.all([insert, alert])).resolves.toEqual([{ query_id: 'insert' }, { query_id: 'alert' }]);
  });

  it('serves the statements held back in the order they came', async () => {
    const ran: string[] = [];
    const a = heldConnection('a', ran);
    const pool = new ConnectionPool([a.connection]);
    const all = ['first', 'second', 'third', 'fourth'].map((query) => pool.query({ query } as never));
    for (let i = 0; i < 4; i++) {
      await settle();
      a.finishNext();
    }
    await Promise.all(all);
    expect(ran).toEqual(['a: first', 'a: second', 'a: third', 'a: fourth']);
  });

  it('frees a connection whose statement failed', async () => {
    const ran: string[] = [];
    const failing = {
      query: async () => {
        ran.push('failing');
        throw new Error('engine said no');
      },
      close: async () => {},
    } as unknown as Connection<unknown>;
    const other = heldConnection('other', ran);
    const pool = new ConnectionPool([failing, other.connection]);
    await expect(pool.query({ query: 'x' } as never)).rejects.toThrow('engine said no');
    await expect(pool.query({ query: 'y' } as never)).rejects.toThrow('engine said no');
    expect(ran).toEqual(['failing', 'failing']);
    expect(pool.queued).toBe(0);
  });

  it('closes every connection', async () => {
    const ran: string[] = [];
    const pool = new ConnectionPool([heldConnection('a', ran).connection, heldConnection('b', ran).connection]);
    await pool.close();
    expect(ran).toEqual(['a: closed', 'b: closed']);
  });

  it('refuses to be empty', () => {
    expect(() => new ConnectionPool([])).toThrow(RangeError);
  });
});
