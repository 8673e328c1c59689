/**
 * A small seeded pseudo-random generator for the tenant generator: sfc32 (Chris Doty-Humphrey's Small Fast Counter)
 * seeded through splitmix32. Deterministic across platforms and Node versions: only 32-bit integer arithmetic
 * (`Math.imul`, shifts), never `Math.random` or the clock.
 *
 * `fork(label)` derives an independent stream from the root seed and a label, without consuming the parent's
 * state, so each part of the tenant draws from its own stream and adding draws in one part does not reshuffle
 * the others.
 */

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const HEX = "0123456789abcdef";

/** 32-bit FNV-1a of a string's UTF-16 code units, finalized with a murmur3 mix. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** One splitmix32 step: returns the next state and its output. */
function splitmix32(state: number): [number, number] {
  const next = (state + 0x9e3779b9) | 0;
  let t = next ^ (next >>> 16);
  t = Math.imul(t, 0x21f0aaad);
  t ^= t >>> 15;
  t = Math.imul(t, 0x735a2d97);
  t ^= t >>> 15;
  return [next, t >>> 0];
}

/** Folds any safe integer (or a string) into a 32-bit seed word. */
function seedWord(seed: number | string): number {
  if (typeof seed === "string") return hashString(seed);
  if (!Number.isFinite(seed)) throw new Error(`invalid seed ${seed}`);
  const n = Math.trunc(seed);
  const lo = n >>> 0;
  const hi = Math.floor(n / 0x1_0000_0000) >>> 0;
  return (lo ^ Math.imul(hi, 0x9e3779b1)) >>> 0;
}

/** A seeded generator (sfc32). */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** The 32-bit word this stream was seeded from; forks derive from it. */
  readonly seedWord: number;

  constructor(seed: number | string) {
    this.seedWord = seedWord(seed);
    let s = this.seedWord;
    const out: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [next, value] = splitmix32(s);
      s = next;
      out.push(value);
    }
    this.a = out[0]!;
    this.b = out[1]!;
    this.c = out[2]!;
    this.d = out[3]!;
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** An independent stream for `label`, derived from this stream's seed (not from its current position). */
  fork(label: string): Prng {
    return new Prng(hashString(`${this.seedWord.toString(16)}/${label}`));
  }

  /** The next 32-bit unsigned integer. */
  u32(): number {
    const t0 = (this.a + this.b) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.d = (this.d + 1) | 0;
    const t = (t0 + this.d) | 0;
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A float in [0, 1) with 32 bits of randomness. */
  next(): number {
    return this.u32() / 0x1_0000_0000;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    if (!(n > 0)) throw new Error(`below(${n}): n must be positive`);
    return Math.floor(this.next() * n);
  }

  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    if (max < min) throw new Error(`int(${min}, ${max}): empty range`);
    return min + this.below(max - min + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** A uniformly chosen element; throws on an empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("pick from an empty array");
    return items[this.below(items.length)]!;
  }

  /** An element chosen with probability proportional to its weight (weights ≥ 0, not all 0). */
  weighted<T>(entries: ReadonlyArray<readonly [T, number]>): T {
    let total = 0;
    for (const [, w] of entries) total += w;
    if (!(total > 0)) throw new Error("weighted pick needs a positive total weight");
    let r = this.next() * total;
    for (const [item, w] of entries) {
      if (r < w) return item;
      r -= w;
    }
    // Floating-point leftovers: the last element with a positive weight.
    for (let i = entries.length - 1; i >= 0; i--) if (entries[i]![1] > 0) return entries[i]![0];
    throw new Error("unreachable");
  }

  /** Shuffles in place (Fisher–Yates) and returns the same array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      const tmp = items[i]!;
      items[i] = items[j]!;
      items[j] = tmp;
    }
    return items;
  }

  /** k distinct elements (k clamped to the length), in random order; the input is not modified. */
  sample<T>(items: readonly T[], k: number): T[] {
    const n = items.length;
    const count = Math.max(0, Math.min(k, n));
    if (count * 4 < n) {
      const chosen = new Set<number>();
      const out: T[] = [];
      while (out.length < count) {
        const i = this.below(n);
        if (!chosen.has(i)) {
          chosen.add(i);
          out.push(items[i]!);
        }
      }
      return out;
    }
    return this.shuffle(items.slice()).slice(0, count);
  }

  /** n lowercase hex characters. */
  hex(n: number): string {
    let s = "";
    while (s.length < n) {
      let w = this.u32();
      for (let i = 0; i < 8 && s.length < n; i++) {
        s += HEX[w & 15];
        w >>>= 4;
      }
    }
    return s;
  }

  /** A random-looking RFC 4122 version-4 UUID string. */
  uuid(): string {
    const h = this.hex(32);
    const variant = HEX[8 + (this.u32() & 3)];
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  /** A token of `n` characters from `alphabet` (base62 by default). */
  token(n: number, alphabet: string = BASE62): string {
    let s = "";
    for (let i = 0; i < n; i++) s += alphabet[this.below(alphabet.length)];
    return s;
  }
}

/**
 * A reusable weighted picker over indexes 0..weights.length-1 (cumulative table + binary search), for drawing many
 * times from the same large distribution.
 */
export class WeightedIndex {
  private readonly cumulative: Float64Array;
  private readonly total: number;

  constructor(weights: readonly number[]) {
    this.cumulative = new Float64Array(weights.length);
    let total = 0;
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i]!;
      if (w < 0 || !Number.isFinite(w)) throw new Error(`invalid weight ${w}`);
      total += w;
      this.cumulative[i] = total;
    }
    if (!(total > 0)) throw new Error("WeightedIndex needs a positive total weight");
    this.total = total;
  }

  get size(): number {
    return this.cumulative.length;
  }

  /** An index drawn with probability proportional to its weight. */
  draw(rng: Prng): number {
    const r = rng.next() * this.total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cumulative[mid]! > r) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
