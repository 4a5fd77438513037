#include "api/field_errors.h"

namespace mlkube::api {

Path Path::Child(std::string_view name) const {
  Path p;
  p.s_ = s_.empty() ? std::string(name) : s_ + "." + std::string(name);
  return p;
}

Path Path::Index(size_t i) const {
  Path p;
  p.s_ = s_ + "[" + std::to_string(i) + "]";
  return p;
}

Path Path::Key(std::string_view key) const {
  Path p;
  p.s_ = s_ + "[" + std::string(key) + "]";
  return p;
}

const char* FieldError::Reason() const {
  switch (type) {
    case ErrorType::kRequired: return "FieldValueRequired";
    case ErrorType::kInvalid: return "FieldValueInvalid";
    case ErrorType::kNotSupported: return "FieldValueNotSupported";
    case ErrorType::kDuplicate: return "FieldValueDuplicate";
    case ErrorType::kForbidden: return "FieldValueForbidden";
    case ErrorType::kTooLong: return "FieldValueTooLong";
    case ErrorType::kTooMany: return "FieldValueTooMany";
    case ErrorType::kNotFound: return "FieldValueNotFound";
    case ErrorType::kInternal: return "InternalError";
  }
  return "InternalError";
}

namespace {

// Go's %#v-like rendering that Kubernetes uses for bad values: strings quoted, numbers bare.
std::string RenderValue(const Json& v) {
  if (v.is_string()) return v.dump();
  if (v.is_null()) return "null";
  return v.dump();
}

const char* TypeText(ErrorType t) {
  switch (t) {
    case ErrorType::kRequired: return "Required value";
    case ErrorType::kInvalid: return "Invalid value";
    case ErrorType::kNotSupported: return "Unsupported value";
    case ErrorType::kDuplicate: return "Duplicate value";
    case ErrorType::kForbidden: return "Forbidden";
    case ErrorType::kTooLong: return "Too long";
    case ErrorType::kTooMany: return "Too many";
    case ErrorType::kNotFound: return "Not found";
    case ErrorType::kInternal: return "Internal error";
  }
  return "Internal error";
}

}  // namespace

std::string FieldError::Body() const {
  std::string s = TypeText(type);
  switch (type) {
    case ErrorType::kRequired:
    case ErrorType::kForbidden:
    case ErrorType::kTooLong:
    case ErrorType::kInternal:
      break;
    default:
      s += ": " + RenderValue(bad_value);
  }
  if (!detail.empty()) s += ": " + detail;
  return s;
}

std::string FieldError::Error() const { return field.empty() ? Body() : field + ": " + Body(); }

FieldError Required(const Path& p, std::string detail) {
  return {ErrorType::kRequired, p.str(), nullptr, std::move(detail)};
}
FieldError Invalid(const Path& p, Json value, std::string detail) {
  return {ErrorType::kInvalid, p.str(), std::move(value), std::move(detail)};
}
FieldError NotSupported(const Path& p, Json value, const std::vector<std::string>& valid) {
  std::string detail;
  if (!valid.empty()) {
    detail = "supported values: ";
    for (size_t i = 0; i < valid.size(); ++i) {
      if (i) detail += ", ";
      detail += "\"" + valid[i] + "\"";
    }
  }
  return {ErrorType::kNotSupported, p.str(), std::move(value), detail};
}
FieldError Duplicate(const Path& p, Json value) {
  return {ErrorType::kDuplicate, p.str(), std::move(value), ""};
}
FieldError Forbidden(const Path& p, std::string detail) {
  return {ErrorType::kForbidden, p.str(), nullptr, std::move(detail)};
}
FieldError TooLong(const Path& p, Json value, size_t max_length) {
  return {ErrorType::kTooLong, p.str(), std::move(value),
          "may not be more than " + std::to_string(max_length) + " bytes"};
}
FieldError TooMany(const Path& p, size_t actual, size_t max) {
  return {ErrorType::kTooMany, p.str(), actual,
          "must have at most " + std::to_string(max) + " items"};
}
FieldError FieldNotFound(const Path& p, Json value) {
  return {ErrorType::kNotFound, p.str(), std::move(value), ""};
}

Status InvalidStatus(const std::string& group, const std::string& kind, const std::string& name,
                     const ErrorList& errors) {
  std::string qualified = group.empty() ? kind : kind + "." + group;
  std::string msg = qualified + " \"" + name + "\" is invalid: ";
  if (errors.size() == 1) {
    msg += errors[0].Error();
  } else {
    msg += "[";
    for (size_t i = 0; i < errors.size(); ++i) {
      if (i) msg += ", ";
      msg += errors[i].Error();
    }
    msg += "]";
  }
  StatusDetails d{name, group, kind, {}, 0};
  for (const auto& e : errors) d.causes.push_back({e.Reason(), e.Body(), e.field});
  return Status(Code::kInvalid, msg, std::move(d));
}

}  // namespace mlkube::api
