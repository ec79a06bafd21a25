/**
 * What a recording threads task writes down (sync-record.ts) and how the sim's replay
 * reads it (sync-replay.ts), on one thread: each access is numbered by the write it read
 * or made, a lock retry that fails again leaves its writes and not its loads, and a
 * step may run only once its words are where the cores had them.
 */
import { describe, expect, it } from 'vitest';
import { StepTickets } from '../src/exec/drive.js';
import { EVENT_LOAD, EVENT_RETRY_STORE, EVENT_STORE, KIND_BITS, RecordingMemory, syncVersions } from '../src/exec/sync-record.js';
import { SyncReplay, sequential } from '../src/exec/sync-replay.js';

const ev = (step: number, slot: number, version: number, kind: number) => [step, slot, (version << KIND_BITS) | kind];

describe('the word record of a threads task', () => {
  it('numbers each load by the write it read, drops a failed retry but keeps its writes', () => {
    const words = new Int32Array(new SharedArrayBuffer(64));
    const t = new StepTickets();
    const m = new RecordingMemory(syncVersions(null), t);
    t.push(0);
    m.load(words, 3); // read the initial value: version 0
    m.store(words, 3, 7); // write 1
    t.push(1);
    expect(m.compareExchange(words, 3, 0, 1)).toBe(7); // a failed try reads write 1
    t.push(2); // a retry: fails again, sets a waiting bit (a write), and is dropped
    m.compareExchange(words, 3, 0, 1);
    m.or(words, 3, 1 << 29);
    t.drop();
    t.push(3);
    m.load(words, 5);
    expect(Array.from(m.take() ?? [])).toEqual([...ev(0, 3, 0, EVENT_LOAD), ...ev(0, 3, 1, EVENT_STORE), ...ev(1, 3, 1, EVENT_LOAD), ...ev(1, 3, 2, EVENT_RETRY_STORE), ...ev(2, 5, 0, EVENT_LOAD)]);
  });

  it('a step overtaken between two accesses of one word keeps its writes, not its loads before the other write', () => {
    // a guard taken with compare-exchange: failed (read write 4), another task released it (write 5), taken (6), released (7)
    const e = Int32Array.from([...ev(0, 9, 4, EVENT_LOAD), ...ev(0, 9, 6, EVENT_STORE), ...ev(0, 9, 7, EVENT_STORE), ...ev(0, 2, 0, EVENT_LOAD)]);
    expect(Array.from(sequential(e))).toEqual([...ev(0, 9, 6, EVENT_STORE), ...ev(0, 9, 7, EVENT_STORE), ...ev(0, 2, 0, EVENT_LOAD)]);
  });

  it('the replay runs a write after the loads of the version before it, and a load between its write and the next', () => {
    // task 0: step 0 writes word 1 (version 1); task 1: step 0 reads version 0, step 1 reads version 1
    const r = new SyncReplay([Int32Array.from(ev(0, 1, 1, EVENT_STORE)), Int32Array.from([...ev(0, 1, 0, EVENT_LOAD), ...ev(1, 1, 1, EVENT_LOAD)])]);
    r.reset();
    expect(r.ready(0, 0)).toBe(false); // task 1 has not yet read version 0
    expect(r.ready(1, 0)).toBe(true);
    r.ran(1, 0);
    expect(r.ready(1, 1)).toBe(false); // version 1 is not written yet
    expect(r.ready(0, 0)).toBe(true);
    r.ran(0, 0);
    expect(r.ready(1, 1)).toBe(true);
  });

  it("a retry's write is taken as made once its word reaches the version before it", () => {
    // task 0: step 0 writes version 1; a retry of task 1 wrote version 2; task 0 step 1 writes version 3
    const r = new SyncReplay([Int32Array.from([...ev(0, 4, 1, EVENT_STORE), ...ev(1, 4, 3, EVENT_STORE)]), Int32Array.from(ev(0, 4, 2, EVENT_RETRY_STORE))]);
    r.reset();
    expect(r.ready(0, 0)).toBe(true);
    r.ran(0, 0);
    expect(r.ready(0, 1)).toBe(true);
  });
});
