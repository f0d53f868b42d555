// The wide accumulator of double data, written once over the vector operations of an ISA's traits:
// per-lane TwoSum, so each lane's s + c is its exact running sum up to second-order terms. An ISA's
// double traits get Acc, acc_zero, acc_add, acc_add_prod, acc_lanes and acc_total by deriving from
// CompensatedSum<Ops>, where Ops holds that ISA's arithmetic.
#pragma once

#include "common.h"
#include "log.h"

namespace logitkit {

template <class Ops>
struct CompensatedSum {
  using Reg = typename Ops::R;  // not "R": F64 derives from both, and R must stay unambiguous
  static constexpr size_t kLanes = Ops::N;
  struct Acc {
    Reg s, c;
  };
  static Acc acc_zero() { return Acc{Ops::set1(0.0), Ops::set1(0.0)}; }
  static void acc_add(Acc& a, Reg v) {
    const Reg s = Ops::add(a.s, v);
    const Reg bb = Ops::sub(s, a.s);
    const Reg err = Ops::add(Ops::sub(a.s, Ops::sub(s, bb)), Ops::sub(v, bb));
    a.s = s;
    a.c = Ops::add(a.c, err);
  }
  static void acc_add_prod(Acc& a, Reg x, Reg y) {
    const Reg p = Ops::mul(x, y);
    acc_add(a, p);
    a.c = Ops::add(a.c, Ops::fms(x, y, p));  // the product's rounding error, exactly
  }
  static void acc_lanes(const Acc& a, double* hi, double* lo) {
    double s[kLanes], c[kLanes];
    Ops::store(s, a.s);
    Ops::store(c, a.c);
    for (size_t j = 0; j < kLanes; ++j) {
      // s alone is the IEEE sum; once it is infinite or NaN the correction is NaN (inf - inf in
      // TwoSum) and must not poison it: a +Infinity term sums to +Infinity
      const DD t = std::isfinite(s[j]) ? two_sum(s[j], c[j]) : DD{s[j], 0.0};
      hi[j] = t.hi;
      lo[j] = t.lo;
    }
  }
  // Each lane's s + c as TwoSum gives it (as acc_lanes does, in registers).
  static void lane_sums(const Acc& a, Reg& hi, Reg& lo) {
    hi = Ops::add(a.s, a.c);
    const Reg bb = Ops::sub(hi, a.s);
    lo = Ops::add(Ops::sub(a.s, Ops::sub(hi, bb)), Ops::sub(a.c, bb));
  }
  // 1 / (each lane's sum) as hi + lo: dd_recip of acc_lanes' double-doubles, all lanes at once and
  // bit for bit the same (lanes.h). A lane whose sum is NaN gives NaN either way.
  static void acc_recip(const Acc& a, Reg& hi, Reg& lo) {
    const Reg zero = Ops::set1(0.0), one = Ops::set1(1.0);
    Reg h, l;
    lane_sums(a, h, l);
    const Reg q = Ops::div(one, h);
    const Reg r = Ops::sub(Ops::sub(zero, Ops::fms(h, q, one)), Ops::mul(l, q));  // 1 - h*q - l*q
    hi = q;
    lo = Ops::add(Ops::sub(q, q), Ops::mul(q, r));
  }
  // log(each lane's sum) as hi + lo (log.h), for sums >= 1 or NaN
  static void acc_log(const Acc& a, Reg& hi, Reg& lo) {
    Reg h, l;
    lane_sums(a, h, l);
    VecLog<Ops>::log_dd(h, l, hi, lo);
  }
  static DD acc_total(const Acc& a) {
    double h[kLanes], l[kLanes];
    acc_lanes(a, h, l);
    ExactSum t;
    for (size_t j = 0; j < kLanes; ++j) t.add_dd(DD{h[j], l[j]});
    return t.total();
  }
};

}  // namespace logitkit
