#pragma once
// Status and Result<T>: mlkube's error currency. Codes map one-to-one onto the reasons of
// Kubernetes' metav1.Status so an error travels from any layer to the wire unchanged.

#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace mlkube {

enum class Code {
  kOk,
  kBadRequest,            // 400 BadRequest
  kUnauthorized,          // 401 Unauthorized
  kForbidden,             // 403 Forbidden
  kNotFound,              // 404 NotFound
  kMethodNotAllowed,      // 405 MethodNotAllowed
  kNotAcceptable,         // 406 NotAcceptable
  kAlreadyExists,         // 409 AlreadyExists
  kConflict,              // 409 Conflict
  kGone,                  // 410 Expired
  kRequestEntityTooLarge, // 413 RequestEntityTooLarge
  kUnsupportedMediaType,  // 415 UnsupportedMediaType
  kInvalid,               // 422 Invalid
  kTooManyRequests,       // 429 TooManyRequests
  kInternal,              // 500 InternalError
  kUnavailable,           // 503 ServiceUnavailable
  kTimeout,               // 504 Timeout
};

int HttpCode(Code code);
// The metav1.StatusReason string, e.g. "NotFound"; "" for kOk.
const char* Reason(Code code);

// One entry of metav1.StatusDetails.causes.
struct StatusCause {
  std::string reason;   // e.g. "FieldValueRequired"
  std::string message;  // e.g. "Required value"
  std::string field;    // e.g. "spec.containers[0].image"
};

// metav1.StatusDetails: what the error is about.
struct StatusDetails {
  std::string name;
  std::string group;
  std::string kind;  // the resource (plural) or the Kind, as Kubernetes puts it for the reason
  std::vector<StatusCause> causes;
  int retry_after_seconds = 0;
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  Status(Code code, std::string message, StatusDetails details)
      : code_(code), message_(std::move(message)), details_(std::move(details)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::optional<StatusDetails>& details() const { return details_; }

 private:
  Code code_ = Code::kOk;
  std::string message_;
  std::optional<StatusDetails> details_;
};

// Either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

// Constructors for the common errors, worded as Kubernetes words them.
Status NotFound(const std::string& resource, const std::string& name, const std::string& group = "");
Status AlreadyExists(const std::string& resource, const std::string& name,
                     const std::string& group = "");
Status Conflict(const std::string& resource, const std::string& name, const std::string& why,
                const std::string& group = "");
Status BadRequest(std::string message);
Status Internal(std::string message);

}  // namespace mlkube

#define MLKUBE_CONCAT_INNER(a, b) a##b
#define MLKUBE_CONCAT(a, b) MLKUBE_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                  \
  do {                                         \
    ::mlkube::Status _st = (expr);             \
    if (!_st.ok()) return _st;                 \
  } while (0)

#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()

#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(MLKUBE_CONCAT(_result_, __LINE__), lhs, expr)
