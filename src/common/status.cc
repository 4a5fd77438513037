#include "common/status.h"

namespace mlkube {

int HttpCode(Code code) {
  switch (code) {
    case Code::kOk: return 200;
    case Code::kBadRequest: return 400;
    case Code::kUnauthorized: return 401;
    case Code::kForbidden: return 403;
    case Code::kNotFound: return 404;
    case Code::kMethodNotAllowed: return 405;
    case Code::kNotAcceptable: return 406;
    case Code::kAlreadyExists: return 409;
    case Code::kConflict: return 409;
    case Code::kGone: return 410;
    case Code::kRequestEntityTooLarge: return 413;
    case Code::kUnsupportedMediaType: return 415;
    case Code::kInvalid: return 422;
    case Code::kTooManyRequests: return 429;
    case Code::kInternal: return 500;
    case Code::kUnavailable: return 503;
    case Code::kTimeout: return 504;
  }
  return 500;
}

const char* Reason(Code code) {
  switch (code) {
    case Code::kOk: return "";
    case Code::kBadRequest: return "BadRequest";
    case Code::kUnauthorized: return "Unauthorized";
    case Code::kForbidden: return "Forbidden";
    case Code::kNotFound: return "NotFound";
    case Code::kMethodNotAllowed: return "MethodNotAllowed";
    case Code::kNotAcceptable: return "NotAcceptable";
    case Code::kAlreadyExists: return "AlreadyExists";
    case Code::kConflict: return "Conflict";
    case Code::kGone: return "Expired";
    case Code::kRequestEntityTooLarge: return "RequestEntityTooLarge";
    case Code::kUnsupportedMediaType: return "UnsupportedMediaType";
    case Code::kInvalid: return "Invalid";
    case Code::kTooManyRequests: return "TooManyRequests";
    case Code::kInternal: return "InternalError";
    case Code::kUnavailable: return "ServiceUnavailable";
    case Code::kTimeout: return "Timeout";
  }
  return "InternalError";
}

namespace {
std::string Qualified(const std::string& resource, const std::string& group) {
  return group.empty() ? resource : resource + "." + group;
}
}  // namespace

Status NotFound(const std::string& resource, const std::string& name, const std::string& group) {
  return Status(Code::kNotFound, Qualified(resource, group) + " \"" + name + "\" not found",
                StatusDetails{name, group, resource, {}, 0});
}

Status AlreadyExists(const std::string& resource, const std::string& name,
                     const std::string& group) {
  return Status(Code::kAlreadyExists,
                Qualified(resource, group) + " \"" + name + "\" already exists",
                StatusDetails{name, group, resource, {}, 0});
}

Status Conflict(const std::string& resource, const std::string& name, const std::string& why,
                const std::string& group) {
  return Status(Code::kConflict,
                "Operation cannot be fulfilled on " + Qualified(resource, group) + " \"" + name +
                    "\": " + why,
                StatusDetails{name, group, resource, {}, 0});
}

Status BadRequest(std::string message) { return Status(Code::kBadRequest, std::move(message)); }
Status Internal(std::string message) { return Status(Code::kInternal, std::move(message)); }

}  // namespace mlkube
