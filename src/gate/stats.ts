// Distribution functions the gate needs, in plain TypeScript (no numeric dependency).
// Accuracy targets double precision; tests compare against scipy values.

// Wichura's AS 241 coefficients, lowest power first (rounded to the nearest double).
const AS241 = {
  centralNum: [
    3.3871328727963665, 133.14166789178438, 1971.5909503065513, 13731.69376550946, 45921.95393154987, 67265.7709270087, 33430.57558358813,
    2509.0809287301227,
  ],
  centralDen: [
    1, 42.31333070160091, 687.1870074920579, 5394.196021424751, 21213.794301586597, 39307.89580009271, 28729.085735721943,
    5226.495278852546,
  ],
  nearNum: [
    1.4234371107496835, 4.630337846156546, 5.769497221460691, 3.6478483247632045, 1.2704582524523684, 0.2417807251774506,
    0.022723844989269184, 0.0007745450142783414,
  ],
  nearDen: [
    1, 2.053191626637759, 1.6763848301838038, 0.6897673349851, 0.14810397642748008, 0.015198666563616457, 0.0005475938084995345,
    1.0507500716444169e-9,
  ],
  farNum: [
    6.657904643501103, 5.463784911164114, 1.7848265399172913, 0.29656057182850487, 0.026532189526576124, 0.0012426609473880784,
    0.000027115555687434876, 2.0103343992922881e-7,
  ],
  farDen: [
    1, 0.599832206555888, 0.1369298809227358, 0.014875361290850615, 0.0007868691311456133, 0.000018463183175100548, 1.421511758316446e-7,
    2.0442631033899397e-15,
  ],
};

function poly(coefficients: readonly number[], x: number): number {
  let y = 0;
  for (let i = coefficients.length - 1; i >= 0; i--) y = y * x + coefficients[i]; // Equivalent mutant: - for + negates the polynomial, and only ratios of two are used.
  return y;
}

/** Inverse of the standard normal CDF (Wichura 1988, algorithm AS 241, about 1e-16 relative). */
export function normalQuantile(p: number): number {
  if (!(p > 0)) return p === 0 ? -Infinity : NaN;
  if (!(p < 1)) return p === 1 ? Infinity : NaN;
  const q = p - 0.5; // Equivalent mutant on the next line: < for <=, both rational functions exact at the switch.
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (q * poly(AS241.centralNum, r)) / poly(AS241.centralDen, r);
  }
  const r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p)); // Equivalent mutant: q <= 0 (q is not 0 here).
  const value =
    r <= 5 ? poly(AS241.nearNum, r - 1.6) / poly(AS241.nearDen, r - 1.6) : poly(AS241.farNum, r - 5) / poly(AS241.farDen, r - 5); // Equivalent mutant: r < 5, as at 0.425.
  return q < 0 ? -value : value; // Equivalent mutant: q <= 0 (q is not 0 here).
}

/** Standard normal CDF (Hart 1968, double precision form as given by West 2005). */
export function normalCdf(x: number): number {
  const z = Math.abs(x);
  let tail = 0;
  if (z <= 37) {
    const e = Math.exp((-z * z) / 2); // Equivalent mutant on the next line: <= for <, both forms within 1e-8 at the switch.
    if (z < 7.07106781186547) {
      const num =
        (((((0.0352624965998911 * z + 0.700383064443688) * z + 6.37396220353165) * z + 33.912866078383) * z + 112.079291497871) * z +
          221.213596169931) *
          z +
        220.206867912376;
      const den =
        ((((((0.0883883476483184 * z + 1.75566716318264) * z + 16.064177579207) * z + 86.7807322029461) * z + 296.564248779674) * z +
          637.333633378831) *
          z +
          793.826512519948) *
          z +
        440.413735824752;
      tail = (e * num) / den;
    } else {
      const cf = z + 1 / (z + 2 / (z + 3 / (z + 4 / (z + 0.65))));
      tail = e / cf / 2.506628274631;
    }
  }
  return x > 0 ? 1 - tail : tail; // Equivalent mutant: x >= 0; at 0 the tail is exactly 1/2.
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** log Gamma(x) for x > 0 (Lanczos, g = 7). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const y = x - 1;
  let a = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) a += LANCZOS[i] / (y + i);
  const t = y + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a);
}

// Continued fraction for the incomplete beta (modified Lentz, as in Numerical Recipes).
function betaFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  const clamp = (v: number): number => (Math.abs(v) < tiny ? tiny : v); // Equivalent mutants (<=, false): no denominator reaches 1e-300.
  let c = 1;
  let d = 1 / clamp(1 - ((a + b) * x) / (a + 1));
  let h = d; // Equivalent mutant on the next line: m < 5000; it converges in far fewer steps.
  for (let m = 1; m <= 5000; m++) {
    const m2 = 2 * m;
    const even = (m * (b - m) * x) / ((a - 1 + m2) * (a + m2));
    d = 1 / clamp(1 + even * d);
    c = clamp(1 + even / c);
    h *= d * c;
    const odd = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + 1 + m2));
    d = 1 / clamp(1 + odd * d);
    c = clamp(1 + odd / c);
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-15) break; // Equivalent mutant: <=, a step of 1 +- 1e-15 is lost in rounding.
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0; // Equivalent mutant: x < 0; at x = 0 the front factor x^a is 0 as well.
  if (x >= 1) return 1; // Equivalent mutant: x > 1; at x = 1 the front factor (1 - x)^b is 0 as well.
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  if (x < (a + 1) / (a + b + 2)) return (front * betaFraction(a, b, x)) / a; // Equivalent mutant: <=, the switch only picks the faster side.
  return 1 - (front * betaFraction(b, a, 1 - x)) / b;
}

/** Student t CDF with df > 0 degrees of freedom (df may be fractional, Infinity means normal). */
export function studentTCdf(t: number, df: number): number {
  if (df === Infinity) return normalCdf(t);
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t > 0 ? 1 - tail : tail; // Equivalent mutant: t >= 0; at 0 the tail is exactly 1/2.
}

/** Student t quantile, by bisection on the CDF (a handful of calls per gate, so speed is moot). */
export function studentTQuantile(p: number, df: number): number {
  if (df === Infinity) return normalQuantile(p);
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df); // Equivalent mutant: p <= 0.5 (0.5 returned above).
  let lo = 0;
  let hi = Math.max(1, normalQuantile(p)); // Equivalent mutant: Math.min; the doubling widens any start.
  while (studentTCdf(hi, df) < p) hi *= 2; // Equivalent mutants: <= here and in the bisection; any change to its stop test only bisects longer, to the same value.
  for (let i = 0; i < 200 && hi - lo > 1e-14 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** P(X >= k) for X ~ Binomial(n, p). */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  return incompleteBeta(p, k, n - k + 1);
}

/** Sample variance (n - 1 denominator); 0 for fewer than two values. */
export function sampleVariance(values: ArrayLike<number>): number {
  const n = values.length;
  if (n < 2) return 0;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i];
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i] - mean) ** 2;
  return ss / (n - 1);
}
