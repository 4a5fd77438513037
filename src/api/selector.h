#pragma once
// Label selectors (`app=web,tier!=fe,env in (a,b),!gone,version>3`) and field selectors
// (`status.phase=Running,metadata.name!=x`), parsed and matched as Kubernetes does.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "api/json.h"
#include "common/status.h"

namespace mlkube::api {

using Labels = std::map<std::string, std::string, std::less<>>;
// An object's metadata.labels (values that are not strings left out).
Labels LabelsOf(const Json& obj);
using Fields = std::map<std::string, std::string, std::less<>>;
// Whether one v1.Toleration tolerates a taint (Kubernetes' Toleration.ToleratesTaint): the
// effect matches or is empty; Exists matches the key (an empty key, every taint); Equal, the
// default, matches key and value.
bool ToleratesTaint(const Json& toleration, std::string_view key, std::string_view value, std::string_view effect);

struct Requirement {
  enum class Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kDoesNotExist, kGt, kLt };
  std::string key;
  Op op;
  std::vector<std::string> values;
};

class LabelSelector {
 public:
  // Parses the query-string form. An empty string selects everything. Errors are BadRequest
  // worded as Kubernetes', e.g. `unable to parse requirement: found '(', expected: identifier`.
  static Result<LabelSelector> Parse(std::string_view s);
  // From a metav1.LabelSelector object ({matchLabels, matchExpressions}); null selects
  // everything... callers that need "null selects nothing" check for null themselves.
  static Result<LabelSelector> FromJson(const Json& selector);

  bool Matches(const Labels& labels) const;
  bool Empty() const { return reqs_.empty(); }
  // The canonical string form (`app=web,tier!=fe`), as the Scale subresource's status.selector.
  std::string String() const;
  const std::vector<Requirement>& requirements() const { return reqs_; }

 private:
  std::vector<Requirement> reqs_;
};

class FieldSelector {
 public:
  // `a=b`, `a==b`, `a!=b` terms joined by commas; backslash escapes as in Kubernetes.
  static Result<FieldSelector> Parse(std::string_view s);
  bool Matches(const Fields& fields) const;  // a missing field compares as ""
  bool Empty() const { return terms_.empty(); }
  // The value this selector requires for `field` with `=`, if any (used for fast paths such as
  // metadata.name lookups).
  const std::string* RequiredValue(std::string_view field) const;
  const std::vector<std::pair<std::string, std::string>>& equals() const;

  struct Term {
    std::string field;
    bool equals;
    std::string value;
  };
  const std::vector<Term>& terms() const { return terms_; }

 private:
  std::vector<Term> terms_;
  std::vector<std::pair<std::string, std::string>> equals_;
};

}  // namespace mlkube::api
