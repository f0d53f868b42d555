// Helpers shared by the op implementations (ops layer only; compiled with the baseline flags).
#pragma once

#include <cmath>
#include <limits>

#include "../kernels/common.h"

namespace logitkit {

// A piece of work handed to parallel_for covers at least this many elements.
constexpr size_t kGrainElements = size_t(1) << 15;

// 1/temperature as a double-double, clamped so its high part stays finite in T (a temperature below
// 1/max(T), e.g. 2.9e-39 for float, acts like 1/max(T)).
template <class T>
DD inverse_temperature(double temperature) {
  if (temperature == 1.0) return DD{1.0, 0.0};
  double q = 1.0 / temperature;
  const double cap = static_cast<double>(std::numeric_limits<T>::max());
  if (!(q <= cap)) return DD{cap, 0.0};
  return DD{q, std::fma(-q, temperature, 1.0) / temperature};
}

// exp((a - b) * it + off) for finite a <= b and |off| <= 0.35, with a - b formed exactly: relative
// error ~1 ulp of double whatever the size of a - b. The merge factor of a chunk of maximum a whose
// expsum returned offset off (its terms are exp((x - a) * it - off)), in a row of maximum b.
static inline double exp_diff(double a, double b, DD it, DD off) {
  DD d = two_sum(a, -b);
  double p = d.hi * it.hi;
  double pe = std::fma(d.hi, it.hi, -p) + d.hi * it.lo + d.lo * it.hi;
  const DD q = two_sum(p, off.hi);
  double e = std::exp(q.hi);
  return e + e * (pe + q.lo + off.lo);
}

}  // namespace logitkit
