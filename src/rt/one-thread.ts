/**
 * The accesses of a plain-memory worker bundle (load/bundle.ts, BundleMemory 'plain'): sim
 * under sc memory with no strategy watching, where one thread runs every task and nothing
 * else touches the execution's arena while it runs. There a plain typed-array access does
 * exactly what the Atomics call of the same name does (the same value read, the same word
 * written, the same wrap-around of an add), and costs a fraction of it: V8 runs each
 * Atomics call as a builtin it does not inline, where a plain access is one machine load
 * or store. They agree exactly for the whole-number indexes and values the model uses; an
 * index that is not a whole number in range (out of range, `undefined`, 1.5: Atomics
 * would convert the last two) throws the RangeError Atomics throws for a bad index, so a
 * model's bad index fails loudly instead of reading `undefined`; store returns the value
 * as given.
 */

function checked(a: Int32Array, i: number): void {
  if (i >>> 0 !== i || i >= a.length) throw new RangeError('Invalid atomic access index');
}

export function loadOne(a: Int32Array, i: number): number {
  checked(a, i);
  return a[i];
}

export function storeOne(a: Int32Array, i: number, v: number): number {
  checked(a, i);
  a[i] = v;
  return v;
}

export function compareExchangeOne(a: Int32Array, i: number, expected: number, replacement: number): number {
  checked(a, i);
  const old = a[i];
  if (old === (expected | 0)) a[i] = replacement;
  return old;
}

export function exchangeOne(a: Int32Array, i: number, v: number): number {
  checked(a, i);
  const old = a[i];
  a[i] = v;
  return old;
}

export function addOne(a: Int32Array, i: number, v: number): number {
  checked(a, i);
  const old = a[i];
  a[i] = old + v;
  return old;
}

export function subOne(a: Int32Array, i: number, v: number): number {
  checked(a, i);
  const old = a[i];
  a[i] = old - v;
  return old;
}

export function andOne(a: Int32Array, i: number, v: number): number {
  checked(a, i);
  const old = a[i];
  a[i] = old & v;
  return old;
}

export function orOne(a: Int32Array, i: number, v: number): number {
  checked(a, i);
  const old = a[i];
  a[i] = old | v;
  return old;
}

export function xorOne(a: Int32Array, i: number, v: number): number {
  checked(a, i);
  const old = a[i];
  a[i] = old ^ v;
  return old;
}
