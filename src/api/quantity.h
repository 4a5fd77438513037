#pragma once
// resource.Quantity: "500m", "2Gi", "1.5", "1e3", "100Mi", parsed exactly (no floating point),
// compared, and printed in Kubernetes' canonical form.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace mlkube::api {

// An exact decimal quantity with the suffix family it was written in. Immutable value type; safe
// to share between threads.
class Quantity {
 public:
  Quantity() = default;
  // Accepts Kubernetes' grammar: sign, digits, optional fraction, and one suffix among
  // binarySI (Ki Mi Gi Ti Pi Ei), decimalSI (n u m "" k M G T P E) or decimal exponent (e3, E-2).
  // As Kubernetes does, values finer than 1n round away from zero to 1n and binarySI values are
  // capped at 2^63-1. Error messages are Kubernetes': "quantities must match the regular
  // expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'", "unable to parse quantity's
  // suffix", "unable to parse numeric part of quantity" (also used when the significant digits
  // do not fit in 38 decimal digits, a limit Kubernetes does not have).
  static Result<Quantity> Parse(std::string_view s);
  static Quantity FromMilli(int64_t milli);

  // Value rounded away from zero to an integer (Quantity.Value()), and in thousandths
  // (MilliValue()); both saturate at the int64 limits.
  int64_t Value() const;
  int64_t MilliValue() const;
  bool IsZero() const;
  bool IsNegative() const;
  // True when the quantity is a whole number (no fractional part).
  bool IsInteger() const;
  // -1, 0, 1.
  int Cmp(const Quantity& other) const;
  // The text Kubernetes prints: the canonical form ("1.5" becomes "1500m", "1024Mi" becomes
  // "1Gi", "1e3" stays "1e3" because the exponent form is kept, "1000E" becomes "1e21"), except
  // that, as Kubernetes' parser does, an input already in a form its fast path recognises as
  // canonical is echoed verbatim ("+1", "1.500", "1E3" print as written).
  std::string String() const;

  friend bool operator==(const Quantity& a, const Quantity& b) { return a.Cmp(b) == 0; }

 private:
  enum class Format { kDecimalSI, kBinarySI, kDecimalExponent };

  std::string CanonicalString() const;
  // The value scaled to 10^scale, rounded away from zero and saturated to int64.
  int64_t ScaledValue(int32_t scale) const;

  // value = unscaled_ * 10^scale_, exact. unscaled_ has no trailing decimal zeros (zero is
  // stored as 0 * 10^0) and at most 38 digits, so equal values have equal representations.
  __int128 unscaled_ = 0;
  int32_t scale_ = 0;
  Format format_ = Format::kDecimalSI;
  // The input text when Kubernetes would print it back unchanged; empty otherwise.
  std::string verbatim_;
};

}  // namespace mlkube::api
