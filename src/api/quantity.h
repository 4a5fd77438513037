#pragma once
// resource.Quantity: "500m", "2Gi", "1.5", "1e3", "100Mi", parsed exactly (no floating point),
// compared, and printed in Kubernetes' canonical form.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace mlkube::api {

class Quantity {
 public:
  Quantity() = default;
  // Accepts Kubernetes' grammar: sign, digits, optional fraction, and one suffix among
  // binarySI (Ki Mi Gi Ti Pi Ei), decimalSI (n u m "" k M G T P E) or decimal exponent (e3, E-2).
  // Error message as Kubernetes': "quantities must match the regular expression
  // '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'".
  static Result<Quantity> Parse(std::string_view s);
  static Quantity FromMilli(int64_t milli);

  // Value rounded up to an integer (Quantity.Value()), and in thousandths (MilliValue()).
  int64_t Value() const;
  int64_t MilliValue() const;
  bool IsZero() const;
  bool IsNegative() const;
  // True when the quantity is a whole number (no fractional part).
  bool IsInteger() const;
  // -1, 0, 1.
  int Cmp(const Quantity& other) const;
  // Canonical form as Kubernetes prints it ("1500m" stays "1500m", "1.5" becomes "1500m",
  // "1024Mi" becomes "1Gi", "1e3" becomes "1k").
  std::string String() const;

  friend bool operator==(const Quantity& a, const Quantity& b) { return a.Cmp(b) == 0; }

 private:
  // value = unscaled_ * 10^scale_ (decimal) — exact for every valid quantity within range.
  __int128 unscaled_ = 0;
  int32_t scale_ = 0;
  enum class Format { kDecimalSI, kBinarySI, kDecimalExponent } format_ = Format::kDecimalSI;
};

}  // namespace mlkube::api
