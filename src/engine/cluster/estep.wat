;; The Gaussian mixture's E-step (gmm.ts, eStep) in WebAssembly: the loop a clustering call spends most of its time
;; in. Same operations in the same order as the JavaScript version, with exp and log imported from JavaScript's
;; Math, so the posteriors are the same bit for bit (test/unit/cluster-wasm.test.ts compares them); what it saves
;; is the bounds checks and the untyped-number overheads of the JavaScript loop. Compiled to estepKernel.ts by
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
)
