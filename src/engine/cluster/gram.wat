;; Gram matrix of float32 rows with WebAssembly SIMD (f32x4): out[i][j] = Σ_t x[i][t]·x[j][t] for all i, j.
;;
;; This is the O(n²d) step of clustering a layer (every pair of chunk embeddings, shared by the global pass, every
;; local pass and every re-clustering); plain JavaScript does one multiply-add at a time in float64, this does four
;; in float32 (cosine similarities of unit vectors need nowhere near float64). Compiled to gramKernel.ts by
;; `node scripts/build-wasm.mjs`; test/unit/cluster-wasm.test.ts checks the compiled bytes match this source.
;;
;; Layout (all byte offsets in the imported memory): rows at `data`, `n` rows of `d` floats each; `n` must be a
;; multiple of 4 and `d` a multiple of 4 (the caller pads with zero rows/columns). `out` receives n×n floats.
;; Tiles of 2 rows × 4 rows keep 8 accumulators and 6 loads per 8 multiply-adds in registers; column blocks of
;; 64 rows stay in cache while every row streams past them. Each tile on or above the diagonal is computed once
;; and stored at (i, j) and (j, i); a dot product sums in the same order whichever row comes first, so the
;; matrix is exactly symmetric.
(module
  (import "env" "memory" (memory 1))

  ;; [Σ lanes of a, Σ lanes of b, Σ lanes of c, Σ lanes of d], each summed as (l0 + l1) + (l2 + l3).
  (func $hsum4 (param $a v128) (param $b v128) (param $c v128) (param $d v128) (result v128)
    (local $ab v128) (local $cd v128)
    (local.set $ab (f32x4.add
      (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a) (local.get $b))
      (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a) (local.get $b))))
    (local.set $cd (f32x4.add
      (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $c) (local.get $d))
      (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $c) (local.get $d))))
    (f32x4.add
      (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $ab) (local.get $cd))
      (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $ab) (local.get $cd))))

  ;; Four dot products of row r with rows c .. c+3: stored at out[r][c .. c+3] (one vector store) and out[c+l][r].
  (func $put4 (param $out i32) (param $n i32) (param $r i32) (param $c i32) (param $v v128)
    (local $p i32) (local $step i32)
    (v128.store
      (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $n)) (local.get $c)) (i32.const 2)))
      (local.get $v))
    (local.set $step (i32.shl (local.get $n) (i32.const 2)))
    (local.set $p (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $n)) (local.get $r)) (i32.const 2))))
    (f32.store (local.get $p) (f32x4.extract_lane 0 (local.get $v)))
    (local.set $p (i32.add (local.get $p) (local.get $step)))
    (f32.store (local.get $p) (f32x4.extract_lane 1 (local.get $v)))
    (local.set $p (i32.add (local.get $p) (local.get $step)))
    (f32.store (local.get $p) (f32x4.extract_lane 2 (local.get $v)))
    (local.set $p (i32.add (local.get $p) (local.get $step)))
    (f32.store (local.get $p) (f32x4.extract_lane 3 (local.get $v))))

  ;; Columns [j0, j0 + 64) against every row up to them. The caller loops over blocks: V8 first runs a module with
  ;; its baseline compiler and switches to optimised code between calls, so one call per block gets there early.
  (func (export "gramBlock") (param $data i32) (param $n i32) (param $d i32) (param $out i32) (param $j0 i32)
    (local $rowBytes i32) (local $j1 i32) (local $i i32) (local $j i32) (local $t i32)
    (local $pa i32) (local $pb i32) (local $p0 i32) (local $p1 i32) (local $p2 i32) (local $p3 i32)
    (local $xa v128) (local $xb v128) (local $y0 v128) (local $y1 v128) (local $y2 v128) (local $y3 v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    (local.set $rowBytes (i32.shl (local.get $d) (i32.const 2)))
    (local.set $j1 (i32.add (local.get $j0) (i32.const 64)))
    (if (i32.gt_u (local.get $j1) (local.get $n)) (then (local.set $j1 (local.get $n))))
    (local.set $i (i32.const 0))
    (block $doneRows
      (loop $rows
        (br_if $doneRows (i32.ge_u (local.get $i) (local.get $j1)))
        ;; first column tile: the one holding the diagonal, or the block's start
        (local.set $j (i32.and (local.get $i) (i32.const -4)))
        (if (i32.lt_u (local.get $j) (local.get $j0)) (then (local.set $j (local.get $j0))))
        (local.set $pa (i32.add (local.get $data) (i32.mul (local.get $i) (local.get $rowBytes))))
        (local.set $pb (i32.add (local.get $pa) (local.get $rowBytes)))
        (block $doneTiles
          (loop $tiles
            (br_if $doneTiles (i32.ge_u (local.get $j) (local.get $j1)))
            (local.set $p0 (i32.add (local.get $data) (i32.mul (local.get $j) (local.get $rowBytes))))
            (local.set $p1 (i32.add (local.get $p0) (local.get $rowBytes)))
            (local.set $p2 (i32.add (local.get $p1) (local.get $rowBytes)))
            (local.set $p3 (i32.add (local.get $p2) (local.get $rowBytes)))
            (local.set $a0 (v128.const i64x2 0 0)) (local.set $a1 (v128.const i64x2 0 0))
            (local.set $a2 (v128.const i64x2 0 0)) (local.set $a3 (v128.const i64x2 0 0))
            (local.set $b0 (v128.const i64x2 0 0)) (local.set $b1 (v128.const i64x2 0 0))
            (local.set $b2 (v128.const i64x2 0 0)) (local.set $b3 (v128.const i64x2 0 0))
            (local.set $t (i32.const 0))
            (block $doneDims
              (loop $dims
                (br_if $doneDims (i32.ge_u (local.get $t) (local.get $rowBytes)))
                (local.set $xa (v128.load (i32.add (local.get $pa) (local.get $t))))
                (local.set $xb (v128.load (i32.add (local.get $pb) (local.get $t))))
                (local.set $y0 (v128.load (i32.add (local.get $p0) (local.get $t))))
                (local.set $y1 (v128.load (i32.add (local.get $p1) (local.get $t))))
                (local.set $y2 (v128.load (i32.add (local.get $p2) (local.get $t))))
                (local.set $y3 (v128.load (i32.add (local.get $p3) (local.get $t))))
                (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $xa) (local.get $y0))))
                (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $xa) (local.get $y1))))
                (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $xa) (local.get $y2))))
                (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $xa) (local.get $y3))))
                (local.set $b0 (f32x4.add (local.get $b0) (f32x4.mul (local.get $xb) (local.get $y0))))
                (local.set $b1 (f32x4.add (local.get $b1) (f32x4.mul (local.get $xb) (local.get $y1))))
                (local.set $b2 (f32x4.add (local.get $b2) (f32x4.mul (local.get $xb) (local.get $y2))))
                (local.set $b3 (f32x4.add (local.get $b3) (f32x4.mul (local.get $xb) (local.get $y3))))
                (local.set $t (i32.add (local.get $t) (i32.const 16)))
                (br $dims)))
            (call $put4 (local.get $out) (local.get $n) (local.get $i) (local.get $j)
              (call $hsum4 (local.get $a0) (local.get $a1) (local.get $a2) (local.get $a3)))
            (call $put4 (local.get $out) (local.get $n) (i32.add (local.get $i) (i32.const 1)) (local.get $j)
              (call $hsum4 (local.get $b0) (local.get $b1) (local.get $b2) (local.get $b3)))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $tiles)))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $rows))))
;; Rows [i0, i0 + rows) against rows [j0, j1), into out[r][j] (rows × n, row-major): the Gram matrix a block at a
  ;; time, for inputs too large to keep whole (their neighbour lists are taken block by block). The caller walks column
  ;; blocks of 64 so that they stay in cache while the block's rows stream past. `rows` even, i0 + rows ≤ n; j0, j1, n
  ;; and d multiples of 4, as above.
  (func (export "gramRows") (param $data i32) (param $n i32) (param $d i32) (param $out i32) (param $i0 i32) (param $rows i32)
    (param $j0 i32) (param $j1 i32)
    (local $rowBytes i32) (local $r i32) (local $j i32) (local $t i32)
    (local $pa i32) (local $pb i32) (local $p0 i32) (local $p1 i32) (local $p2 i32) (local $p3 i32) (local $o i32)
    (local $xa v128) (local $xb v128) (local $y0 v128) (local $y1 v128) (local $y2 v128) (local $y3 v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    (local.set $rowBytes (i32.shl (local.get $d) (i32.const 2)))
    (local.set $r (i32.const 0))
    (block $doneRows
      (loop $rowPairs
        (br_if $doneRows (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $pa (i32.add (local.get $data) (i32.mul (i32.add (local.get $i0) (local.get $r)) (local.get $rowBytes))))
        (local.set $pb (i32.add (local.get $pa) (local.get $rowBytes)))
        (local.set $j (local.get $j0))
        (block $doneTiles
          (loop $tiles
            (br_if $doneTiles (i32.ge_u (local.get $j) (local.get $j1)))
            (local.set $p0 (i32.add (local.get $data) (i32.mul (local.get $j) (local.get $rowBytes))))
            (local.set $p1 (i32.add (local.get $p0) (local.get $rowBytes)))
            (local.set $p2 (i32.add (local.get $p1) (local.get $rowBytes)))
            (local.set $p3 (i32.add (local.get $p2) (local.get $rowBytes)))
            (local.set $a0 (v128.const i64x2 0 0)) (local.set $a1 (v128.const i64x2 0 0))
            (local.set $a2 (v128.const i64x2 0 0)) (local.set $a3 (v128.const i64x2 0 0))
            (local.set $b0 (v128.const i64x2 0 0)) (local.set $b1 (v128.const i64x2 0 0))
            (local.set $b2 (v128.const i64x2 0 0)) (local.set $b3 (v128.const i64x2 0 0))
            (local.set $t (i32.const 0))
            (block $doneDims
              (loop $dims
                (br_if $doneDims (i32.ge_u (local.get $t) (local.get $rowBytes)))
                (local.set $xa (v128.load (i32.add (local.get $pa) (local.get $t))))
                (local.set $xb (v128.load (i32.add (local.get $pb) (local.get $t))))
                (local.set $y0 (v128.load (i32.add (local.get $p0) (local.get $t))))
                (local.set $y1 (v128.load (i32.add (local.get $p1) (local.get $t))))
                (local.set $y2 (v128.load (i32.add (local.get $p2) (local.get $t))))
                (local.set $y3 (v128.load (i32.add (local.get $p3) (local.get $t))))
                (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $xa) (local.get $y0))))
                (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $xa) (local.get $y1))))
                (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $xa) (local.get $y2))))
                (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $xa) (local.get $y3))))
                (local.set $b0 (f32x4.add (local.get $b0) (f32x4.mul (local.get $xb) (local.get $y0))))
                (local.set $b1 (f32x4.add (local.get $b1) (f32x4.mul (local.get $xb) (local.get $y1))))
                (local.set $b2 (f32x4.add (local.get $b2) (f32x4.mul (local.get $xb) (local.get $y2))))
                (local.set $b3 (f32x4.add (local.get $b3) (f32x4.mul (local.get $xb) (local.get $y3))))
                (local.set $t (i32.add (local.get $t) (i32.const 16)))
                (br $dims)))
            (local.set $o (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $n)) (local.get $j)) (i32.const 2))))
            (v128.store (local.get $o) (call $hsum4 (local.get $a0) (local.get $a1) (local.get $a2) (local.get $a3)))
            (v128.store (i32.add (local.get $o) (i32.shl (local.get $n) (i32.const 2)))
              (call $hsum4 (local.get $b0) (local.get $b1) (local.get $b2) (local.get $b3)))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $tiles)))
        (local.set $r (i32.add (local.get $r) (i32.const 2)))
        (br $rowPairs))))
)
