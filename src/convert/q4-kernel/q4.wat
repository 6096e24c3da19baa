;; 4-bit block quantization kernels in WebAssembly SIMD, for `prm convert` (q4-simd.ts drives
;; them; build.ts assembles this file into q4-wasm.ts). They compute exactly what the JavaScript
;; reference `quantizeQ4IntoJs` in ../quantize.ts computes, byte for byte:
;;
;;   vmax  = the block value of largest magnitude, keeping its sign; on a tie |min| == max the
;;           first of the two in the block (scalar scan, rare)
;;   scale = vmax == 0 ? 0 : f32(vmax / -8)              (block_scales)
;;   recip = scale != 0 ? 1 / f64(scale) : 0             (pack_q4, in float64 as JavaScript does)
;;   q     = min(trunc(f64(w) * recip + 8.5), 15), two per byte, low nibble first
;;
;; Max/min use pmax/pmin, whose "a < b ? b : a" matches the reference's `v > hi ? v : hi`: a NaN
;; value never wins and +0 stays +0, so the lane order of the reduction does not change the result.
;; Inputs: whole blocks only (the caller handles a k that is not a multiple of the block size);
;; block size a multiple of 16; counts of values a multiple of 8.

(module
  (memory (export "memory") 8)

  ;; bfloat16 -> float32 (a bfloat16 is the top half of a float32): `count` values, 8 at a time.
  (func (export "decode_bf16") (param $src i32) (param $dst i32) (param $count i32)
    (local $end i32)
    (local $v v128)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $count) (i32.const 1))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $v (v128.load (local.get $src)))
        (v128.store (local.get $dst)
          (i32x4.shl (i32x4.extend_low_i16x8_u (local.get $v)) (i32.const 16)))
        (v128.store offset=16 (local.get $dst)
          (i32x4.shl (i32x4.extend_high_i16x8_u (local.get $v)) (i32.const 16)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
        (br $next))))

  ;; One float32 scale per block of `bs` float32 values at `src`, written to `scales`.
  (func (export "block_scales") (param $src i32) (param $blocks i32) (param $bs i32) (param $scales i32)
    (local $b i32)
    (local $p i32)
    (local $q i32)
    (local $end i32)
    (local $hi v128)
    (local $lo v128)
    (local $h f32)
    (local $l f32)
    (local $x f32)
    (local $vmax f32)
    (local.set $p (local.get $src))
    (block $done
      (loop $block
        (br_if $done (i32.ge_u (local.get $b) (local.get $blocks)))
        (local.set $end (i32.add (local.get $p) (i32.shl (local.get $bs) (i32.const 2))))
        (local.set $hi (v128.const f32x4 0 0 0 0))
        (local.set $lo (v128.const f32x4 0 0 0 0))
        (local.set $q (local.get $p))
        (loop $scan
          (local.set $hi (f32x4.pmax (local.get $hi) (v128.load (local.get $q))))
          (local.set $lo (f32x4.pmin (local.get $lo) (v128.load (local.get $q))))
          (local.set $hi (f32x4.pmax (local.get $hi) (v128.load offset=16 (local.get $q))))
          (local.set $lo (f32x4.pmin (local.get $lo) (v128.load offset=16 (local.get $q))))
          (local.set $hi (f32x4.pmax (local.get $hi) (v128.load offset=32 (local.get $q))))
          (local.set $lo (f32x4.pmin (local.get $lo) (v128.load offset=32 (local.get $q))))
          (local.set $hi (f32x4.pmax (local.get $hi) (v128.load offset=48 (local.get $q))))
          (local.set $lo (f32x4.pmin (local.get $lo) (v128.load offset=48 (local.get $q))))
          (local.set $q (i32.add (local.get $q) (i32.const 64)))
          (br_if $scan (i32.lt_u (local.get $q) (local.get $end))))
        ;; Lanes -> one value, with the same comparisons as the vector step.
        (local.set $h (f32x4.extract_lane 0 (local.get $hi)))
        (local.set $x (f32x4.extract_lane 1 (local.get $hi)))
        (local.set $h (select (local.get $x) (local.get $h) (f32.gt (local.get $x) (local.get $h))))
        (local.set $x (f32x4.extract_lane 2 (local.get $hi)))
        (local.set $h (select (local.get $x) (local.get $h) (f32.gt (local.get $x) (local.get $h))))
        (local.set $x (f32x4.extract_lane 3 (local.get $hi)))
        (local.set $h (select (local.get $x) (local.get $h) (f32.gt (local.get $x) (local.get $h))))
        (local.set $l (f32x4.extract_lane 0 (local.get $lo)))
        (local.set $x (f32x4.extract_lane 1 (local.get $lo)))
        (local.set $l (select (local.get $x) (local.get $l) (f32.lt (local.get $x) (local.get $l))))
        (local.set $x (f32x4.extract_lane 2 (local.get $lo)))
        (local.set $l (select (local.get $x) (local.get $l) (f32.lt (local.get $x) (local.get $l))))
        (local.set $x (f32x4.extract_lane 3 (local.get $lo)))
        (local.set $l (select (local.get $x) (local.get $l) (f32.lt (local.get $x) (local.get $l))))
        (local.set $vmax
          (select (local.get $l) (local.get $h) (f32.gt (f32.neg (local.get $l)) (local.get $h))))
        ;; |min| == max: the first of the two in the block decides the sign.
        (if (i32.and (f32.eq (f32.neg (local.get $l)) (local.get $h))
                     (f32.ne (local.get $h) (f32.const 0)))
          (then
            (local.set $q (local.get $p))
            (block $found
              (loop $find
                (local.set $x (f32.load (local.get $q)))
                (if (i32.or (f32.eq (local.get $x) (local.get $h)) (f32.eq (local.get $x) (local.get $l)))
                  (then
                    (local.set $vmax (local.get $x))
                    (br $found)))
                (local.set $q (i32.add (local.get $q) (i32.const 4)))
                (br_if $find (i32.lt_u (local.get $q) (local.get $end)))))))
        (f32.store (local.get $scales)
          (select (f32.const 0) (f32.mul (local.get $vmax) (f32.const -0.125))
                  (f32.eq (local.get $vmax) (f32.const 0))))
        (local.set $scales (i32.add (local.get $scales) (i32.const 4)))
        (local.set $p (local.get $end))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $block))))

  ;; Packs blocks of `bs` float32 values at `src` with their `scales` into `out`, bs / 2 bytes each.
  (func (export "pack_q4") (param $src i32) (param $blocks i32) (param $bs i32) (param $scales i32) (param $out i32)
    (local $b i32)
    (local $end i32)
    (local $s f32)
    (local $recip v128)
    (local $bytes v128)
    (local $lo8 v128)
    (local $hi8 v128)
    (local $half v128)
    (local $magic v128)
    (local.set $half (v128.const f64x2 8.5 8.5))
    (local.set $magic (v128.const f64x2 0x1p52 0x1p52))
    (block $done
      (loop $block
        (br_if $done (i32.ge_u (local.get $b) (local.get $blocks)))
        (local.set $s (f32.load (local.get $scales)))
        (local.set $recip
          (f64x2.splat
            (select
              (f64.div (f64.const 1) (f64.promote_f32 (local.get $s)))
              (f64.const 0)
              (f32.ne (local.get $s) (f32.const 0)))))
        (local.set $end (i32.add (local.get $src) (i32.shl (local.get $bs) (i32.const 2))))
        (loop $values
          ;; 16 values per turn, two at a time in float64 (as the reference computes). x is in
          ;; [0, 17) or NaN, so floor(x) + 2^52 holds trunc(x) in its low 32 bits (NaN: 0, as
          ;; trunc_sat and the reference's `| 0` give); a shuffle keeps those.
          ;; values 0..7: i16 lanes q0..q7, as i32 lanes q(2j) | q(2j+1) << 16
          (local.set $lo8
            (i16x8.min_s
              (i16x8.narrow_i32x4_s
                (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
              (f64x2.add
                (f64x2.floor
                  (f64x2.add
                    (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero offset=0 (local.get $src))) (local.get $recip))
                    (local.get $half)))
                (local.get $magic))
              (f64x2.add
                (f64x2.floor
                  (f64x2.add
                    (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $src))) (local.get $recip))
                    (local.get $half)))
                (local.get $magic)))
                (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
              (f64x2.add
                (f64x2.floor
                  (f64x2.add
                    (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero offset=16 (local.get $src))) (local.get $recip))
                    (local.get $half)))
                (local.get $magic))
              (f64x2.add
                (f64x2.floor
                  (f64x2.add
                    (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero offset=24 (local.get $src))) (local.get $recip))
                    (local.get $half)))
                (local.get $magic))))
              (v128.const i16x8 15 15 15 15 15 15 15 15)))
          (local.set $lo8
            (v128.and (v128.or (local.get $lo8) (i32x4.shr_u (local.get $lo8) (i32.const 12)))
                      (v128.const i32x4 0xff 0xff 0xff 0xff)))
          ;; values 8..15
          (local.set $hi8
            (i16x8.min_s
              (i16x8.narrow_i32x4_s
                (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
              (f64x2.add
                (f64x2.floor
                  (f64x2.add
                    (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero offset=32 (local.get $src))) (local.get $recip))
                    (local.get $half)))
                (local.get $magic))
              (f64x2.add
                (f64x2.floor
                  (f64x2.add
                    (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero offset=40 (local.get $src))) (local.get $recip))
                    (local.get $half)))
                (local.get $magic)))
                (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
              (f64x2.add
                (f64x2.floor
                  (f64x2.add
                    (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero offset=48 (local.get $src))) (local.get $recip))
                    (local.get $half)))
                (local.get $magic))
              (f64x2.add
                (f64x2.floor
                  (f64x2.add
                    (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero offset=56 (local.get $src))) (local.get $recip))
                    (local.get $half)))
                (local.get $magic))))
              (v128.const i16x8 15 15 15 15 15 15 15 15)))
          (local.set $hi8
            (v128.and (v128.or (local.get $hi8) (i32x4.shr_u (local.get $hi8) (i32.const 12)))
                      (v128.const i32x4 0xff 0xff 0xff 0xff)))
          ;; i32 lanes -> bytes q(2j) | q(2j+1) << 4
          (local.set $bytes
            (i8x16.narrow_i16x8_u
              (i16x8.narrow_i32x4_u (local.get $lo8) (local.get $hi8))
              (v128.const i16x8 0 0 0 0 0 0 0 0)))
          (v128.store64_lane 0 (local.get $out) (local.get $bytes))
          (local.set $out (i32.add (local.get $out) (i32.const 8)))
          (local.set $src (i32.add (local.get $src) (i32.const 64)))
          (br_if $values (i32.lt_u (local.get $src) (local.get $end))))
        (local.set $scales (i32.add (local.get $scales) (i32.const 4)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $block)))))
