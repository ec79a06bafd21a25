/**
 * Pointer values. herd7's values are integers or the symbolic address of a location
 * (`0:r1=x` in a final condition, `y=x;` or `int *y = &x;` in the initial state); here a
 * location's address is a number far from any the tests compute with, so registers,
 * memory and the value domains stay plain numbers and a pointer is printed back as its
 * location's name.
 */

/** The first address: well above the small integers litmus tests use, well below 2^31. */
const BASE = 0x7f00_0000;

export class Addresses {
  private readonly codes = new Map<string, number>();
  private readonly names = new Map<number, string>();

  constructor(locations: Iterable<string>) {
    for (const l of locations) {
      const code = BASE + this.codes.size;
      this.codes.set(l, code);
      this.names.set(code, l);
    }
  }

  /** The address of location `name`. */
  of(name: string): number {
    const c = this.codes.get(name);
    if (c === undefined) throw new Error(`no location '${name}'`);
    return c;
  }

  /** The location a value points to, or undefined when the value is not an address. */
  location(v: number): string | undefined {
    return this.names.get(v);
  }

  /** A value as herd7 prints it: a number, or the name of the location it points to. */
  show(v: number): string {
    return this.names.get(v) ?? String(v);
  }
}
