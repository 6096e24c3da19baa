/**
 * Exact rational numbers on BigInt, just what the arithmetic checker needs: the four operations,
 * whole powers, comparison and printing. Own code rather than a library (fraction.js, big.js)
 * because the checker ships in the page and needs about a hundred lines of it; it does no
 * irrational or floating-point arithmetic.
 */

const gcd = (a: bigint, b: bigint): bigint => {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b) [a, b] = [b, a % b];
  return a;
};

/** Largest numerator or denominator the checker works with (about 600 decimal digits). */
const MAX_BITS = 2000;

export class Rational {
  /** Numerator and denominator in lowest terms; `d` is always positive. */
  readonly n: bigint;
  readonly d: bigint;

  constructor(n: bigint, d = 1n) {
    if (d === 0n) throw new RangeError('Rational: zero denominator.');
    if (d < 0n) [n, d] = [-n, -d];
    const g = gcd(n, d) || 1n;
    this.n = n / g;
    this.d = d / g;
  }

  static readonly ZERO = new Rational(0n);

  /**
   * A decimal numeral without sign or separators.
   *
   * @example
   * Rational.parse('12.50').toString(); // '12.5'
   */
  static parse(digits: string): Rational {
    const [whole, frac = ''] = digits.split('.');
    return new Rational(BigInt((whole || '0') + frac), 10n ** BigInt(frac.length));
  }

  add(o: Rational): Rational {
    return new Rational(this.n * o.d + o.n * this.d, this.d * o.d);
  }
  sub(o: Rational): Rational {
    return new Rational(this.n * o.d - o.n * this.d, this.d * o.d);
  }
  mul(o: Rational): Rational {
    return new Rational(this.n * o.n, this.d * o.d);
  }
  /** Null when dividing by zero. */
  div(o: Rational): Rational | null {
    return o.n === 0n ? null : new Rational(this.n * o.d, this.d * o.n);
  }
  neg(): Rational {
    return new Rational(-this.n, this.d);
  }
  /** `this` to a whole power; null when the result would be too large or undefined (0^-1). */
  pow(e: Rational): Rational | null {
    if (e.d !== 1n) return null;
    const k = e.n < 0n ? -e.n : e.n;
    const bits = Math.max(this.n.toString(2).length, this.d.toString(2).length);
    if (Number(k) * bits > MAX_BITS) return null;
    const p = new Rational(this.n ** k, this.d ** k);
    return e.n < 0n ? Rational.ONE.div(p) : p;
  }
  /** n! for whole 0 <= n <= 200, else null. */
  factorial(): Rational | null {
    if (this.d !== 1n || this.n < 0n || this.n > 200n) return null;
    let r = 1n;
    for (let i = 2n; i <= this.n; i++) r *= i;
    return new Rational(r);
  }
  /** True when numerator or denominator is beyond what the checker handles. */
  tooBig(): boolean {
    return this.n.toString(2).length > MAX_BITS || this.d.toString(2).length > MAX_BITS;
  }

  eq(o: Rational): boolean {
    return this.n === o.n && this.d === o.d;
  }
  /** |this - o| < 10^-decimals. */
  within(o: Rational, decimals: number): boolean {
    const diff = this.sub(o);
    const abs = diff.n < 0n ? -diff.n : diff.n;
    return abs * 10n ** BigInt(decimals) < diff.d;
  }
  /** True when the value has at most `decimals` digits after the point. */
  fitsDecimals(decimals: number): boolean {
    return (this.n * 10n ** BigInt(decimals)) % this.d === 0n;
  }

  /**
   * Whole numbers and terminating decimals as decimals (up to 12 places), the rest as `n/d`.
   *
   * @example
   * new Rational(10n, 3n).toString(); // '10/3'
   * new Rational(3n, 4n).toString(); // '0.75'
   */
  toString(): string {
    if (this.d === 1n) return this.n.toString();
    for (let k = 1; k <= 12; k++) {
      if (!this.fitsDecimals(k)) continue;
      const scaled = (this.n * 10n ** BigInt(k)) / this.d;
      const neg = scaled < 0n;
      const digits = (neg ? -scaled : scaled).toString().padStart(k + 1, '0');
      return `${neg ? '-' : ''}${digits.slice(0, -k)}.${digits.slice(-k)}`;
    }
    return `${this.n}/${this.d}`;
  }

  static readonly ONE = new Rational(1n);
}
