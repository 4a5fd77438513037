#pragma once
// Field-level validation errors, shaped and worded like Kubernetes' field.Error so that a 422
// carries the same details.causes and kubectl prints the same lines.

#include <string>
#include <string_view>
#include <vector>

#include "api/json.h"
#include "common/status.h"

namespace mlkube::api {

// A field path such as `spec.containers[0].image` or `metadata.labels[app]`.
class Path {
 public:
  Path() = default;
  explicit Path(std::string root) : s_(std::move(root)) {}
  Path Child(std::string_view name) const;
  Path Index(size_t i) const;
  Path Key(std::string_view key) const;
  const std::string& str() const { return s_; }

 private:
  std::string s_;
};

enum class ErrorType {
  kRequired,      // FieldValueRequired   "Required value"
  kInvalid,       // FieldValueInvalid    "Invalid value"
  kNotSupported,  // FieldValueNotSupported "Unsupported value"
  kDuplicate,     // FieldValueDuplicate  "Duplicate value"
  kForbidden,     // FieldValueForbidden  "Forbidden"
  kTooLong,       // FieldValueTooLong    "Too long"
  kTooMany,       // FieldValueTooMany    "Too many"
  kNotFound,      // FieldValueNotFound   "Not found"
  kInternal,      // InternalError        "Internal error"
};

struct FieldError {
  ErrorType type;
  std::string field;
  Json bad_value;  // null when there is none to show
  std::string detail;

  // "FieldValueInvalid" etc.
  const char* Reason() const;
  // What follows "field: ", e.g. `Invalid value: -1: must be greater than or equal to 0`.
  std::string Body() const;
  // `spec.replicas: Invalid value: -1: must be greater than or equal to 0`.
  std::string Error() const;
};

using ErrorList = std::vector<FieldError>;

FieldError Required(const Path& p, std::string detail = "");
FieldError Invalid(const Path& p, Json value, std::string detail);
FieldError NotSupported(const Path& p, Json value, const std::vector<std::string>& valid);
FieldError Duplicate(const Path& p, Json value);
FieldError Forbidden(const Path& p, std::string detail);
FieldError TooLong(const Path& p, Json value, size_t max_length);
FieldError TooMany(const Path& p, size_t actual, size_t max);
FieldError FieldNotFound(const Path& p, Json value);

// 422 Invalid: `<Kind>[.<group>] "<name>" is invalid: <errors>` with one cause per error.
Status InvalidStatus(const std::string& group, const std::string& kind, const std::string& name,
                     const ErrorList& errors);

}  // namespace mlkube::api
