;; The Gaussian mixture's E-step (gmm.ts, eStep) and M-step sums in WebAssembly: the loops a clustering call spends most of its time
;; in. Same operations in the same order as the JavaScript version, with exp and log imported from JavaScript's
;; Math, so the posteriors are the same bit for bit (test/unit/cluster-wasm.test.ts compares them); what it saves
;; is the bounds checks and the untyped-number overheads of the JavaScript loop. Compiled to emKernel.ts by
;; `node scripts/build-wasm.mjs`.
;;
;; For each point i (rows of x, n×d f64): every component c's log-density constant[c] − ½·|U_c x − shift_c|², where
;; U_c = L_c⁻¹ is lower triangular (d×d) and shift_c = U_c μ_c; the sum of squares is abandoned (log-density −∞)
;; once it is `cutoff` nats below the best so far, starting from the point's previous best component top[i].
;; Output: the point's non-zero posteriors in component order (comps/values from offsets[i] to offsets[i+1]),
;; its new best component in top[i]; returns Σ_i log p(x_i).
(module
  (import "env" "memory" (memory 1))
  (import "math" "exp" (func $exp (param f64) (result f64)))
  (import "math" "log" (func $log (param f64) (result f64)))

  (func (export "estep")
    (param $n i32) (param $d i32) (param $k i32) (param $cutoff f64)
    (param $pX i32) (param $pInv i32) (param $pShift i32) (param $pConst i32) (param $pLogp i32)
    (param $pTop i32) (param $pOff i32) (param $pComps i32) (param $pVals i32)
    (result f64)
    (local $i i32) (local $step i32) (local $c i32) (local $first i32) (local $r i32) (local $t i32)
    (local $xi i32) (local $row i32) (local $used i32) (local $best i32)
    (local $max f64) (local $limit f64) (local $maha f64) (local $s f64) (local $v f64) (local $sum f64)
    (local $e f64) (local $scale f64) (local $total f64) (local $constC f64) (local $rv f64)
    (local.set $total (f64.const 0))
    (local.set $used (i32.const 0))
    (local.set $i (i32.const 0))
    (block $donePoints
      (loop $points
        (br_if $donePoints (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $xi (i32.add (local.get $pX) (i32.shl (i32.mul (local.get $i) (local.get $d)) (i32.const 3))))
        (local.set $first (i32.load (i32.add (local.get $pTop) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $max (f64.const -inf))
        ;; log-densities, the previous best component first
        (local.set $step (i32.const 0))
        (block $doneSteps
          (loop $steps
            (br_if $doneSteps (i32.ge_u (local.get $step) (local.get $k)))
            (local.set $c
              (if (result i32) (i32.eqz (local.get $step))
                (then (local.get $first))
                (else
                  (if (result i32) (i32.le_u (local.get $step) (local.get $first))
                    (then (i32.sub (local.get $step) (i32.const 1)))
                    (else (local.get $step))))))
            (local.set $constC (f64.load (i32.add (local.get $pConst) (i32.shl (local.get $c) (i32.const 3)))))
            (local.set $limit (f64.mul (f64.const 2) (f64.add (f64.sub (local.get $constC) (local.get $max)) (local.get $cutoff))))
            (local.set $maha (f64.const 0))
            (local.set $r (i32.const 0))
            (block $doneRows
              (loop $rows
                (br_if $doneRows (i32.ge_u (local.get $r) (local.get $d)))
                (br_if $doneRows (i32.eqz (f64.le (local.get $maha) (local.get $limit))))
                ;; s = −shift[c][r] + Σ_{t ≤ r} inv[c][r][t] · x[i][t]
                (local.set $s (f64.neg (f64.load (i32.add (local.get $pShift)
                  (i32.shl (i32.add (i32.mul (local.get $c) (local.get $d)) (local.get $r)) (i32.const 3))))))
                (local.set $row (i32.add (local.get $pInv)
                  (i32.shl (i32.mul (i32.add (i32.mul (local.get $c) (local.get $d)) (local.get $r)) (local.get $d)) (i32.const 3))))
                (local.set $t (i32.const 0))
                (block $doneTerms
                  (loop $terms
                    (br_if $doneTerms (i32.gt_u (local.get $t) (local.get $r)))
                    (local.set $s (f64.add (local.get $s)
                      (f64.mul
                        (f64.load (i32.add (local.get $row) (i32.shl (local.get $t) (i32.const 3))))
                        (f64.load (i32.add (local.get $xi) (i32.shl (local.get $t) (i32.const 3)))))))
                    (local.set $t (i32.add (local.get $t) (i32.const 1)))
                    (br $terms)))
                (local.set $maha (f64.add (local.get $maha) (f64.mul (local.get $s) (local.get $s))))
                (local.set $r (i32.add (local.get $r) (i32.const 1)))
                (br $rows)))
            (local.set $v
              (if (result f64) (f64.gt (local.get $maha) (local.get $limit))
                (then (f64.const -inf))
                (else (f64.sub (local.get $constC) (f64.mul (f64.const 0.5) (local.get $maha))))))
            (f64.store (i32.add (local.get $pLogp) (i32.shl (local.get $c) (i32.const 3))) (local.get $v))
            (if (f64.gt (local.get $v) (local.get $max)) (then (local.set $max (local.get $v))))
            (local.set $step (i32.add (local.get $step) (i32.const 1)))
            (br $steps)))
        ;; e^(logp − max) and their sum, skipping the cut-off components (exactly 0)
        (local.set $sum (f64.const 0))
        (local.set $c (i32.const 0))
        (block $doneExp
          (loop $exps
            (br_if $doneExp (i32.ge_u (local.get $c) (local.get $k)))
            (local.set $v (f64.load (i32.add (local.get $pLogp) (i32.shl (local.get $c) (i32.const 3)))))
            (if (f64.ne (local.get $v) (f64.const -inf))
              (then
                (local.set $e (call $exp (f64.sub (local.get $v) (local.get $max))))
                (f64.store (i32.add (local.get $pLogp) (i32.shl (local.get $c) (i32.const 3))) (local.get $e))
                (local.set $sum (f64.add (local.get $sum) (local.get $e)))))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $exps)))
        (local.set $total (f64.add (local.get $total) (f64.add (local.get $max) (call $log (local.get $sum)))))
        (local.set $scale (f64.div (f64.const 1) (local.get $sum)))
        ;; the non-zero posteriors, in component order; the best one (ties to the lowest component)
        (local.set $best (i32.const -1))
        (local.set $c (i32.const 0))
        (block $doneOut
          (loop $outs
            (br_if $doneOut (i32.ge_u (local.get $c) (local.get $k)))
            (local.set $v (f64.load (i32.add (local.get $pLogp) (i32.shl (local.get $c) (i32.const 3)))))
            (if (f64.ne (local.get $v) (f64.const -inf))
              (then
                (local.set $rv (f64.mul (local.get $v) (local.get $scale)))
                (if (f64.ne (local.get $rv) (f64.const 0))
                  (then
                    (if (i32.or
                          (i32.lt_s (local.get $best) (i32.const 0))
                          (f64.gt (local.get $rv)
                            (f64.load (i32.add (local.get $pVals) (i32.shl (local.get $best) (i32.const 3))))))
                      (then (local.set $best (local.get $used))))
                    (i32.store (i32.add (local.get $pComps) (i32.shl (local.get $used) (i32.const 2))) (local.get $c))
                    (f64.store (i32.add (local.get $pVals) (i32.shl (local.get $used) (i32.const 3))) (local.get $rv))
                    (local.set $used (i32.add (local.get $used) (i32.const 1)))))))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $outs)))
        (i32.store (i32.add (local.get $pTop) (i32.shl (local.get $i) (i32.const 2)))
          (if (result i32) (i32.lt_s (local.get $best) (i32.const 0))
            (then (i32.const 0))
            (else (i32.load (i32.add (local.get $pComps) (i32.shl (local.get $best) (i32.const 2)))))))
        (i32.store (i32.add (local.get $pOff) (i32.shl (i32.add (local.get $i) (i32.const 1)) (i32.const 2))) (local.get $used))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $points)))
    (local.get $total))
;; The M-step's sums (gmm.ts, mStep), over the sparse posteriors the E-step left in memory. On entry nk[c] holds
  ;; its floor and means/covs are zero; on exit nk[c] = floor + Σ r, means[c] = Σ r·x / nk[c] and the lower triangle
  ;; of covs[c] = Σ r·(x − μ)(x − μ)ᵀ over posteriors r ≥ 1e-12, each summed in point order as the JavaScript does.
  (func (export "mstats")
    (param $n i32) (param $d i32) (param $k i32)
    (param $pX i32) (param $pOff i32) (param $pComps i32) (param $pVals i32)
    (param $pNk i32) (param $pMeans i32) (param $pCovs i32) (param $pDiff i32)
    (local $i i32) (local $p i32) (local $end i32) (local $c i32) (local $j i32) (local $a i32) (local $b i32)
    (local $xi i32) (local $mu i32) (local $at i32) (local $row i32)
    (local $r f64) (local $ra f64)
    ;; weights and means
    (local.set $i (i32.const 0))
    (block $done1
      (loop $points1
        (br_if $done1 (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $xi (i32.add (local.get $pX) (i32.shl (i32.mul (local.get $i) (local.get $d)) (i32.const 3))))
        (local.set $p (i32.load (i32.add (local.get $pOff) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $end (i32.load (i32.add (local.get $pOff) (i32.shl (i32.add (local.get $i) (i32.const 1)) (i32.const 2)))))
        (block $doneEntries1
          (loop $entries1
            (br_if $doneEntries1 (i32.ge_s (local.get $p) (local.get $end)))
            (local.set $c (i32.load (i32.add (local.get $pComps) (i32.shl (local.get $p) (i32.const 2)))))
            (local.set $r (f64.load (i32.add (local.get $pVals) (i32.shl (local.get $p) (i32.const 3)))))
            (local.set $at (i32.add (local.get $pNk) (i32.shl (local.get $c) (i32.const 3))))
            (f64.store (local.get $at) (f64.add (f64.load (local.get $at)) (local.get $r)))
            (local.set $mu (i32.add (local.get $pMeans) (i32.shl (i32.mul (local.get $c) (local.get $d)) (i32.const 3))))
            (local.set $j (i32.const 0))
            (block $doneDims1
              (loop $dims1
                (br_if $doneDims1 (i32.ge_u (local.get $j) (local.get $d)))
                (local.set $at (i32.add (local.get $mu) (i32.shl (local.get $j) (i32.const 3))))
                (f64.store (local.get $at) (f64.add (f64.load (local.get $at))
                  (f64.mul (local.get $r) (f64.load (i32.add (local.get $xi) (i32.shl (local.get $j) (i32.const 3)))))))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $dims1)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $entries1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $points1)))
    ;; means[c] /= nk[c]
    (local.set $c (i32.const 0))
    (block $doneDivide
      (loop $divide
        (br_if $doneDivide (i32.ge_u (local.get $c) (local.get $k)))
        (local.set $r (f64.load (i32.add (local.get $pNk) (i32.shl (local.get $c) (i32.const 3)))))
        (local.set $mu (i32.add (local.get $pMeans) (i32.shl (i32.mul (local.get $c) (local.get $d)) (i32.const 3))))
        (local.set $j (i32.const 0))
        (block $doneDims2
          (loop $dims2
            (br_if $doneDims2 (i32.ge_u (local.get $j) (local.get $d)))
            (local.set $at (i32.add (local.get $mu) (i32.shl (local.get $j) (i32.const 3))))
            (f64.store (local.get $at) (f64.div (f64.load (local.get $at)) (local.get $r)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $dims2)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $divide)))
    ;; covariances (lower triangles)
    (local.set $i (i32.const 0))
    (block $done3
      (loop $points3
        (br_if $done3 (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $xi (i32.add (local.get $pX) (i32.shl (i32.mul (local.get $i) (local.get $d)) (i32.const 3))))
        (local.set $p (i32.load (i32.add (local.get $pOff) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $end (i32.load (i32.add (local.get $pOff) (i32.shl (i32.add (local.get $i) (i32.const 1)) (i32.const 2)))))
        (block $doneEntries3
          (loop $entries3
            (br_if $doneEntries3 (i32.ge_s (local.get $p) (local.get $end)))
            (local.set $r (f64.load (i32.add (local.get $pVals) (i32.shl (local.get $p) (i32.const 3)))))
            (if (i32.eqz (f64.lt (local.get $r) (f64.const 1e-12)))
              (then
                (local.set $c (i32.load (i32.add (local.get $pComps) (i32.shl (local.get $p) (i32.const 2)))))
                (local.set $mu (i32.add (local.get $pMeans) (i32.shl (i32.mul (local.get $c) (local.get $d)) (i32.const 3))))
                (local.set $j (i32.const 0))
                (block $doneDiff
                  (loop $diffs
                    (br_if $doneDiff (i32.ge_u (local.get $j) (local.get $d)))
                    (f64.store (i32.add (local.get $pDiff) (i32.shl (local.get $j) (i32.const 3)))
                      (f64.sub
                        (f64.load (i32.add (local.get $xi) (i32.shl (local.get $j) (i32.const 3))))
                        (f64.load (i32.add (local.get $mu) (i32.shl (local.get $j) (i32.const 3))))))
                    (local.set $j (i32.add (local.get $j) (i32.const 1)))
                    (br $diffs)))
                (local.set $a (i32.const 0))
                (block $doneA
                  (loop $rowsA
                    (br_if $doneA (i32.ge_u (local.get $a) (local.get $d)))
                    (local.set $ra (f64.mul (local.get $r) (f64.load (i32.add (local.get $pDiff) (i32.shl (local.get $a) (i32.const 3))))))
                    (local.set $row (i32.add (local.get $pCovs)
                      (i32.shl (i32.mul (i32.add (i32.mul (local.get $c) (local.get $d)) (local.get $a)) (local.get $d)) (i32.const 3))))
                    (local.set $b (i32.const 0))
                    (block $doneB
                      (loop $colsB
                        (br_if $doneB (i32.gt_u (local.get $b) (local.get $a)))
                        (local.set $at (i32.add (local.get $row) (i32.shl (local.get $b) (i32.const 3))))
                        (f64.store (local.get $at) (f64.add (f64.load (local.get $at))
                          (f64.mul (local.get $ra) (f64.load (i32.add (local.get $pDiff) (i32.shl (local.get $b) (i32.const 3)))))))
                        (local.set $b (i32.add (local.get $b) (i32.const 1)))
                        (br $colsB)))
                    (local.set $a (i32.add (local.get $a) (i32.const 1)))
                    (br $rowsA)))))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $entries3)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $points3))))
)
