// The reference our matrix-product kernel must equal bit for bit.

/** A[m x k] B[k x n] in float32, each product and sum rounded, summed over k in order. */
export function float32Product(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float32Array {
  const c = new Float32Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum = Math.fround(sum + Math.fround(a[i * k + p] * b[p * n + j]));
      c[i * n + j] = sum;
    }
  return c;
}
