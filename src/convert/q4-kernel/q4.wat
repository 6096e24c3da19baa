;; The converter's WebAssembly SIMD kernels (q4-simd.ts drives them; build.ts assembles this file
;; into q4-wasm.ts): 4-bit block quantization, float32 -> float16 (f32_to_f16) and the transpose
;; of a Linear weight for MatMul (transpose_f32), the last two at the end.
;; The 4-bit kernels compute exactly what the JavaScript reference `quantizeQ4IntoJs` in
;; ../quantize.ts computes, byte for byte:
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
        (br $block))))
  ;; float32 -> IEEE float16 bits, round to nearest even, exactly as `f32ToF16` in
  ;; ../safetensors.ts (overflow to infinity, NaN kept quiet with its top payload bits, float16
  ;; subnormals rounded by one float32 add - F. Giesen's float_to_half_fast3_rtne). `count` values,
  ;; 4 at a time (a multiple of 4).
  (func (export "f32_to_f16") (param $src i32) (param $dst i32) (param $count i32)
    (local $end i32)
    (local $f v128)
    (local $sign v128)
    (local $norm v128)
    (local $sub v128)
    (local $special v128)
    (local $o v128)
    (local $kSign v128)
    (local $kRebias v128)
    (local $kOne v128)
    (local $kHalf v128)
    (local $kNaN v128)
    (local $kMant v128)
    (local $kInf v128)
    (local $kInfBits v128)
    (local $kMinNormal v128)
    (local $kOverflow v128)
    ;; constants held in locals (V8 would rebuild each v128.const in the loop)
    (local.set $kSign (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))
    (local.set $kRebias (v128.const i32x4 0xC8000FFF 0xC8000FFF 0xC8000FFF 0xC8000FFF))
    (local.set $kOne (v128.const i32x4 1 1 1 1))
    (local.set $kHalf (v128.const i32x4 0x3F000000 0x3F000000 0x3F000000 0x3F000000))
    (local.set $kNaN (v128.const i32x4 0x7e00 0x7e00 0x7e00 0x7e00))
    (local.set $kMant (v128.const i32x4 0x7fffff 0x7fffff 0x7fffff 0x7fffff))
    (local.set $kInf (v128.const i32x4 0x7c00 0x7c00 0x7c00 0x7c00))
    (local.set $kInfBits (v128.const i32x4 0x7f800000 0x7f800000 0x7f800000 0x7f800000))
    (local.set $kMinNormal (v128.const i32x4 0x38800000 0x38800000 0x38800000 0x38800000))
    (local.set $kOverflow (v128.const i32x4 0x47800000 0x47800000 0x47800000 0x47800000))
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $count) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $f (v128.load (local.get $src)))
        (local.set $sign (v128.and (local.get $f) (local.get $kSign)))
        (local.set $f (v128.xor (local.get $f) (local.get $sign)))
        ;; normal: rebias the exponent (127 -> 15), add 0xfff plus the kept mantissa's low bit, shift
        (local.set $norm
          (i32x4.shr_u
            (i32x4.add
              (i32x4.add (local.get $f) (local.get $kRebias))
              (v128.and (i32x4.shr_u (local.get $f) (i32.const 13)) (local.get $kOne)))
            (i32.const 13)))
        ;; below 2^-14: add 0.5 so the float32 adder rounds to float16's subnormal step
        (local.set $sub
          (i32x4.sub
            (f32x4.add (local.get $f) (local.get $kHalf))
            (local.get $kHalf)))
        ;; 65536 and up: infinity, or NaN (0x7e00 | top mantissa bits). With the sign cleared the
        ;; bits compare as signed integers in float order.
        (local.set $special
          (v128.bitselect
            (v128.or
              (local.get $kNaN)
              (i32x4.shr_u (v128.and (local.get $f) (local.get $kMant)) (i32.const 13)))
            (local.get $kInf)
            (i32x4.gt_s (local.get $f) (local.get $kInfBits))))
        (local.set $o
          (v128.bitselect
            (local.get $special)
            (v128.bitselect
              (local.get $sub)
              (local.get $norm)
              (i32x4.lt_s (local.get $f) (local.get $kMinNormal)))
            (i32x4.ge_s (local.get $f) (local.get $kOverflow))))
        (local.set $o (v128.or (local.get $o) (i32x4.shr_u (local.get $sign) (i32.const 16))))
        (v128.store64_lane 0 (local.get $dst)
          (i8x16.shuffle 0 1 4 5 8 9 12 13 0 1 4 5 8 9 12 13 (local.get $o) (local.get $o)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 8)))
        (br $next))))

  ;; Writes `rows` (a multiple of 4) rows of `cols` (a multiple of 4) float32 values at `src` as
  ;; columns `col0` ... of the row-major [cols, n] float32 matrix at `dst`: one block of rows of a
  ;; PyTorch Linear weight [n, k] into its ONNX MatMul B [k, n]. 4 x 4 blocks, transposed in
  ;; registers; the row loop is inner so each output row gets `rows` contiguous values.
  (func (export "transpose_f32") (param $src i32) (param $rows i32) (param $cols i32) (param $dst i32) (param $n i32) (param $col0 i32)
    (local $c i32)
    (local $r i32)
    (local $p i32)
    (local $q i32)
    (local $rowBytes i32)
    (local $outRowBytes i32)
    (local $a0 v128)
    (local $a1 v128)
    (local $a2 v128)
    (local $a3 v128)
    (local $t0 v128)
    (local $t1 v128)
    (local $t2 v128)
    (local $t3 v128)
    (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $outRowBytes (i32.shl (local.get $n) (i32.const 2)))
    (block $doneC
      (loop $nextC
        (br_if $doneC (i32.ge_u (local.get $c) (local.get $cols)))
        (local.set $r (i32.const 0))
        (block $doneR
          (loop $nextR
            (br_if $doneR (i32.ge_u (local.get $r) (local.get $rows)))
            ;; p: src[r][c]; q: dst[c][col0 + r]
            (local.set $p
              (i32.add (local.get $src)
                (i32.add (i32.mul (local.get $r) (local.get $rowBytes)) (i32.shl (local.get $c) (i32.const 2)))))
            (local.set $a0 (v128.load (local.get $p)))
            (local.set $a1 (v128.load (i32.add (local.get $p) (local.get $rowBytes))))
            (local.set $a2 (v128.load (i32.add (local.get $p) (i32.shl (local.get $rowBytes) (i32.const 1)))))
            (local.set $a3 (v128.load (i32.add (local.get $p) (i32.mul (local.get $rowBytes) (i32.const 3)))))
            ;; t0 = a0[0] a1[0] a0[1] a1[1], t1 = a0[2] a1[2] a0[3] a1[3], t2/t3 the same of a2, a3
            (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a0) (local.get $a1)))
            (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a0) (local.get $a1)))
            (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a2) (local.get $a3)))
            (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a2) (local.get $a3)))
            (local.set $q
              (i32.add (local.get $dst)
                (i32.add (i32.mul (local.get $c) (local.get $outRowBytes))
                         (i32.shl (i32.add (local.get $col0) (local.get $r)) (i32.const 2)))))
            (v128.store (local.get $q)
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
            (v128.store (i32.add (local.get $q) (local.get $outRowBytes))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
            (v128.store (i32.add (local.get $q) (i32.shl (local.get $outRowBytes) (i32.const 1)))
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
            (v128.store (i32.add (local.get $q) (i32.mul (local.get $outRowBytes) (i32.const 3)))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
            (local.set $r (i32.add (local.get $r) (i32.const 4)))
            (br $nextR)))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $nextC))))
)
