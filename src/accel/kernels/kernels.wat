;; Kernels for training in host memory (see kernels.ts): a matrix product, column sums, the
;; gradients of a clip and of a depthwise filter, and Adam's update, in 128-bit SIMD. Plain multiplies and adds in a fixed order, never fused, so results do not depend on
;; the machine. Compiled by scripts/build-kernels.mjs into kernels-wasm.ts.
;; The memory is imported and shared, so that helper threads (kernel-threads.ts) can run parts of
;; one product over the same operands; the module itself has no atomics and no thread of its own.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; C[m x n] = A B (+ bias), C and B row-major and contiguous. Element (i, p) of A is at
  ;; a + i * aRow + p * aCol (byte strides), so A can be read transposed without a copy: one of
  ;; the strides must be 4 (A row-major, aCol = 4, or transposed, aRow = 4), else the call traps.
  ;; The inner loops read A at constant offsets from a pointer in each of these layouts.
  ;; Each C element sums its k products in order from p = 0, in float32, whichever block computes
  ;; it, so the blocking never changes a result. Blocks of 4 rows x 8 columns share their loads.
  ;; $bias is the byte offset of n floats that each row's sums start from (as XNNPACK's do), or -1
  ;; to start from zero.
  ;; The k products go in chunks whose rows of B fit in a core's cache (about 192 KiB), every block
  ;; of C taking one chunk before any takes the next: otherwise each block of 4 rows would read all
  ;; of a large B again from memory. Between chunks the sums wait in C, as float32, so the chunks
  ;; add exactly what one pass would.
  (func (export "gemm")
    (param $a i32) (param $aRow i32) (param $aCol i32) (param $b i32) (param $c i32)
    (param $m i32) (param $k i32) (param $n i32) (param $bias i32)
    (local $chunk i32) (local $p0 i32)
    (if (i32.and (i32.ne (local.get $aRow) (i32.const 4)) (i32.ne (local.get $aCol) (i32.const 4))) (then unreachable))
    (local.set $chunk (i32.div_u (i32.const 196608) (i32.shl (select (local.get $n) (i32.const 1) (local.get $n)) (i32.const 2))))
    (if (i32.lt_u (local.get $chunk) (i32.const 16)) (then (local.set $chunk (i32.const 16))))
    (loop $chunks
      (call $gemmPart
        (i32.add (local.get $a) (i32.mul (local.get $p0) (local.get $aCol))) (local.get $aRow) (local.get $aCol)
        (i32.add (local.get $b) (i32.mul (local.get $p0) (i32.shl (local.get $n) (i32.const 2)))) (local.get $c)
        (local.get $m) (select (local.get $chunk) (i32.sub (local.get $k) (local.get $p0)) (i32.lt_u (local.get $chunk) (i32.sub (local.get $k) (local.get $p0))))
        (local.get $n) (local.get $bias) (i32.ne (local.get $p0) (i32.const 0)))
      (local.set $p0 (i32.add (local.get $p0) (local.get $chunk)))
      (br_if $chunks (i32.lt_u (local.get $p0) (local.get $k)))))

  ;; One chunk of gemm's products: the sums start from the bias (or zero), or, with $accumulate,
  ;; from what C already holds.
  (func $gemmPart
    (param $a i32) (param $aRow i32) (param $aCol i32) (param $b i32) (param $c i32)
    (param $m i32) (param $k i32) (param $n i32) (param $bias i32) (param $accumulate i32)
    (local $i i32) (local $j i32) (local $p i32) (local $nBytes i32) (local $n8 i32)
    (local $aRow2 i32) (local $aRow3 i32) (local $pa i32) (local $pa0 i32) (local $pa1 i32) (local $pa2 i32) (local $pa3 i32) (local $pb i32) (local $pc i32)
    (local $b0 v128) (local $b1 v128) (local $s v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $nBytes (i32.shl (local.get $n) (i32.const 2)))
    (local.set $n8 (i32.and (local.get $n) (i32.const -8)))
    (local.set $aRow2 (i32.shl (local.get $aRow) (i32.const 1)))
    (local.set $aRow3 (i32.add (local.get $aRow2) (local.get $aRow)))
    (block $blocksDone
      (loop $blocks
        (br_if $blocksDone (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $m)))
        (local.set $j (i32.const 0))
        (block $colsDone
          (loop $cols
            (br_if $colsDone (i32.ge_u (local.get $j) (local.get $n8)))
            (local.set $pc (i32.add (local.get $c)
              (i32.add (i32.mul (local.get $i) (local.get $nBytes)) (i32.shl (local.get $j) (i32.const 2)))))
            (if (local.get $accumulate)
              (then
                (local.set $c00 (v128.load align=4 (local.get $pc)))
                (local.set $c01 (v128.load offset=16 align=4 (local.get $pc)))
                (local.set $c10 (v128.load align=4 (i32.add (local.get $pc) (local.get $nBytes))))
                (local.set $c11 (v128.load offset=16 align=4 (i32.add (local.get $pc) (local.get $nBytes))))
                (local.set $c20 (v128.load align=4 (i32.add (local.get $pc) (i32.shl (local.get $nBytes) (i32.const 1)))))
                (local.set $c21 (v128.load offset=16 align=4 (i32.add (local.get $pc) (i32.shl (local.get $nBytes) (i32.const 1)))))
                (local.set $c30 (v128.load align=4 (i32.add (local.get $pc) (i32.mul (local.get $nBytes) (i32.const 3)))))
                (local.set $c31 (v128.load offset=16 align=4 (i32.add (local.get $pc) (i32.mul (local.get $nBytes) (i32.const 3))))))
              (else
                (local.set $c00 (call $start (local.get $bias) (local.get $j)))
                (local.set $c01 (call $start (local.get $bias) (i32.add (local.get $j) (i32.const 4))))
                (local.set $c10 (local.get $c00)) (local.set $c11 (local.get $c01))
                (local.set $c20 (local.get $c00)) (local.set $c21 (local.get $c01))
                (local.set $c30 (local.get $c00)) (local.set $c31 (local.get $c01))))
            (local.set $pb (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
            (local.set $p (local.get $k))
            (if (i32.eq (local.get $aRow) (i32.const 4))
              (then
                (local.set $pa (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2))))
                ;; A transposed: the block's 4 values of A at each k step are adjacent.
                (block $transposedDone
                  (loop $transposed
                    (br_if $transposedDone (i32.lt_u (local.get $p) (i32.const 1)))
                    (local.set $b0 (v128.load align=4 (local.get $pb)))
                    (local.set $b1 (v128.load offset=16 align=4 (local.get $pb)))
                    (local.set $s (v128.load32_splat align=4 (local.get $pa)))
                    (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $s) (local.get $b0))))
                    (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $s) (local.get $b1))))
                    (local.set $s (v128.load32_splat offset=4 align=4 (local.get $pa)))
                    (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $s) (local.get $b0))))
                    (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $s) (local.get $b1))))
                    (local.set $s (v128.load32_splat offset=8 align=4 (local.get $pa)))
                    (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $s) (local.get $b0))))
                    (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $s) (local.get $b1))))
                    (local.set $s (v128.load32_splat offset=12 align=4 (local.get $pa)))
                    (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $s) (local.get $b0))))
                    (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $s) (local.get $b1))))
                    (local.set $pa (i32.add (local.get $pa) (local.get $aCol)))
                    (local.set $pb (i32.add (local.get $pb) (local.get $nBytes)))
                    (local.set $p (i32.sub (local.get $p) (i32.const 1)))
                    (br $transposed))))
              (else
                (local.set $pa0 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $aRow))))
                (local.set $pa1 (i32.add (local.get $pa0) (local.get $aRow)))
                (local.set $pa2 (i32.add (local.get $pa0) (local.get $aRow2)))
                (local.set $pa3 (i32.add (local.get $pa0) (local.get $aRow3)))
                ;; A row-major: 4 k steps a pass, each row's 4 values of A adjacent, then one at a time.
                (block $rowsDone
                  (loop $rows
                    (br_if $rowsDone (i32.lt_u (local.get $p) (i32.const 4)))
                    (local.set $b0 (v128.load align=4 (local.get $pb)))
                    (local.set $b1 (v128.load offset=16 align=4 (local.get $pb)))
                    (local.set $s (v128.load32_splat align=4 (local.get $pa0)))
                    (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $s) (local.get $b0))))
                    (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $s) (local.get $b1))))
                    (local.set $s (v128.load32_splat align=4 (local.get $pa1)))
                    (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $s) (local.get $b0))))
                    (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $s) (local.get $b1))))
                    (local.set $s (v128.load32_splat align=4 (local.get $pa2)))
                    (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $s) (local.get $b0))))
                    (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $s) (local.get $b1))))
                    (local.set $s (v128.load32_splat align=4 (local.get $pa3)))
                    (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $s) (local.get $b0))))
                    (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $s) (local.get $b1))))
                    (local.set $pb (i32.add (local.get $pb) (local.get $nBytes)))
                    (local.set $b0 (v128.load align=4 (local.get $pb)))
                    (local.set $b1 (v128.load offset=16 align=4 (local.get $pb)))
                    (local.set $s (v128.load32_splat offset=4 align=4 (local.get $pa0)))
                    (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $s) (local.get $b0))))
                    (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $s) (local.get $b1))))
                    (local.set $s (v128.load32_splat offset=4 align=4 (local.get $pa1)))
                    (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $s) (local.get $b0))))
                    (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $s) (local.get $b1))))
                    (local.set $s (v128.load32_splat offset=4 align=4 (local.get $pa2)))
                    (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $s) (local.get $b0))))
                    (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $s) (local.get $b1))))
                    (local.set $s (v128.load32_splat offset=4 align=4 (local.get $pa3)))
                    (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $s) (local.get $b0))))
                    (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $s) (local.get $b1))))
                    (local.set $pb (i32.add (local.get $pb) (local.get $nBytes)))
                    (local.set $b0 (v128.load align=4 (local.get $pb)))
                    (local.set $b1 (v128.load offset=16 align=4 (local.get $pb)))
                    (local.set $s (v128.load32_splat offset=8 align=4 (local.get $pa0)))
                    (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $s) (local.get $b0))))
                    (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $s) (local.get $b1))))
                    (local.set $s (v128.load32_splat offset=8 align=4 (local.get $pa1)))
                    (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $s) (local.get $b0))))
                    (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $s) (local.get $b1))))
                    (local.set $s (v128.load32_splat offset=8 align=4 (local.get $pa2)))
                    (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $s) (local.get $b0))))
                    (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $s) (local.get $b1))))
                    (local.set $s (v128.load32_splat offset=8 align=4 (local.get $pa3)))
                    (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $s) (local.get $b0))))
                    (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $s) (local.get $b1))))
                    (local.set $pb (i32.add (local.get $pb) (local.get $nBytes)))
                    (local.set $b0 (v128.load align=4 (local.get $pb)))
                    (local.set $b1 (v128.load offset=16 align=4 (local.get $pb)))
                    (local.set $s (v128.load32_splat offset=12 align=4 (local.get $pa0)))
                    (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $s) (local.get $b0))))
                    (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $s) (local.get $b1))))
                    (local.set $s (v128.load32_splat offset=12 align=4 (local.get $pa1)))
                    (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $s) (local.get $b0))))
                    (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $s) (local.get $b1))))
                    (local.set $s (v128.load32_splat offset=12 align=4 (local.get $pa2)))
                    (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $s) (local.get $b0))))
                    (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $s) (local.get $b1))))
                    (local.set $s (v128.load32_splat offset=12 align=4 (local.get $pa3)))
                    (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $s) (local.get $b0))))
                    (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $s) (local.get $b1))))
                    (local.set $pb (i32.add (local.get $pb) (local.get $nBytes)))
                    (local.set $pa0 (i32.add (local.get $pa0) (i32.const 16)))
                    (local.set $pa1 (i32.add (local.get $pa1) (i32.const 16)))
                    (local.set $pa2 (i32.add (local.get $pa2) (i32.const 16)))
                    (local.set $pa3 (i32.add (local.get $pa3) (i32.const 16)))
                    (local.set $p (i32.sub (local.get $p) (i32.const 4)))
                    (br $rows)))
                ;; The last k mod 4 steps.
                (block $rowsTailDone
                  (loop $rowsTail
                    (br_if $rowsTailDone (i32.lt_u (local.get $p) (i32.const 1)))
                    (local.set $b0 (v128.load align=4 (local.get $pb)))
                    (local.set $b1 (v128.load offset=16 align=4 (local.get $pb)))
                    (local.set $s (v128.load32_splat align=4 (local.get $pa0)))
                    (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $s) (local.get $b0))))
                    (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $s) (local.get $b1))))
                    (local.set $s (v128.load32_splat align=4 (local.get $pa1)))
                    (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $s) (local.get $b0))))
                    (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $s) (local.get $b1))))
                    (local.set $s (v128.load32_splat align=4 (local.get $pa2)))
                    (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $s) (local.get $b0))))
                    (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $s) (local.get $b1))))
                    (local.set $s (v128.load32_splat align=4 (local.get $pa3)))
                    (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $s) (local.get $b0))))
                    (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $s) (local.get $b1))))
                    (local.set $pb (i32.add (local.get $pb) (local.get $nBytes)))
                    (local.set $pa0 (i32.add (local.get $pa0) (i32.const 4)))
                    (local.set $pa1 (i32.add (local.get $pa1) (i32.const 4)))
                    (local.set $pa2 (i32.add (local.get $pa2) (i32.const 4)))
                    (local.set $pa3 (i32.add (local.get $pa3) (i32.const 4)))
                    (local.set $p (i32.sub (local.get $p) (i32.const 1)))
                    (br $rowsTail)))))
            (v128.store align=4 (local.get $pc) (local.get $c00))
            (v128.store offset=16 align=4 (local.get $pc) (local.get $c01))
            (local.set $pc (i32.add (local.get $pc) (local.get $nBytes)))
            (v128.store align=4 (local.get $pc) (local.get $c10))
            (v128.store offset=16 align=4 (local.get $pc) (local.get $c11))
            (local.set $pc (i32.add (local.get $pc) (local.get $nBytes)))
            (v128.store align=4 (local.get $pc) (local.get $c20))
            (v128.store offset=16 align=4 (local.get $pc) (local.get $c21))
            (local.set $pc (i32.add (local.get $pc) (local.get $nBytes)))
            (v128.store align=4 (local.get $pc) (local.get $c30))
            (v128.store offset=16 align=4 (local.get $pc) (local.get $c31))
            (local.set $j (i32.add (local.get $j) (i32.const 8)))
            (br $cols)))
        ;; The block's last n mod 8 columns, a row at a time.
        (call $row (local.get $a) (local.get $aRow) (local.get $aCol) (local.get $b) (local.get $c) (local.get $i) (local.get $n8) (local.get $k) (local.get $n) (local.get $bias) (local.get $accumulate))
        (call $row (local.get $a) (local.get $aRow) (local.get $aCol) (local.get $b) (local.get $c) (i32.add (local.get $i) (i32.const 1)) (local.get $n8) (local.get $k) (local.get $n) (local.get $bias) (local.get $accumulate))
        (call $row (local.get $a) (local.get $aRow) (local.get $aCol) (local.get $b) (local.get $c) (i32.add (local.get $i) (i32.const 2)) (local.get $n8) (local.get $k) (local.get $n) (local.get $bias) (local.get $accumulate))
        (call $row (local.get $a) (local.get $aRow) (local.get $aCol) (local.get $b) (local.get $c) (i32.add (local.get $i) (i32.const 3)) (local.get $n8) (local.get $k) (local.get $n) (local.get $bias) (local.get $accumulate))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $blocks)))
    ;; The last m mod 4 rows.
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $m)))
        (call $row (local.get $a) (local.get $aRow) (local.get $aCol) (local.get $b) (local.get $c) (local.get $i) (i32.const 0) (local.get $k) (local.get $n) (local.get $bias) (local.get $accumulate))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows))))

;; out[i][j] = x[i][j] * s[j] for a [rows x cols] x: a 1x1 convolution's weights with the
  ;; BatchNorm scale folded in, one product per entry as a broadcast multiply computes it.
  (func (export "scaleColumns") (param $x i32) (param $s i32) (param $out i32) (param $rows i32) (param $cols i32)
    (local $j i32) (local $bytes i32) (local $vectorBytes i32)
    (local.set $bytes (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $vectorBytes (i32.and (local.get $bytes) (i32.const -16)))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.eqz (local.get $rows)))
        (local.set $j (i32.const 0))
        (block $vectorsDone
          (loop $vectors
            (br_if $vectorsDone (i32.ge_u (local.get $j) (local.get $vectorBytes)))
            (v128.store align=4 (i32.add (local.get $out) (local.get $j))
              (f32x4.mul (v128.load align=4 (i32.add (local.get $x) (local.get $j))) (v128.load align=4 (i32.add (local.get $s) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $vectors)))
        (block $scalarsDone
          (loop $scalars
            (br_if $scalarsDone (i32.ge_u (local.get $j) (local.get $bytes)))
            (f32.store (i32.add (local.get $out) (local.get $j))
              (f32.mul (f32.load (i32.add (local.get $x) (local.get $j))) (f32.load (i32.add (local.get $s) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $scalars)))
        (local.set $x (i32.add (local.get $x) (local.get $bytes)))
        (local.set $out (i32.add (local.get $out) (local.get $bytes)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $rowLoop))))

  ;; The fold's gradient at a 1x1 convolution's [rows x cols] weights k, from the gradient dF of the
  ;; folded weights k * s: dK[i][j] = dF[i][j] * s[j], and ds[j] = the sum over i of dF[i][j] * k[i][j],
  ;; each from zero in row order, in float32 (what a broadcast multiply, a multiply and a sum down
  ;; the columns compute), in one pass.
  (func (export "foldGrad") (param $dF i32) (param $k i32) (param $s i32) (param $dK i32) (param $ds i32) (param $rows i32) (param $cols i32)
    (local $j i32) (local $bytes i32) (local $vectorBytes i32) (local $d v128) (local $ds1 f32)
    (local.set $bytes (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $vectorBytes (i32.and (local.get $bytes) (i32.const -16)))
    (block $zeroed
      (loop $zero
        (br_if $zeroed (i32.ge_u (local.get $j) (local.get $bytes)))
        (f32.store (i32.add (local.get $ds) (local.get $j)) (f32.const 0))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $zero)))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.eqz (local.get $rows)))
        (local.set $j (i32.const 0))
        (block $vectorsDone
          (loop $vectors
            (br_if $vectorsDone (i32.ge_u (local.get $j) (local.get $vectorBytes)))
            (local.set $d (v128.load align=4 (i32.add (local.get $dF) (local.get $j))))
            (v128.store align=4 (i32.add (local.get $dK) (local.get $j))
              (f32x4.mul (local.get $d) (v128.load align=4 (i32.add (local.get $s) (local.get $j)))))
            (v128.store align=4 (i32.add (local.get $ds) (local.get $j))
              (f32x4.add (v128.load align=4 (i32.add (local.get $ds) (local.get $j)))
                (f32x4.mul (local.get $d) (v128.load align=4 (i32.add (local.get $k) (local.get $j))))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $vectors)))
        (block $scalarsDone
          (loop $scalars
            (br_if $scalarsDone (i32.ge_u (local.get $j) (local.get $bytes)))
            (local.set $ds1 (f32.load (i32.add (local.get $dF) (local.get $j))))
            (f32.store (i32.add (local.get $dK) (local.get $j)) (f32.mul (local.get $ds1) (f32.load (i32.add (local.get $s) (local.get $j)))))
            (f32.store (i32.add (local.get $ds) (local.get $j))
              (f32.add (f32.load (i32.add (local.get $ds) (local.get $j))) (f32.mul (local.get $ds1) (f32.load (i32.add (local.get $k) (local.get $j))))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $scalars)))
        (local.set $dF (i32.add (local.get $dF) (local.get $bytes)))
        (local.set $k (i32.add (local.get $k) (local.get $bytes)))
        (local.set $dK (i32.add (local.get $dK) (local.get $bytes)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $rowLoop))))

  ;; The BatchNorm fold's vectors, n floats each, as the ops of the fold compute them:
  ;; r = 1 / sqrt(variance + eps); s = r gamma; centred = bias - mean (or -mean); shift = centred s
  ;; + beta. $gamma, $bias and $beta are -1 where the layers have none.
  (func (export "foldVectors") (param $variance i32) (param $gamma i32) (param $mean i32) (param $bias i32) (param $beta i32)
    (param $eps f32) (param $r i32) (param $s i32) (param $centred i32) (param $shift i32) (param $n i32)
    (local $at i32) (local $end i32) (local $rv f32) (local $sv f32) (local $cv f32) (local $shv f32)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
        (local.set $rv (f32.div (f32.const 1) (f32.sqrt (f32.add (f32.load (i32.add (local.get $variance) (local.get $at))) (local.get $eps)))))
        (local.set $sv (local.get $rv))
        (if (i32.ge_s (local.get $gamma) (i32.const 0))
          (then (local.set $sv (f32.mul (local.get $rv) (f32.load (i32.add (local.get $gamma) (local.get $at)))))))
        (local.set $cv (f32.neg (f32.load (i32.add (local.get $mean) (local.get $at)))))
        (if (i32.ge_s (local.get $bias) (i32.const 0))
          (then (local.set $cv (f32.sub (f32.load (i32.add (local.get $bias) (local.get $at))) (f32.load (i32.add (local.get $mean) (local.get $at)))))))
        (local.set $shv (f32.mul (local.get $cv) (local.get $sv)))
        (if (i32.ge_s (local.get $beta) (i32.const 0))
          (then (local.set $shv (f32.add (local.get $shv) (f32.load (i32.add (local.get $beta) (local.get $at)))))))
        (f32.store (i32.add (local.get $r) (local.get $at)) (local.get $rv))
        (f32.store (i32.add (local.get $s) (local.get $at)) (local.get $sv))
        (f32.store (i32.add (local.get $centred) (local.get $at)) (local.get $cv))
        (f32.store (i32.add (local.get $shift) (local.get $at)) (local.get $shv))
        (local.set $at (i32.add (local.get $at) (i32.const 4)))
        (br $each))))

  ;; gamma's gradient from s's through the filter (dsFilter) and the shift's (dShift):
  ;; dGamma = (dsFilter + dShift centred) r, n floats, as the ops of the fold's gradient compute it.
  (func (export "foldVectorGrad") (param $dsFilter i32) (param $dShift i32) (param $centred i32) (param $r i32) (param $dGamma i32) (param $n i32)
    (local $at i32) (local $end i32)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
        (f32.store (i32.add (local.get $dGamma) (local.get $at))
          (f32.mul
            (f32.add (f32.load (i32.add (local.get $dsFilter) (local.get $at)))
              (f32.mul (f32.load (i32.add (local.get $dShift) (local.get $at))) (f32.load (i32.add (local.get $centred) (local.get $at)))))
            (f32.load (i32.add (local.get $r) (local.get $at)))))
        (local.set $at (i32.add (local.get $at) (i32.const 4)))
        (br $each))))

  ;; The two passes of a depthwise convolution (NHWC, one filter per channel) that a layer in
  ;; training runs with a new filter every step, which XNNPACK would pack every time. Geometry as
  ;; for depthwiseFilterGrad. Forward: y[b][oy][ox][ch] = bias[ch] (or 0) + the products of its
  ;; taps in the order i, j, skipping taps in the padding.
  (func (export "depthwiseForward") (param $x i32) (param $f i32) (param $bias i32) (param $y i32)
    (param $n i32) (param $h i32) (param $w i32) (param $c i32) (param $oh i32) (param $ow i32)
    (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $dh i32) (param $dwid i32)
    (param $top i32) (param $left i32)
    (local $b i32) (local $oy i32) (local $ox i32) (local $i i32) (local $j i32) (local $iy i32) (local $ix i32)
    (local $cBytes i32) (local $out i32) (local $px i32) (local $pf i32)
    (local.set $cBytes (i32.shl (local.get $c) (i32.const 2)))
    (local.set $out (local.get $y))
    (block $bDone (loop $bLoop
      (br_if $bDone (i32.ge_u (local.get $b) (local.get $n)))
      (local.set $oy (i32.const 0))
      (block $oyDone (loop $oyLoop
        (br_if $oyDone (i32.ge_u (local.get $oy) (local.get $oh)))
        (local.set $ox (i32.const 0))
        (block $oxDone (loop $oxLoop
          (br_if $oxDone (i32.ge_u (local.get $ox) (local.get $ow)))
          (if (i32.ge_s (local.get $bias) (i32.const 0))
            (then (memory.copy (local.get $out) (local.get $bias) (local.get $cBytes)))
            (else (memory.fill (local.get $out) (i32.const 0) (local.get $cBytes))))
          (local.set $i (i32.const 0))
          (block $iDone (loop $iLoop
            (br_if $iDone (i32.ge_u (local.get $i) (local.get $kh)))
            (local.set $iy (i32.sub (i32.add (i32.mul (local.get $oy) (local.get $sh)) (i32.mul (local.get $i) (local.get $dh))) (local.get $top)))
            (if (i32.lt_u (local.get $iy) (local.get $h)) (then
              (local.set $j (i32.const 0))
              (block $jDone (loop $jLoop
                (br_if $jDone (i32.ge_u (local.get $j) (local.get $kw)))
                (local.set $ix (i32.sub (i32.add (i32.mul (local.get $ox) (local.get $sw)) (i32.mul (local.get $j) (local.get $dwid))) (local.get $left)))
                (if (i32.lt_u (local.get $ix) (local.get $w)) (then
                  (local.set $px (i32.add (local.get $x) (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $h)) (local.get $iy)) (local.get $w)) (local.get $ix)) (local.get $cBytes))))
                  (local.set $pf (i32.add (local.get $f) (i32.mul (i32.add (i32.mul (local.get $i) (local.get $kw)) (local.get $j)) (local.get $cBytes))))
                  (call $multiplyAdd (local.get $out) (local.get $px) (local.get $pf) (local.get $cBytes))))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $jLoop)))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $iLoop)))
          (local.set $out (i32.add (local.get $out) (local.get $cBytes)))
          (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
          (br $oxLoop)))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $oyLoop)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bLoop))))

  ;; Input gradient: dx[b][iy][ix][ch] = the sum of dy[b][oy][ox][ch] f[i][j][ch] over the outputs
  ;; whose tap (i, j) reads (iy, ix), added from zero in the order b, oy, ox, i, j.
  (func (export "depthwiseInputGrad") (param $dy i32) (param $f i32) (param $dx i32)
    (param $n i32) (param $h i32) (param $w i32) (param $c i32) (param $oh i32) (param $ow i32)
    (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $dh i32) (param $dwid i32)
    (param $top i32) (param $left i32)
    (local $b i32) (local $oy i32) (local $ox i32) (local $i i32) (local $j i32) (local $iy i32) (local $ix i32)
    (local $cBytes i32) (local $pd i32) (local $px i32) (local $pf i32)
    (local.set $cBytes (i32.shl (local.get $c) (i32.const 2)))
    (memory.fill (local.get $dx) (i32.const 0) (i32.mul (i32.mul (i32.mul (local.get $n) (local.get $h)) (local.get $w)) (local.get $cBytes)))
    (local.set $pd (local.get $dy))
    (block $bDone (loop $bLoop
      (br_if $bDone (i32.ge_u (local.get $b) (local.get $n)))
      (local.set $oy (i32.const 0))
      (block $oyDone (loop $oyLoop
        (br_if $oyDone (i32.ge_u (local.get $oy) (local.get $oh)))
        (local.set $ox (i32.const 0))
        (block $oxDone (loop $oxLoop
          (br_if $oxDone (i32.ge_u (local.get $ox) (local.get $ow)))
          (local.set $i (i32.const 0))
          (block $iDone (loop $iLoop
            (br_if $iDone (i32.ge_u (local.get $i) (local.get $kh)))
            (local.set $iy (i32.sub (i32.add (i32.mul (local.get $oy) (local.get $sh)) (i32.mul (local.get $i) (local.get $dh))) (local.get $top)))
            (if (i32.lt_u (local.get $iy) (local.get $h)) (then
              (local.set $j (i32.const 0))
              (block $jDone (loop $jLoop
                (br_if $jDone (i32.ge_u (local.get $j) (local.get $kw)))
                (local.set $ix (i32.sub (i32.add (i32.mul (local.get $ox) (local.get $sw)) (i32.mul (local.get $j) (local.get $dwid))) (local.get $left)))
                (if (i32.lt_u (local.get $ix) (local.get $w)) (then
                  (local.set $px (i32.add (local.get $dx) (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $h)) (local.get $iy)) (local.get $w)) (local.get $ix)) (local.get $cBytes))))
                  (local.set $pf (i32.add (local.get $f) (i32.mul (i32.add (i32.mul (local.get $i) (local.get $kw)) (local.get $j)) (local.get $cBytes))))
                  (call $multiplyAdd (local.get $px) (local.get $pd) (local.get $pf) (local.get $cBytes))))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $jLoop)))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $iLoop)))
          (local.set $pd (i32.add (local.get $pd) (local.get $cBytes)))
          (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
          (br $oxLoop)))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $oyLoop)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bLoop))))

  ;; out[q] += a[q] * b[q] for the floats in `bytes` bytes (a multiple of 4), 4 at a time then one by one.
  (func $multiplyAdd (param $out i32) (param $a i32) (param $b i32) (param $bytes i32)
    (local $q i32) (local $vectorBytes i32)
    (local.set $vectorBytes (i32.and (local.get $bytes) (i32.const -16)))
    (block $vDone (loop $vLoop
      (br_if $vDone (i32.ge_u (local.get $q) (local.get $vectorBytes)))
      (v128.store align=4 (i32.add (local.get $out) (local.get $q))
        (f32x4.add (v128.load align=4 (i32.add (local.get $out) (local.get $q)))
          (f32x4.mul (v128.load align=4 (i32.add (local.get $a) (local.get $q))) (v128.load align=4 (i32.add (local.get $b) (local.get $q))))))
      (local.set $q (i32.add (local.get $q) (i32.const 16)))
      (br $vLoop)))
    (block $sDone (loop $sLoop
      (br_if $sDone (i32.ge_u (local.get $q) (local.get $bytes)))
      (f32.store (i32.add (local.get $out) (local.get $q))
        (f32.add (f32.load (i32.add (local.get $out) (local.get $q)))
          (f32.mul (f32.load (i32.add (local.get $a) (local.get $q))) (f32.load (i32.add (local.get $b) (local.get $q))))))
      (local.set $q (i32.add (local.get $q) (i32.const 4)))
      (br $sLoop))))

  ;; out [cols x rows] = (x [rows x cols] with column j times s[j]) transposed: the folded filter
  ;; of a 1x1 convolution as its input gradient multiplies by it, each entry the same product
  ;; scaleColumns computes. Blocks of 4 x 4 through SIMD shuffles, the edges one value at a time.
  (func (export "scaleColumnsTransposed") (param $x i32) (param $s i32) (param $out i32) (param $rows i32) (param $cols i32)
    (local $i i32) (local $j i32) (local $rows4 i32) (local $cols4 i32) (local $xRow i32) (local $oRow i32)
    (local $src i32) (local $dst i32) (local $sv v128)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128) (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $rows4 (i32.and (local.get $rows) (i32.const -4)))
    (local.set $cols4 (i32.and (local.get $cols) (i32.const -4)))
    (local.set $xRow (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $oRow (i32.shl (local.get $rows) (i32.const 2)))
    (block $blocksDone
      (loop $blockRows
        (br_if $blocksDone (i32.ge_u (local.get $i) (local.get $rows4)))
        (local.set $j (i32.const 0))
        (block $colsDone
          (loop $blockCols
            (br_if $colsDone (i32.ge_u (local.get $j) (local.get $cols4)))
            (local.set $src (i32.add (local.get $x) (i32.add (i32.mul (local.get $i) (local.get $xRow)) (i32.shl (local.get $j) (i32.const 2)))))
            (local.set $sv (v128.load align=4 (i32.add (local.get $s) (i32.shl (local.get $j) (i32.const 2)))))
            (local.set $r0 (f32x4.mul (v128.load align=4 (local.get $src)) (local.get $sv)))
            (local.set $r1 (f32x4.mul (v128.load align=4 (i32.add (local.get $src) (local.get $xRow))) (local.get $sv)))
            (local.set $r2 (f32x4.mul (v128.load align=4 (i32.add (local.get $src) (i32.shl (local.get $xRow) (i32.const 1)))) (local.get $sv)))
            (local.set $r3 (f32x4.mul (v128.load align=4 (i32.add (local.get $src) (i32.mul (local.get $xRow) (i32.const 3)))) (local.get $sv)))
            (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
            (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
            (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
            (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
            (local.set $dst (i32.add (local.get $out) (i32.add (i32.mul (local.get $j) (local.get $oRow)) (i32.shl (local.get $i) (i32.const 2)))))
            (v128.store align=4 (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
            (v128.store align=4 (i32.add (local.get $dst) (local.get $oRow)) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
            (v128.store align=4 (i32.add (local.get $dst) (i32.shl (local.get $oRow) (i32.const 1))) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
            (v128.store align=4 (i32.add (local.get $dst) (i32.mul (local.get $oRow) (i32.const 3))) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $blockCols)))
        (call $scaledColumnTail (local.get $x) (local.get $s) (local.get $out) (local.get $rows) (local.get $cols) (local.get $i) (i32.add (local.get $i) (i32.const 4)) (local.get $cols4))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $blockRows)))
    (call $scaledColumnTail (local.get $x) (local.get $s) (local.get $out) (local.get $rows) (local.get $cols) (local.get $rows4) (local.get $rows) (i32.const 0)))

  ;; out[j][i] = x[i][j] s[j] for rows i from $from to $to and columns j from $firstCol on.
  (func $scaledColumnTail (param $x i32) (param $s i32) (param $out i32) (param $rows i32) (param $cols i32) (param $from i32) (param $to i32) (param $firstCol i32)
    (local $i i32) (local $j i32)
    (local.set $i (local.get $from))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $to)))
        (local.set $j (local.get $firstCol))
        (block $colsDone
          (loop $colLoop
            (br_if $colsDone (i32.ge_u (local.get $j) (local.get $cols)))
            (f32.store (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $j) (local.get $rows)) (local.get $i)) (i32.const 2)))
              (f32.mul (f32.load (i32.add (local.get $x) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $cols)) (local.get $j)) (i32.const 2))))
                (f32.load (i32.add (local.get $s) (i32.shl (local.get $j) (i32.const 2))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $colLoop)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rowLoop))))

  ;; The 4 sums of columns j .. j + 3 before any product: the bias there, or zeros.
  (func $start (param $bias i32) (param $j i32) (result v128)
    (if (result v128) (i32.lt_s (local.get $bias) (i32.const 0))
      (then (v128.const i32x4 0 0 0 0))
      (else (v128.load align=4 (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2)))))))

  ;; Row i of C from column j on: 4 columns at a time, then one at a time.
  (func $row
    (param $a i32) (param $aRow i32) (param $aCol i32) (param $b i32) (param $c i32)
    (param $i i32) (param $j i32) (param $k i32) (param $n i32) (param $bias i32) (param $accumulate i32)
    (local $p i32) (local $nBytes i32) (local $aI i32) (local $cI i32) (local $pa i32) (local $pb i32)
    (local $acc v128) (local $sum f32)
    (local.set $nBytes (i32.shl (local.get $n) (i32.const 2)))
    (local.set $aI (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $aRow))))
    (local.set $cI (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $nBytes))))
    (block $narrowDone
      (loop $narrow
        (br_if $narrowDone (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
        (local.set $acc (if (result v128) (local.get $accumulate)
          (then (v128.load align=4 (i32.add (local.get $cI) (i32.shl (local.get $j) (i32.const 2)))))
          (else (call $start (local.get $bias) (local.get $j)))))
        (local.set $pa (local.get $aI))
        (local.set $pb (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $p (local.get $k))
        (block $narrowKDone
          (loop $narrowK
            (br_if $narrowKDone (i32.eqz (local.get $p)))
            (local.set $acc (f32x4.add (local.get $acc)
              (f32x4.mul (v128.load32_splat align=4 (local.get $pa)) (v128.load align=4 (local.get $pb)))))
            (local.set $pa (i32.add (local.get $pa) (local.get $aCol)))
            (local.set $pb (i32.add (local.get $pb) (local.get $nBytes)))
            (local.set $p (i32.sub (local.get $p) (i32.const 1)))
            (br $narrowK)))
        (v128.store align=4 (i32.add (local.get $cI) (i32.shl (local.get $j) (i32.const 2))) (local.get $acc))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $narrow)))
    (block $oneDone
      (loop $one
        (br_if $oneDone (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $sum (f32.const 0))
        (if (i32.ge_s (local.get $bias) (i32.const 0))
          (then (local.set $sum (f32.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2)))))))
        (if (local.get $accumulate)
          (then (local.set $sum (f32.load (i32.add (local.get $cI) (i32.shl (local.get $j) (i32.const 2)))))))
        (local.set $pa (local.get $aI))
        (local.set $pb (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $p (local.get $k))
        (block $oneKDone
          (loop $oneK
            (br_if $oneKDone (i32.eqz (local.get $p)))
            (local.set $sum (f32.add (local.get $sum) (f32.mul (f32.load (local.get $pa)) (f32.load (local.get $pb)))))
            (local.set $pa (i32.add (local.get $pa) (local.get $aCol)))
            (local.set $pb (i32.add (local.get $pb) (local.get $nBytes)))
            (local.set $p (i32.sub (local.get $p) (i32.const 1)))
            (br $oneK)))
        (f32.store (i32.add (local.get $cI) (i32.shl (local.get $j) (i32.const 2))) (local.get $sum))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $one))))

  ;; out[j] = x[0][j] + x[1][j] + ... + x[rows - 1][j] for j < columns, rows of x contiguous: each
  ;; sum starts from zero and adds its column in row order, in float32, as a loop down the column
  ;; would, while the rows are read in memory order, 4 columns at a time.
  (func (export "columnSums") (param $x i32) (param $out i32) (param $rows i32) (param $columns i32)
    (local $j i32) (local $row i32) (local $bytes i32) (local $vectorBytes i32)
    (local.set $bytes (i32.shl (local.get $columns) (i32.const 2)))
    (local.set $vectorBytes (i32.and (local.get $bytes) (i32.const -16)))
    (block $zeroed
      (loop $zero
        (br_if $zeroed (i32.ge_u (local.get $j) (local.get $bytes)))
        (f32.store (i32.add (local.get $out) (local.get $j)) (f32.const 0))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $zero)))
    (local.set $row (local.get $x))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.eqz (local.get $rows)))
        (local.set $j (i32.const 0))
        (block $vectorsDone
          (loop $vectors
            (br_if $vectorsDone (i32.ge_u (local.get $j) (local.get $vectorBytes)))
            (v128.store align=4 (i32.add (local.get $out) (local.get $j))
              (f32x4.add (v128.load align=4 (i32.add (local.get $out) (local.get $j))) (v128.load align=4 (i32.add (local.get $row) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $vectors)))
        (block $scalarsDone
          (loop $scalars
            (br_if $scalarsDone (i32.ge_u (local.get $j) (local.get $bytes)))
            (f32.store (i32.add (local.get $out) (local.get $j))
              (f32.add (f32.load (i32.add (local.get $out) (local.get $j))) (f32.load (i32.add (local.get $row) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $scalars)))
        (local.set $row (i32.add (local.get $row) (local.get $bytes)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $rowLoop))))

  ;; The gradient of clipping x to [min, max]: g = dy * (1 if min <= x <= max, 0 outside, NaN where x
  ;; is NaN), n floats, 4 at a time and the last n mod 4 one by one (so that arrays of a heap shared
  ;; with other data are never written past their end). A product by 1 or 0 rather than a select,
  ;; so a masked-out entry is dy * 0, as the ops this replaces computed it.
  (func (export "clipGrad") (param $x i32) (param $dy i32) (param $g i32) (param $n i32) (param $min f32) (param $max f32)
    (local $i i32) (local $end i32) (local $xv v128) (local $factor v128) (local $xs f32)
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $xv (v128.load align=4 (i32.add (local.get $x) (local.get $i))))
        (local.set $factor (v128.and
          (v128.and (f32x4.ge (local.get $xv) (f32x4.splat (local.get $min))) (f32x4.le (local.get $xv) (f32x4.splat (local.get $max))))
          (f32x4.splat (f32.const 1))))
        (local.set $factor (v128.bitselect (f32x4.splat (f32.const nan)) (local.get $factor) (f32x4.ne (local.get $xv) (local.get $xv))))
        (v128.store align=4 (i32.add (local.get $g) (local.get $i))
          (f32x4.mul (v128.load align=4 (i32.add (local.get $dy) (local.get $i))) (local.get $factor)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $each)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $xs (f32.load (i32.add (local.get $x) (local.get $i))))
        (f32.store (i32.add (local.get $g) (local.get $i))
          (f32.mul (f32.load (i32.add (local.get $dy) (local.get $i)))
            (select (f32.const nan)
              (select (f32.const 1) (f32.const 0)
                (i32.and (f32.ge (local.get $xs) (local.get $min)) (f32.le (local.get $xs) (local.get $max))))
              (f32.ne (local.get $xs) (local.get $xs)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $tail))))

  ;; The filter gradient of a depthwise convolution (NHWC, one filter per channel):
  ;; dw[i][j][ch] = sum over images b and outputs (y, x) of dy[b][y][x][ch] * x[b][iy][ix][ch],
  ;; iy = y * strideH + i * dilationH - padTop, ix likewise, skipping taps in the padding. Each sum
  ;; starts from zero and adds in the order b, y, x, in float32; channels go 4 at a time. The
  ;; geometry follows the three arrays: n h w c oh ow kh kw strideH strideW dilationH dilationW
  ;; padTop padLeft.
  (func (export "depthwiseFilterGrad") (param $x i32) (param $dy i32) (param $dw i32)
    (param $n i32) (param $h i32) (param $w i32) (param $c i32) (param $oh i32) (param $ow i32)
    (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $dh i32) (param $dwid i32)
    (param $top i32) (param $left i32)
    (local $i i32) (local $j i32) (local $b i32) (local $y i32) (local $xo i32) (local $iy i32) (local $ix i32)
    (local $ch i32) (local $cBytes i32) (local $vectorBytes i32) (local $out i32) (local $px i32) (local $pd i32)
    (local.set $cBytes (i32.shl (local.get $c) (i32.const 2)))
    (local.set $vectorBytes (i32.and (local.get $cBytes) (i32.const -16)))
    ;; Zero the whole gradient first: every tap adds into its own c floats.
    (local.set $ch (i32.const 0))
    (local.set $out (i32.mul (i32.mul (local.get $kh) (local.get $kw)) (local.get $cBytes)))
    (block $zeroed
      (loop $zero
        (br_if $zeroed (i32.ge_u (local.get $ch) (local.get $out)))
        (f32.store (i32.add (local.get $dw) (local.get $ch)) (f32.const 0))
        (local.set $ch (i32.add (local.get $ch) (i32.const 4)))
        (br $zero)))
    (local.set $i (i32.const 0))
    (block $iDone (loop $iLoop
      (br_if $iDone (i32.ge_u (local.get $i) (local.get $kh)))
      (local.set $j (i32.const 0))
      (block $jDone (loop $jLoop
        (br_if $jDone (i32.ge_u (local.get $j) (local.get $kw)))
        (local.set $out (i32.add (local.get $dw) (i32.mul (i32.add (i32.mul (local.get $i) (local.get $kw)) (local.get $j)) (local.get $cBytes))))
        (local.set $b (i32.const 0))
        (block $bDone (loop $bLoop
          (br_if $bDone (i32.ge_u (local.get $b) (local.get $n)))
          (local.set $y (i32.const 0))
          (block $yDone (loop $yLoop
            (br_if $yDone (i32.ge_u (local.get $y) (local.get $oh)))
            (local.set $iy (i32.sub (i32.add (i32.mul (local.get $y) (local.get $sh)) (i32.mul (local.get $i) (local.get $dh))) (local.get $top)))
            (if (i32.lt_u (local.get $iy) (local.get $h)) (then
              (local.set $xo (i32.const 0))
              (block $xDone (loop $xLoop
                (br_if $xDone (i32.ge_u (local.get $xo) (local.get $ow)))
                (local.set $ix (i32.sub (i32.add (i32.mul (local.get $xo) (local.get $sw)) (i32.mul (local.get $j) (local.get $dwid))) (local.get $left)))
                (if (i32.lt_u (local.get $ix) (local.get $w)) (then
                  (local.set $px (i32.add (local.get $x) (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $h)) (local.get $iy)) (local.get $w)) (local.get $ix)) (local.get $cBytes))))
                  (local.set $pd (i32.add (local.get $dy) (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $oh)) (local.get $y)) (local.get $ow)) (local.get $xo)) (local.get $cBytes))))
                  (local.set $ch (i32.const 0))
                  (block $vDone (loop $vLoop
                    (br_if $vDone (i32.ge_u (local.get $ch) (local.get $vectorBytes)))
                    (v128.store align=4 (i32.add (local.get $out) (local.get $ch))
                      (f32x4.add (v128.load align=4 (i32.add (local.get $out) (local.get $ch)))
                        (f32x4.mul (v128.load align=4 (i32.add (local.get $pd) (local.get $ch))) (v128.load align=4 (i32.add (local.get $px) (local.get $ch))))))
                    (local.set $ch (i32.add (local.get $ch) (i32.const 16)))
                    (br $vLoop)))
                  (block $sDone (loop $sLoop
                    (br_if $sDone (i32.ge_u (local.get $ch) (local.get $cBytes)))
                    (f32.store (i32.add (local.get $out) (local.get $ch))
                      (f32.add (f32.load (i32.add (local.get $out) (local.get $ch)))
                        (f32.mul (f32.load (i32.add (local.get $pd) (local.get $ch))) (f32.load (i32.add (local.get $px) (local.get $ch))))))
                    (local.set $ch (i32.add (local.get $ch) (i32.const 4)))
                    (br $sLoop)))))
                (local.set $xo (i32.add (local.get $xo) (i32.const 1)))
                (br $xLoop)))))
            (local.set $y (i32.add (local.get $y) (i32.const 1)))
            (br $yLoop)))
          (local.set $b (i32.add (local.get $b) (i32.const 1)))
          (br $bLoop)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $jLoop)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $iLoop))))

  ;; Adam over n floats (4 at a time, then the last n mod 4 one by one), the tensor optimizer's
  ;; operations in its order:
  ;; m = m b1 + g a1; s = s b2 + g g a2; w = w - (m / c1) / (sqrt(s / c2) + eps) lr - w decay,
  ;; where a1 = 1 - b1, a2 = 1 - b2, c1 = 1 - b1^t, c2 = 1 - b2^t. The new w goes to $out, which
  ;; may be $w itself (in place) or n floats of their own.
  (func (export "adam")
    (param $w i32) (param $g i32) (param $m i32) (param $s i32) (param $out i32) (param $n i32)
    (param $b1 f32) (param $a1 f32) (param $b2 f32) (param $a2 f32) (param $c1 f32) (param $c2 f32)
    (param $eps f32) (param $lr f32) (param $decay f32)
    (local $i i32) (local $end i32)
    (local $gv v128) (local $mv v128) (local $sv v128) (local $wv v128) (local $step v128)
    (local $gs f32) (local $ms f32) (local $ss f32) (local $ws f32)
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $gv (v128.load align=4 (i32.add (local.get $g) (local.get $i))))
        (local.set $mv (f32x4.add
          (f32x4.mul (v128.load align=4 (i32.add (local.get $m) (local.get $i))) (f32x4.splat (local.get $b1)))
          (f32x4.mul (local.get $gv) (f32x4.splat (local.get $a1)))))
        (local.set $sv (f32x4.add
          (f32x4.mul (v128.load align=4 (i32.add (local.get $s) (local.get $i))) (f32x4.splat (local.get $b2)))
          (f32x4.mul (f32x4.mul (local.get $gv) (local.get $gv)) (f32x4.splat (local.get $a2)))))
        (v128.store align=4 (i32.add (local.get $m) (local.get $i)) (local.get $mv))
        (v128.store align=4 (i32.add (local.get $s) (local.get $i)) (local.get $sv))
        (local.set $step (f32x4.mul
          (f32x4.div
            (f32x4.div (local.get $mv) (f32x4.splat (local.get $c1)))
            (f32x4.add (f32x4.sqrt (f32x4.div (local.get $sv) (f32x4.splat (local.get $c2)))) (f32x4.splat (local.get $eps))))
          (f32x4.splat (local.get $lr))))
        (local.set $wv (v128.load align=4 (i32.add (local.get $w) (local.get $i))))
        (v128.store align=4 (i32.add (local.get $out) (local.get $i))
          (f32x4.sub (f32x4.sub (local.get $wv) (local.get $step)) (f32x4.mul (local.get $wv) (f32x4.splat (local.get $decay)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $each)))
    ;; The same operations on single floats: each lane above computes exactly this.
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $gs (f32.load (i32.add (local.get $g) (local.get $i))))
        (local.set $ms (f32.add
          (f32.mul (f32.load (i32.add (local.get $m) (local.get $i))) (local.get $b1))
          (f32.mul (local.get $gs) (local.get $a1))))
        (local.set $ss (f32.add
          (f32.mul (f32.load (i32.add (local.get $s) (local.get $i))) (local.get $b2))
          (f32.mul (f32.mul (local.get $gs) (local.get $gs)) (local.get $a2))))
        (f32.store (i32.add (local.get $m) (local.get $i)) (local.get $ms))
        (f32.store (i32.add (local.get $s) (local.get $i)) (local.get $ss))
        (local.set $ws (f32.load (i32.add (local.get $w) (local.get $i))))
        (f32.store (i32.add (local.get $out) (local.get $i))
          (f32.sub
            (f32.sub (local.get $ws)
              (f32.mul
                (f32.div
                  (f32.div (local.get $ms) (local.get $c1))
                  (f32.add (f32.sqrt (f32.div (local.get $ss) (local.get $c2))) (local.get $eps)))
                (local.get $lr)))
            (f32.mul (local.get $ws) (local.get $decay))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $tail))))
)
