// Dispatch of validation by API group and kind. Metadata rules apply to every kind; the rest
// lives with the kind's group (validation_core.cc, validation_apps.cc, ...).

#include "api/validation.h"

#include <exception>

#include "api/validation_internal.h"

namespace mlkube::api {

namespace {

using internal::KindRules;

const KindRules* FindRules(std::string_view group, std::string_view kind) {
  if (group.empty()) return internal::FindCoreRules(kind);
  if (group == "apps") return internal::FindAppsRules(kind);
  if (group == "batch") return internal::FindBatchRules(kind);
  return internal::FindOtherRules(group, kind);
}

// Validation must never throw (it runs on request threads); a bug surfaces as an internal error
// on the request instead.
template <typename Fn>
ErrorList Guarded(Fn fn) {
  ErrorList errs;
  try {
    fn(errs);
  } catch (const std::exception& e) {
    errs.push_back({ErrorType::kInternal, "", nullptr, e.what()});
  } catch (...) {
    errs.push_back({ErrorType::kInternal, "", nullptr, "validation failed"});
  }
  return errs;
}

}  // namespace

ErrorList ValidateCreate(std::string_view group, std::string_view kind, const Json& obj) {
  return Guarded([&](ErrorList& errs) {
    const KindRules* rules = FindRules(group, kind);
    if (!rules) {
      internal::ValidateObjectMeta(obj, internal::Scope::kUnknown, internal::NameIsDNSSubdomain,
                                   errs);
      return;
    }
    if (rules->name_fn) internal::ValidateObjectMeta(obj, rules->scope, rules->name_fn, errs);
    rules->validate(obj, nullptr, errs);
  });
}

ErrorList ValidateUpdate(std::string_view group, std::string_view kind, const Json& obj,
                         const Json& old) {
  return Guarded([&](ErrorList& errs) {
    const KindRules* rules = FindRules(group, kind);
    if (!rules || rules->name_fn) internal::ValidateObjectMetaUpdate(obj, old, errs);
    if (rules) rules->validate(obj, &old, errs);
  });
}

ErrorList ValidateStatusUpdate(std::string_view group, std::string_view kind, const Json& obj,
                               const Json& old) {
  return Guarded([&](ErrorList& errs) {
    const KindRules* rules = FindRules(group, kind);
    if (!rules || rules->name_fn) internal::ValidateObjectMetaUpdate(obj, old, errs);
    if (rules && rules->validate_status) rules->validate_status(obj, old, errs);
  });
}

}  // namespace mlkube::api
