#include "api/selector.h"

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "api/validation.h"

namespace mlkube::api {

namespace {

// ---------------------------------------------------------------------------------------------
// Go formatting helpers: Kubernetes' messages embed values through %q and json.Marshal, and
// clients match on the exact text.

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is not one.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  size_t n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  return n;
}

std::string HexByte(unsigned char c, const char* prefix) {
  static constexpr char kHex[] = "0123456789abcdef";
  return std::string(prefix) + kHex[c >> 4] + kHex[c & 0xF];
}

// strconv.Quote (what %q prints for a string).
std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      size_t n = Utf8SequenceLength(s, i);
      if (n == 0) {
        out += HexByte(c, "\\x");
        ++i;
      } else {
        out.append(s.substr(i, n));
        i += n;
      }
      continue;
    }
    ++i;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\v':
        out += "\\v";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += HexByte(c, "\\x");
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

// encoding/json's rendering of a string (HTML-safe escaping included, as Go's default).
std::string GoJsonString(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      size_t n = Utf8SequenceLength(s, i);
      if (n == 0) {
        out += "\\ufffd";
        ++i;
      } else if (n == 3 && c == 0xE2 && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
                 (static_cast<unsigned char>(s[i + 2]) & 0xFE) == 0xA8) {
        out += static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
        i += n;
      } else {
        out.append(s.substr(i, n));
        i += n;
      }
      continue;
    }
    ++i;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '<':
      case '>':
      case '&':
        out += HexByte(c, "\\u00");
        break;
      default:
        if (c < 0x20) {
          out += HexByte(c, "\\u00");
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

// json.Marshal of a []string; a nil slice is "null".
std::string GoJsonStrings(const std::vector<std::string>& values, bool nil) {
  if (nil) return "null";
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ",";
    out += GoJsonString(values[i]);
  }
  return out + "]";
}

// utilerrors.NewAggregate(...).Error(): one message alone, several de-duplicated in brackets.
std::string AggregateMessage(const std::vector<std::string>& errors) {
  if (errors.size() == 1) return errors[0];
  std::vector<std::string> seen;
  for (const auto& e : errors) {
    if (std::find(seen.begin(), seen.end(), e) == seen.end()) seen.push_back(e);
  }
  if (seen.size() == 1) return seen[0];
  std::string out = "[";
  for (size_t i = 0; i < seen.size(); ++i) {
    if (i) out += ", ";
    out += seen[i];
  }
  return out + "]";
}

// field.Invalid(path, value, detail).Error() with the value already rendered.
std::string InvalidError(std::string_view field, std::string_view rendered_value,
                         std::string_view detail) {
  return std::string(field) + ": Invalid value: " + std::string(rendered_value) + ": " +
         std::string(detail);
}

// Label key and value syntax: the same checks and words as metadata validation uses.
std::vector<std::string> QualifiedNameErrors(std::string_view value) { return IsQualifiedName(value); }
std::vector<std::string> LabelValueErrors(std::string_view value) { return IsValidLabelValue(value); }

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

// The label key error as the selector parser reports it: at a nil field path, printed "<nil>".
std::string KeyError(std::string_view field, std::string_view key) {
  std::vector<std::string> errs = QualifiedNameErrors(key);
  if (errs.empty()) return "";
  return InvalidError(field, GoQuote(key), Join(errs, "; "));
}

// strconv.ParseInt(s, 10, 64).
bool ParseInt64(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  bool neg = s[0] == '-';
  if (s[0] == '+' || s[0] == '-') s.remove_prefix(1);
  if (s.empty()) return false;
  uint64_t v = 0;
  constexpr uint64_t kLimit = uint64_t{1} << 63;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    if (v > (kLimit - static_cast<uint64_t>(c - '0')) / 10) return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (!neg && v == kLimit) return false;
  *out = neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  return true;
}

// labels.NewRequirement's checks; `values_nil` marks a nil Go slice (rendered "null").
// Returns the aggregated message, or "" when the requirement is valid.
std::string ValidateRequirement(const Requirement& r, bool values_nil) {
  std::vector<std::string> errs;
  if (std::string e = KeyError("key", r.key); !e.empty()) errs.push_back(std::move(e));
  const std::string values_json = GoJsonStrings(r.values, values_nil);
  using Op = Requirement::Op;
  switch (r.op) {
    case Op::kIn:
    case Op::kNotIn:
      if (r.values.empty()) {
        errs.push_back(InvalidError("values", values_json,
                                    "for 'in', 'notin' operators, values set can't be empty"));
      }
      break;
    case Op::kEquals:
    case Op::kNotEquals:
      if (r.values.size() != 1) {
        errs.push_back(InvalidError("values", values_json,
                                    "exact-match compatibility requires one single value"));
      }
      break;
    case Op::kExists:
    case Op::kDoesNotExist:
      if (!r.values.empty()) {
        errs.push_back(InvalidError("values", values_json,
                                    "values set must be empty for exists and does not exist"));
      }
      break;
    case Op::kGt:
    case Op::kLt:
      if (r.values.size() != 1) {
        errs.push_back(InvalidError("values", values_json,
                                    "for 'Gt', 'Lt' operators, exactly one value is required"));
      }
      for (size_t i = 0; i < r.values.size(); ++i) {
        int64_t unused;
        if (!ParseInt64(r.values[i], &unused)) {
          errs.push_back(InvalidError("values[" + std::to_string(i) + "]", GoQuote(r.values[i]),
                                      "for 'Gt', 'Lt' operators, the value must be an integer"));
        }
      }
      break;
  }
  for (size_t i = 0; i < r.values.size(); ++i) {
    std::vector<std::string> v = LabelValueErrors(r.values[i]);
    if (!v.empty()) {
      errs.push_back(InvalidError("values[" + std::to_string(i) + "][" + r.key + "]",
                                  GoQuote(r.values[i]), Join(v, "; ")));
    }
  }
  return errs.empty() ? "" : AggregateMessage(errs);
}

// ---------------------------------------------------------------------------------------------
// The label selector lexer and recursive-descent parser, token for token as Kubernetes'
// (pkg/labels/selector.go), so that the same inputs fail with the same messages.

enum class Tok {
  kError,
  kEnd,
  kClosePar,
  kComma,
  kDoesNotExist,
  kDoubleEquals,
  kEquals,
  kGreaterThan,
  kIdentifier,
  kIn,
  kLessThan,
  kNotEquals,
  kNotIn,
  kOpenPar,
};

struct Item {
  Tok tok;
  std::string literal;
};

bool IsWhitespace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool IsSpecialSymbol(char c) {
  switch (c) {
    case '=':
    case '!':
    case '(':
    case ')':
    case ',':
    case '>':
    case '<':
      return true;
    default:
      return false;
  }
}

bool LookupToken(std::string_view s, Tok* tok) {
  static constexpr std::pair<std::string_view, Tok> kTokens[] = {
      {")", Tok::kClosePar},      {",", Tok::kComma},    {"!", Tok::kDoesNotExist},
      {"==", Tok::kDoubleEquals}, {"=", Tok::kEquals},   {">", Tok::kGreaterThan},
      {"in", Tok::kIn},           {"<", Tok::kLessThan}, {"!=", Tok::kNotEquals},
      {"notin", Tok::kNotIn},     {"(", Tok::kOpenPar},
  };
  for (const auto& [text, t] : kTokens) {
    if (text == s) {
      *tok = t;
      return true;
    }
  }
  return false;
}

std::vector<Item> Lex(std::string_view s) {
  std::vector<Item> items;
  size_t pos = 0;
  while (true) {
    while (pos < s.size() && IsWhitespace(s[pos])) ++pos;
    // Go's lexer reads a NUL byte as the end of input.
    if (pos >= s.size() || s[pos] == '\0') {
      items.push_back({Tok::kEnd, ""});
      return items;
    }
    if (IsSpecialSymbol(s[pos])) {
      // Longest run of special symbols that still spells a token ("!=" but "!" then "(").
      std::string buffer;
      Item last{Tok::kError, ""};
      while (pos < s.size() && IsSpecialSymbol(s[pos])) {
        buffer.push_back(s[pos]);
        Tok t;
        if (LookupToken(buffer, &t)) {
          last = {t, buffer};
          ++pos;
        } else if (last.tok != Tok::kError) {
          break;
        } else {
          ++pos;
        }
      }
      if (pos < s.size() && s[pos] == '\0') ++pos;
      if (last.tok == Tok::kError) {
        items.push_back({Tok::kError, "error expected: keyword found '" + buffer + "'"});
      } else {
        items.push_back(std::move(last));
      }
      continue;
    }
    size_t start = pos;
    while (pos < s.size() && s[pos] != '\0' && !IsSpecialSymbol(s[pos]) && !IsWhitespace(s[pos])) {
      ++pos;
    }
    std::string word(s.substr(start, pos - start));
    // Go's lexer consumes a NUL that ends a word, so it separates words like a space would.
    if (pos < s.size() && s[pos] == '\0') ++pos;
    Tok t;
    items.push_back(LookupToken(word, &t) ? Item{t, word} : Item{Tok::kIdentifier, word});
  }
}

enum class Context { kKeyAndOperator, kValues };

class Parser {
 public:
  explicit Parser(std::string_view s) : items_(Lex(s)) {}

  // On failure returns false with error_ set to Kubernetes' message.
  bool Parse(std::vector<Requirement>* out) {
    while (true) {
      auto [tok, lit] = Lookahead(Context::kValues);
      switch (tok) {
        case Tok::kIdentifier:
        case Tok::kDoesNotExist: {
          Requirement r;
          if (!ParseRequirement(&r)) {
            error_ = "unable to parse requirement: " + error_;
            return false;
          }
          out->push_back(std::move(r));
          auto [t, l] = Consume(Context::kValues);
          if (t == Tok::kEnd) return true;
          if (t == Tok::kComma) {
            auto [t2, l2] = Lookahead(Context::kValues);
            if (t2 != Tok::kIdentifier && t2 != Tok::kDoesNotExist) {
              error_ = "found '" + l2 + "', expected: identifier after ','";
              return false;
            }
            break;
          }
          error_ = "found '" + l + "', expected: ',' or 'end of string'";
          return false;
        }
        case Tok::kEnd:
          return true;
        default:
          error_ = "found '" + lit + "', expected: !, identifier, or 'end of string'";
          return false;
      }
    }
  }

  const std::string& error() const { return error_; }

 private:
  using Op = Requirement::Op;

  std::pair<Tok, std::string> Lookahead(Context ctx) const {
    const Item& it = items_[std::min(pos_, items_.size() - 1)];
    return {Contextual(it.tok, ctx), it.literal};
  }

  std::pair<Tok, std::string> Consume(Context ctx) {
    const Item& it = items_[std::min(pos_, items_.size() - 1)];
    if (pos_ < items_.size()) ++pos_;
    return {Contextual(it.tok, ctx), it.literal};
  }

  // "in" and "notin" are plain words where a value is expected ("x in (in)").
  static Tok Contextual(Tok t, Context ctx) {
    if (ctx == Context::kValues && (t == Tok::kIn || t == Tok::kNotIn)) return Tok::kIdentifier;
    return t;
  }

  bool ParseRequirement(Requirement* r) {
    bool does_not_exist = false;
    auto [tok, literal] = Consume(Context::kValues);
    if (tok == Tok::kDoesNotExist) {
      does_not_exist = true;
      std::tie(tok, literal) = Consume(Context::kValues);
    }
    if (tok != Tok::kIdentifier) {
      error_ = "found '" + literal + "', expected: identifier";
      return false;
    }
    if (std::string e = KeyError("<nil>", literal); !e.empty()) {
      error_ = std::move(e);
      return false;
    }
    r->key = literal;
    auto [next, unused] = Lookahead(Context::kValues);
    if (does_not_exist || next == Tok::kEnd || next == Tok::kComma) {
      // A bare key is Exists; "!key" is DoesNotExist whatever follows (what follows is then
      // reported by the caller as an unexpected token).
      r->op = does_not_exist ? Op::kDoesNotExist : Op::kExists;
      return Validate(*r);
    }
    if (!ParseOperator(&r->op)) return false;
    std::set<std::string> values;
    bool ok =
        (r->op == Op::kIn || r->op == Op::kNotIn) ? ParseValues(&values) : ParseExactValue(&values);
    if (!ok) return false;
    // A Go sets.String: sorted and de-duplicated.
    r->values.assign(values.begin(), values.end());
    return Validate(*r);
  }

  bool Validate(const Requirement& r) {
    error_ = ValidateRequirement(r, /*values_nil=*/false);
    return error_.empty();
  }

  bool ParseOperator(Op* op) {
    auto [tok, lit] = Consume(Context::kKeyAndOperator);
    switch (tok) {
      case Tok::kIn:
        *op = Op::kIn;
        return true;
      case Tok::kEquals:
        *op = Op::kEquals;
        return true;
      case Tok::kDoubleEquals:
        *op = Op::kEquals;
        return true;
      case Tok::kGreaterThan:
        *op = Op::kGt;
        return true;
      case Tok::kLessThan:
        *op = Op::kLt;
        return true;
      case Tok::kNotIn:
        *op = Op::kNotIn;
        return true;
      case Tok::kNotEquals:
        *op = Op::kNotEquals;
        return true;
      default:
        error_ = "found '" + lit + "', expected: in, notin, =, ==, !=, gt, lt";
        return false;
    }
  }

  bool ParseValues(std::set<std::string>* values) {
    auto [tok, lit] = Consume(Context::kValues);
    if (tok != Tok::kOpenPar) {
      error_ = "found '" + lit + "' expected: '('";
      return false;
    }
    std::tie(tok, lit) = Lookahead(Context::kValues);
    switch (tok) {
      case Tok::kIdentifier:
      case Tok::kComma: {
        if (!ParseIdentifiersList(values)) return false;
        if (Consume(Context::kValues).first != Tok::kClosePar) {
          error_ = "found '" + lit + "', expected: ')'";
          return false;
        }
        return true;
      }
      case Tok::kClosePar:
        Consume(Context::kValues);
        values->insert("");
        return true;
      default:
        error_ = "found '" + lit + "', expected: ',', ')' or identifier";
        return false;
    }
  }

  // A possibly empty list of possibly empty values: "(a,,b)" holds "", "(,a)" and "(a,)" too.
  bool ParseIdentifiersList(std::set<std::string>* values) {
    while (true) {
      auto [tok, lit] = Consume(Context::kValues);
      switch (tok) {
        case Tok::kIdentifier: {
          values->insert(lit);
          auto [t2, l2] = Lookahead(Context::kValues);
          if (t2 == Tok::kComma) continue;
          if (t2 == Tok::kClosePar) return true;
          error_ = "found '" + l2 + "', expected: ',' or ')'";
          return false;
        }
        case Tok::kComma: {
          if (values->empty()) values->insert("");
          auto [t2, unused] = Lookahead(Context::kValues);
          if (t2 == Tok::kClosePar) {
            values->insert("");
            return true;
          }
          if (t2 == Tok::kComma) {
            Consume(Context::kValues);
            values->insert("");
          }
          continue;
        }
        default:
          error_ = "found '" + lit + "', expected: ',', or identifier";
          return false;
      }
    }
  }

  bool ParseExactValue(std::set<std::string>* values) {
    auto [next, unused] = Lookahead(Context::kValues);
    if (next == Tok::kEnd || next == Tok::kComma) {
      values->insert("");
      return true;
    }
    auto [tok, lit] = Consume(Context::kValues);
    if (tok == Tok::kIdentifier) {
      values->insert(lit);
      return true;
    }
    error_ = "found '" + lit + "', expected: identifier";
    return false;
  }

  std::vector<Item> items_;
  size_t pos_ = 0;
  std::string error_;
};

bool HasValue(const Requirement& r, const std::string& v) {
  return std::find(r.values.begin(), r.values.end(), v) != r.values.end();
}

bool RequirementMatches(const Requirement& r, const Labels& labels) {
  using Op = Requirement::Op;
  auto it = labels.find(r.key);
  const bool has = it != labels.end();
  switch (r.op) {
    case Op::kEquals:
    case Op::kIn:
      return has && HasValue(r, it->second);
    case Op::kNotEquals:
    case Op::kNotIn:
      return !has || !HasValue(r, it->second);
    case Op::kExists:
      return has;
    case Op::kDoesNotExist:
      return !has;
    case Op::kGt:
    case Op::kLt: {
      int64_t have, want;
      if (!has || r.values.size() != 1 || !ParseInt64(it->second, &have) ||
          !ParseInt64(r.values[0], &want)) {
        return false;
      }
      return r.op == Op::kGt ? have > want : have < want;
    }
  }
  return false;
}

std::string RequirementString(const Requirement& r) {
  using Op = Requirement::Op;
  std::string out = r.op == Op::kDoesNotExist ? "!" + r.key : r.key;
  switch (r.op) {
    case Op::kExists:
    case Op::kDoesNotExist:
      return out;
    case Op::kEquals:
      out += "=";
      break;
    case Op::kNotEquals:
      out += "!=";
      break;
    case Op::kIn:
      out += " in ";
      break;
    case Op::kNotIn:
      out += " notin ";
      break;
    case Op::kGt:
      out += ">";
      break;
    case Op::kLt:
      out += "<";
      break;
  }
  const bool set_based = r.op == Op::kIn || r.op == Op::kNotIn;
  if (set_based) out += "(";
  std::vector<std::string> values = r.values;
  std::sort(values.begin(), values.end());
  out += Join(values, ",");
  if (set_based) out += ")";
  return out;
}

void SortByKey(std::vector<Requirement>& reqs) {
  // Kubernetes sorts with sort.Sort, which is an insertion sort (stable) at selector sizes.
  std::stable_sort(reqs.begin(), reqs.end(),
                   [](const Requirement& a, const Requirement& b) { return a.key < b.key; });
}

Status JsonTypeError(const std::string& field, const char* expected) {
  return BadRequest("invalid label selector: " + field + " must be " + expected);
}

}  // namespace

Result<LabelSelector> LabelSelector::Parse(std::string_view s) {
  LabelSelector sel;
  Parser parser(s);
  if (!parser.Parse(&sel.reqs_)) return BadRequest(parser.error());
  SortByKey(sel.reqs_);
  return sel;
}

Result<LabelSelector> LabelSelector::FromJson(const Json& selector) {
  LabelSelector sel;
  if (selector.is_null()) return sel;
  if (!selector.is_object()) return JsonTypeError("selector", "an object");

  auto match_labels = selector.find("matchLabels");
  if (match_labels != selector.end() && !match_labels->is_null()) {
    if (!match_labels->is_object()) return JsonTypeError("matchLabels", "an object");
    for (auto it = match_labels->begin(); it != match_labels->end(); ++it) {
      // Go decodes a null map value as "".
      if (!it->is_string() && !it->is_null()) {
        return JsonTypeError("matchLabels[" + it.key() + "]", "a string");
      }
      Requirement r{it.key(),
                    Requirement::Op::kEquals,
                    {it->is_null() ? std::string() : it->get<std::string>()}};
      if (std::string e = ValidateRequirement(r, false); !e.empty()) return BadRequest(e);
      sel.reqs_.push_back(std::move(r));
    }
  }

  auto exprs = selector.find("matchExpressions");
  if (exprs != selector.end() && !exprs->is_null()) {
    if (!exprs->is_array()) return JsonTypeError("matchExpressions", "an array");
    for (size_t i = 0; i < exprs->size(); ++i) {
      const Json& e = (*exprs)[i];
      const std::string path = "matchExpressions[" + std::to_string(i) + "]";
      if (!e.is_object()) return JsonTypeError(path, "an object");
      Requirement r;
      auto key = e.find("key");
      if (key != e.end() && !key->is_null()) {
        if (!key->is_string()) return JsonTypeError(path + ".key", "a string");
        r.key = key->get<std::string>();
      }
      std::string op;
      auto op_it = e.find("operator");
      if (op_it != e.end() && !op_it->is_null()) {
        if (!op_it->is_string()) return JsonTypeError(path + ".operator", "a string");
        op = op_it->get<std::string>();
      }
      if (op == "In") {
        r.op = Requirement::Op::kIn;
      } else if (op == "NotIn") {
        r.op = Requirement::Op::kNotIn;
      } else if (op == "Exists") {
        r.op = Requirement::Op::kExists;
      } else if (op == "DoesNotExist") {
        r.op = Requirement::Op::kDoesNotExist;
      } else {
        return BadRequest(GoQuote(op) + " is not a valid label selector operator");
      }
      auto values = e.find("values");
      if (values != e.end() && !values->is_null()) {
        if (!values->is_array()) return JsonTypeError(path + ".values", "an array");
        for (size_t j = 0; j < values->size(); ++j) {
          const Json& v = (*values)[j];
          if (!v.is_string() && !v.is_null()) {
            return JsonTypeError(path + ".values[" + std::to_string(j) + "]", "a string");
          }
          r.values.push_back(v.is_null() ? std::string() : v.get<std::string>());
        }
      }
      // Kubernetes copies the values with append([]string(nil), ...), so no values is nil.
      if (std::string err = ValidateRequirement(r, r.values.empty()); !err.empty()) {
        return BadRequest(err);
      }
      sel.reqs_.push_back(std::move(r));
    }
  }
  SortByKey(sel.reqs_);
  return sel;
}

bool ToleratesTaint(const Json& toleration, std::string_view key, std::string_view value, std::string_view effect) {
  const std::string e = StringMember(toleration, "effect"), k = StringMember(toleration, "key");
  if (!e.empty() && e != effect) return false;
  if (StringMember(toleration, "operator") == "Exists") return k.empty() || k == key;
  return k == key && StringMember(toleration, "value") == value;
}

Labels LabelsOf(const Json& obj) {
  Labels out;
  const Json& labels = Member(Member(obj, "metadata"), "labels");
  if (labels.is_object()) {
    for (const auto& [k, v] : labels.items()) {
      if (v.is_string()) out.emplace(k, v.get<std::string>());
    }
  }
  return out;
}

bool LabelSelector::Matches(const Labels& labels) const {
  return std::all_of(reqs_.begin(), reqs_.end(),
                     [&](const Requirement& r) { return RequirementMatches(r, labels); });
}

std::string LabelSelector::String() const {
  std::vector<std::string> parts;
  parts.reserve(reqs_.size());
  for (const auto& r : reqs_) parts.push_back(RequirementString(r));
  return Join(parts, ",");
}

// ---------------------------------------------------------------------------------------------
// Field selectors (pkg/fields/selector.go).

namespace {

// Splits on commas not escaped by a backslash; escapes stay in the terms.
std::vector<std::string_view> SplitTerms(std::string_view s) {
  std::vector<std::string_view> terms;
  if (s.empty()) return terms;
  size_t start = 0;
  bool in_slash = false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (in_slash) {
      in_slash = false;
    } else if (s[i] == '\\') {
      in_slash = true;
    } else if (s[i] == ',') {
      terms.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  terms.push_back(s.substr(start));
  return terms;
}

// The first operator occurrence splits the term; the field side has no escaping.
bool SplitTerm(std::string_view term, std::string_view* lhs, std::string_view* op,
               std::string_view* rhs) {
  static constexpr std::string_view kOperators[] = {"!=", "==", "="};
  for (size_t i = 0; i < term.size(); ++i) {
    for (std::string_view candidate : kOperators) {
      if (term.substr(i, candidate.size()) == candidate) {
        *lhs = term.substr(0, i);
        *op = candidate;
        *rhs = term.substr(i + candidate.size());
        return true;
      }
    }
  }
  return false;
}

// fields.UnescapeValue: "\\", "\," and "\=" are the only escapes; bare ',' and '=' are errors.
Result<std::string> UnescapeValue(std::string_view s) {
  std::string out;
  bool in_slash = false;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    // Go ranges over runes; keep a multi-byte character whole so an error can quote it.
    size_t n = c >= 0x80 ? std::max<size_t>(1, Utf8SequenceLength(s, i)) : 1;
    std::string_view rune = s.substr(i, n);
    i += n;
    if (in_slash) {
      if (rune == "\\" || rune == "," || rune == "=") {
        out.append(rune);
      } else {
        return BadRequest("invalid field selector: invalid escape sequence: \\" +
                          std::string(rune));
      }
      in_slash = false;
      continue;
    }
    if (rune == "\\") {
      in_slash = true;
    } else if (rune == "," || rune == "=") {
      // Go prints the rune with %v, i.e. as its code point number.
      return BadRequest("invalid field selector: unescaped character in value: " +
                        std::to_string(static_cast<int>(rune[0])));
    } else {
      out.append(rune);
    }
  }
  if (in_slash) return BadRequest("invalid field selector: invalid escape sequence: \\");
  return out;
}

}  // namespace

Result<FieldSelector> FieldSelector::Parse(std::string_view s) {
  FieldSelector sel;
  std::vector<std::string_view> parts = SplitTerms(s);
  std::sort(parts.begin(), parts.end());
  for (std::string_view part : parts) {
    if (part.empty()) continue;
    std::string_view lhs, op, rhs;
    if (!SplitTerm(part, &lhs, &op, &rhs)) {
      return BadRequest("invalid selector: '" + std::string(s) + "'; can't understand '" +
                        std::string(part) + "'");
    }
    auto value = UnescapeValue(rhs);
    if (!value.ok()) return value.status();
    bool equals = op != "!=";
    sel.terms_.push_back({std::string(lhs), equals, *value});
    if (equals) sel.equals_.emplace_back(std::string(lhs), *value);
  }
  return sel;
}

bool FieldSelector::Matches(const Fields& fields) const {
  for (const Term& t : terms_) {
    auto it = fields.find(t.field);
    std::string_view have = it == fields.end() ? std::string_view() : std::string_view(it->second);
    if ((have == t.value) != t.equals) return false;
  }
  return true;
}

const std::string* FieldSelector::RequiredValue(std::string_view field) const {
  for (const Term& t : terms_) {
    if (t.equals && t.field == field) return &t.value;
  }
  return nullptr;
}

const std::vector<std::pair<std::string, std::string>>& FieldSelector::equals() const {
  return equals_;
}

}  // namespace mlkube::api
