;; Kernels for training a dense head in host memory (see kernels.ts): a matrix product and Adam's
;; update, in 128-bit SIMD. Plain multiplies and adds in a fixed order, never fused, so results do
;; not depend on the machine. Compiled by scripts/build-kernels.mjs into kernels-wasm.ts.
(module
  (memory (export "memory") 1)

  ;; C[m x n] = A B, C and B row-major and contiguous. Element (i, p) of A is at
  ;; a + i * aRow + p * aCol (byte strides), so A can be read transposed without a copy.
  ;; Each C element sums its k products in order from p = 0, in float32, whichever block computes
  ;; it, so the blocking never changes a result. Blocks of 4 rows x 8 columns share their loads.
  (func (export "gemm")
    (param $a i32) (param $aRow i32) (param $aCol i32) (param $b i32) (param $c i32)
    (param $m i32) (param $k i32) (param $n i32)
    (local $i i32) (local $j i32) (local $p i32) (local $nBytes i32) (local $n8 i32)
    (local $aRow2 i32) (local $aRow3 i32) (local $pa i32) (local $pb i32) (local $pc i32)
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
            (local.set $c00 (v128.const i32x4 0 0 0 0)) (local.set $c01 (v128.const i32x4 0 0 0 0))
            (local.set $c10 (v128.const i32x4 0 0 0 0)) (local.set $c11 (v128.const i32x4 0 0 0 0))
            (local.set $c20 (v128.const i32x4 0 0 0 0)) (local.set $c21 (v128.const i32x4 0 0 0 0))
            (local.set $c30 (v128.const i32x4 0 0 0 0)) (local.set $c31 (v128.const i32x4 0 0 0 0))
            (local.set $pa (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $aRow))))
            (local.set $pb (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
            (local.set $p (local.get $k))
            (block $kDone
              (loop $kLoop
                (br_if $kDone (i32.eqz (local.get $p)))
                (local.set $b0 (v128.load align=4 (local.get $pb)))
                (local.set $b1 (v128.load offset=16 align=4 (local.get $pb)))
                (local.set $s (v128.load32_splat align=4 (local.get $pa)))
                (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $s) (local.get $b0))))
                (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $s) (local.get $b1))))
                (local.set $s (v128.load32_splat align=4 (i32.add (local.get $pa) (local.get $aRow))))
                (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $s) (local.get $b0))))
                (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $s) (local.get $b1))))
                (local.set $s (v128.load32_splat align=4 (i32.add (local.get $pa) (local.get $aRow2))))
                (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $s) (local.get $b0))))
                (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $s) (local.get $b1))))
                (local.set $s (v128.load32_splat align=4 (i32.add (local.get $pa) (local.get $aRow3))))
                (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $s) (local.get $b0))))
                (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $s) (local.get $b1))))
                (local.set $pa (i32.add (local.get $pa) (local.get $aCol)))
                (local.set $pb (i32.add (local.get $pb) (local.get $nBytes)))
                (local.set $p (i32.sub (local.get $p) (i32.const 1)))
                (br $kLoop)))
            (local.set $pc (i32.add (local.get $c)
              (i32.add (i32.mul (local.get $i) (local.get $nBytes)) (i32.shl (local.get $j) (i32.const 2)))))
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
        (call $row (local.get $a) (local.get $aRow) (local.get $aCol) (local.get $b) (local.get $c) (local.get $i) (local.get $n8) (local.get $k) (local.get $n))
        (call $row (local.get $a) (local.get $aRow) (local.get $aCol) (local.get $b) (local.get $c) (i32.add (local.get $i) (i32.const 1)) (local.get $n8) (local.get $k) (local.get $n))
        (call $row (local.get $a) (local.get $aRow) (local.get $aCol) (local.get $b) (local.get $c) (i32.add (local.get $i) (i32.const 2)) (local.get $n8) (local.get $k) (local.get $n))
        (call $row (local.get $a) (local.get $aRow) (local.get $aCol) (local.get $b) (local.get $c) (i32.add (local.get $i) (i32.const 3)) (local.get $n8) (local.get $k) (local.get $n))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $blocks)))
    ;; The last m mod 4 rows.
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $m)))
        (call $row (local.get $a) (local.get $aRow) (local.get $aCol) (local.get $b) (local.get $c) (local.get $i) (i32.const 0) (local.get $k) (local.get $n))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows))))

  ;; Row i of C from column j on: 4 columns at a time, then one at a time.
  (func $row
    (param $a i32) (param $aRow i32) (param $aCol i32) (param $b i32) (param $c i32)
    (param $i i32) (param $j i32) (param $k i32) (param $n i32)
    (local $p i32) (local $nBytes i32) (local $aI i32) (local $cI i32) (local $pa i32) (local $pb i32)
    (local $acc v128) (local $sum f32)
    (local.set $nBytes (i32.shl (local.get $n) (i32.const 2)))
    (local.set $aI (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $aRow))))
    (local.set $cI (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $nBytes))))
    (block $narrowDone
      (loop $narrow
        (br_if $narrowDone (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
        (local.set $acc (v128.const i32x4 0 0 0 0))
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

  ;; Adam over n floats (n a multiple of 4), the tensor optimizer's operations in its order:
  ;; m = m b1 + g a1; s = s b2 + g g a2; w = w - (m / c1) / (sqrt(s / c2) + eps) lr - w decay,
  ;; where a1 = 1 - b1, a2 = 1 - b2, c1 = 1 - b1^t, c2 = 1 - b2^t.
  (func (export "adam")
    (param $w i32) (param $g i32) (param $m i32) (param $s i32) (param $n i32)
    (param $b1 f32) (param $a1 f32) (param $b2 f32) (param $a2 f32) (param $c1 f32) (param $c2 f32)
    (param $eps f32) (param $lr f32) (param $decay f32)
    (local $i i32) (local $end i32)
    (local $gv v128) (local $mv v128) (local $sv v128) (local $wv v128) (local $step v128)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
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
        (v128.store align=4 (i32.add (local.get $w) (local.get $i))
          (f32x4.sub (f32x4.sub (local.get $wv) (local.get $step)) (f32x4.mul (local.get $wv) (f32x4.splat (local.get $decay)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $each))))
)
