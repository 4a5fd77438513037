#include "api/schema.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mlkube::api {

namespace internal {
// The DSL text of every type mlkube serves; defined in schema_types.cc. Declared here rather than
// in a header because nothing but this file (and its test) may depend on the text form.
std::string_view SchemaSource();
// The first error in the definitions `text`, or "" when they build. For tests of the builder.
std::string SchemaSourceError(std::string_view text);
}  // namespace internal

const Field* Type::FindField(std::string_view json_name) const {
  for (const Field& f : fields) {
    if (f.name == json_name) return &f;
  }
  return nullptr;
}

namespace {

// ---------------------------------------------------------------------------------------------
// The built schema.
// ---------------------------------------------------------------------------------------------

struct Gvk {
  std::string group;
  std::string version;
  std::string kind;
};

// Go type names of the primitives. Decoding errors quote them, and OpenAPI formats derive from
// them, so they double as the tag that tells int32 from int64 and Time from MicroTime.
constexpr std::string_view kGoInt32 = "int32";
constexpr std::string_view kGoInt64 = "int64";
constexpr std::string_view kGoBytes = "[]uint8";
constexpr std::string_view kGoTime = "v1.Time";
constexpr std::string_view kGoMicroTime = "v1.MicroTime";

constexpr std::string_view kIntOrStringSchema = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
constexpr std::string_view kQuantitySchema = "io.k8s.apimachinery.pkg.api.resource.Quantity";
constexpr std::string_view kTimeSchema = "io.k8s.apimachinery.pkg.apis.meta.v1.Time";
constexpr std::string_view kMicroTimeSchema = "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime";
constexpr std::string_view kMetaPackage = "io.k8s.apimachinery.pkg.apis.meta.v1";

struct Schema {
  std::deque<Type> types;  // a deque keeps every Type at a stable address
  std::map<std::string, const Type*, std::less<>> objects;  // named object types by full name
  std::map<std::string, const Type*, std::less<>> kinds;    // "group/version/Kind"
  std::map<const Type*, std::vector<Gvk>> gvks;             // kinds a root type serves
};

std::string KindKey(std::string_view group, std::string_view version, std::string_view kind) {
  std::string key;
  key.reserve(group.size() + version.size() + kind.size() + 2);
  key.append(group).append("/").append(version).append("/").append(kind);
  return key;
}

// "io.k8s.api.core.v1.PodSpec" -> "PodSpec".
std::string_view ShortName(std::string_view full) {
  size_t dot = full.rfind('.');
  return dot == std::string_view::npos ? full : full.substr(dot + 1);
}

// "io.k8s.api.core.v1.PodSpec" -> "v1.PodSpec", the way Go's reflect prints the type.
std::string_view GoQualifiedName(std::string_view full) {
  size_t last = full.rfind('.');
  if (last == std::string_view::npos || last == 0) return full;
  size_t prev = full.rfind('.', last - 1);
  return prev == std::string_view::npos ? full : full.substr(prev + 1);
}

std::string GoTypeName(const Type& t) {
  switch (t.kind) {
    case Type::Kind::kObject:
      return std::string(GoQualifiedName(t.name));
    case Type::Kind::kArray:
      if (!t.name.empty()) return t.name;
      return "[]" + GoTypeName(*t.elem);
    case Type::Kind::kMap:
      if (!t.name.empty()) return t.name;
      return "map[string]" + GoTypeName(*t.elem);
    case Type::Kind::kAny:
      return t.name.empty() ? "interface {}" : t.name;
    default:
      return t.name;
  }
}

// ---------------------------------------------------------------------------------------------
// The DSL.
//
//   // comment (also after a declaration)
//   package core io.k8s.api.core.v1        switch package; "core." now names its types anywhere
//   type Pod {                             object type io.k8s.api.core.v1.Pod
//     meta.TypeMeta                        embedded (inlined) struct, as Go's embedding
//     metadata meta.ObjectMeta proto=1     proto=N: the field's number in generated.proto
//     ports []Port proto=2 patchStrategy=merge patchMergeKey=port listType=map
//         listMapKeys=port,protocol        (one line in the definitions)
//   }
//   type Volume {
//     name string proto=1
//     VolumeSource proto=2                 embedded in JSON, one nested message in protobuf
//   }
//   type RestartPolicy string              named non-object type (only its Go name differs)
//   kind "" v1 Pod core.Pod                served kind -> root type
//
// Type expressions: []T, map[string]T, a type name (unqualified: the current package; alias.Name;
// or a full dotted name), or a primitive: string, bytes, int32, int64, float64 (double, number),
// bool, IntOrString, Quantity, Time, MicroTime, any.
// ---------------------------------------------------------------------------------------------

struct RawField {
  std::string name;  // empty for an embedded type
  std::string type;  // type expression, or the embedded type's name
  std::vector<std::string> attrs;
  int line = 0;
};

struct RawDecl {
  std::string full_name;
  std::string package;  // full package name, for resolving unqualified names
  bool is_object = true;
  std::string alias_of;  // type expression when !is_object
  std::vector<RawField> fields;
  int line = 0;
};

struct RawKind {
  std::string group, version, kind, type, package;
  int line = 0;
};

class Builder {
 public:
  // Returns an error message ("line N: ...") or nullopt when the schema was built into `out`.
  std::optional<std::string> Build(std::string_view text, Schema& out) {
    schema_ = &out;
    if (auto err = Parse(text)) return err;
    MakePrimitives();
    // Create every named type first so that fields can point at types declared later.
    for (auto& [name, decl] : decls_) {
      Type& t = schema_->types.emplace_back();
      t.kind = decl.is_object ? Type::Kind::kObject : Type::Kind::kAny;
      t.name = decl.is_object ? name : "";
      named_[name] = &t;
      if (decl.is_object) schema_->objects[name] = &t;
    }
    for (auto& [name, decl] : decls_) {
      if (!decl.is_object) {
        if (auto err = ResolveAlias(decl)) return err;
      }
    }
    for (auto& [name, decl] : decls_) {
      if (decl.is_object) {
        std::set<std::string> seen;
        std::vector<std::string> stack;
        if (auto err = ExpandFields(decl, *named_[name], decl, seen, stack)) return err;
      }
    }
    for (auto& [name, decl] : decls_) {
      if (decl.is_object) {
        if (auto err = CheckPatchMetadata(decl, *named_[name])) return err;
        if (auto err = CheckProtoNumbers(decl, *named_[name])) return err;
      }
    }
    for (const RawKind& k : kinds_) {
      if (auto err = AddKind(k)) return err;
    }
    return std::nullopt;
  }

 private:
  static std::string At(int line, const std::string& msg) {
    return "line " + std::to_string(line) + ": " + msg;
  }

  static std::vector<std::string> Tokens(std::string_view line) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
      if (i >= line.size()) break;
      size_t j = i;
      while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r') ++j;
      out.emplace_back(line.substr(i, j - i));
      i = j;
    }
    return out;
  }

  std::optional<std::string> Parse(std::string_view text) {
    std::string package;
    RawDecl* open = nullptr;
    int line_no = 0;
    size_t pos = 0;
    while (pos <= text.size()) {
      size_t nl = text.find('\n', pos);
      if (nl == std::string_view::npos) nl = text.size();
      std::string_view line = text.substr(pos, nl - pos);
      pos = nl + 1;
      ++line_no;
      if (size_t c = line.find("//"); c != std::string_view::npos) line = line.substr(0, c);
      std::vector<std::string> tok = Tokens(line);
      if (tok.empty()) continue;

      if (open != nullptr) {
        if (tok.size() == 1 && tok[0] == "}") {
          open = nullptr;
          continue;
        }
        RawField f;
        f.line = line_no;
        // An embedded struct is a lone type name, optionally followed by attributes.
        if (tok.size() == 1 || tok[1].find('=') != std::string::npos) {
          f.type = tok[0];
          f.attrs.assign(tok.begin() + 1, tok.end());
        } else {
          f.name = tok[0];
          f.type = tok[1];
          f.attrs.assign(tok.begin() + 2, tok.end());
        }
        open->fields.push_back(std::move(f));
        continue;
      }

      if (tok[0] == "package") {
        if (tok.size() != 3) return At(line_no, "want: package <alias> <full.name>");
        if (aliases_.count(tok[1]) != 0 && aliases_[tok[1]] != tok[2]) {
          return At(line_no, "package alias " + tok[1] + " already names " + aliases_[tok[1]]);
        }
        aliases_[tok[1]] = tok[2];
        package = tok[2];
      } else if (tok[0] == "type") {
        if (package.empty()) return At(line_no, "type outside a package");
        if (tok.size() < 3) return At(line_no, "want: type <Name> { | type <Name> <type>");
        std::string full = package + "." + tok[1];
        if (decls_.count(full) != 0) return At(line_no, "duplicate type " + full);
        RawDecl& d = decls_[full];
        d.full_name = full;
        d.package = package;
        d.line = line_no;
        if (tok[2] == "{") {
          if (tok.size() == 4 && tok[3] == "}") continue;  // empty object type
          if (tok.size() != 3) return At(line_no, "unexpected text after {");
          open = &d;
        } else {
          if (tok.size() != 3) return At(line_no, "want: type <Name> <type>");
          d.is_object = false;
          d.alias_of = tok[2];
        }
      } else if (tok[0] == "kind") {
        if (tok.size() != 5) return At(line_no, "want: kind <group|\"\"> <version> <Kind> <Type>");
        RawKind k;
        k.group = tok[1] == "\"\"" ? "" : tok[1];
        k.version = tok[2];
        k.kind = tok[3];
        k.type = tok[4];
        k.package = package;
        k.line = line_no;
        kinds_.push_back(std::move(k));
      } else {
        return At(line_no, "unexpected '" + tok[0] + "'");
      }
    }
    if (open != nullptr) return At(open->line, "type " + open->full_name + " is not closed");
    return std::nullopt;
  }

  const Type* AddPrimitive(const std::string& dsl_name, Type::Kind kind, std::string go_name) {
    Type& t = schema_->types.emplace_back();
    t.kind = kind;
    t.name = std::move(go_name);
    primitives_[dsl_name] = &t;
    return &t;
  }

  void MakePrimitives() {
    AddPrimitive("string", Type::Kind::kString, "string");
    AddPrimitive("bytes", Type::Kind::kString, std::string(kGoBytes));
    AddPrimitive("int32", Type::Kind::kInteger, std::string(kGoInt32));
    AddPrimitive("int64", Type::Kind::kInteger, std::string(kGoInt64));
    const Type* f64 = AddPrimitive("float64", Type::Kind::kNumber, "float64");
    primitives_["double"] = f64;
    primitives_["number"] = f64;
    AddPrimitive("bool", Type::Kind::kBoolean, "bool");
    AddPrimitive("IntOrString", Type::Kind::kIntOrString, "intstr.IntOrString");
    AddPrimitive("Quantity", Type::Kind::kQuantity, "resource.Quantity");
    AddPrimitive("Time", Type::Kind::kTime, std::string(kGoTime));
    AddPrimitive("MicroTime", Type::Kind::kTime, std::string(kGoMicroTime));
    AddPrimitive("any", Type::Kind::kAny, "");
  }

  // The full name a (possibly qualified) type name refers to from `package`.
  std::string FullName(const std::string& name, const std::string& package) {
    size_t dot = name.find('.');
    if (dot == std::string::npos) return package + "." + name;
    auto it = aliases_.find(name.substr(0, dot));
    if (it != aliases_.end()) return it->second + name.substr(dot);
    return name;
  }

  // Resolves a type expression; sets `err` and returns nullptr on failure.
  const Type* Resolve(const std::string& expr, const std::string& package, int line,
                      std::string& err) {
    if (expr.rfind("[]", 0) == 0) {
      const Type* elem = Resolve(expr.substr(2), package, line, err);
      if (elem == nullptr) return nullptr;
      const Type*& arr = arrays_[elem];
      if (arr == nullptr) {
        Type& t = schema_->types.emplace_back();
        t.kind = Type::Kind::kArray;
        t.elem = elem;
        arr = &t;
      }
      return arr;
    }
    if (expr.rfind("map[", 0) == 0) {
      constexpr std::string_view kPrefix = "map[string]";
      if (expr.rfind(kPrefix, 0) != 0) {
        err = At(line, "map keys must be string: " + expr);
        return nullptr;
      }
      const Type* elem = Resolve(expr.substr(kPrefix.size()), package, line, err);
      if (elem == nullptr) return nullptr;
      const Type*& map = maps_[elem];
      if (map == nullptr) {
        Type& t = schema_->types.emplace_back();
        t.kind = Type::Kind::kMap;
        t.elem = elem;
        map = &t;
      }
      return map;
    }
    if (auto it = primitives_.find(expr); it != primitives_.end()) return it->second;
    std::string full = FullName(expr, package);
    auto decl = decls_.find(full);
    if (decl == decls_.end()) {
      err = At(line, "unknown type " + expr + " (" + full + ")");
      return nullptr;
    }
    if (!decl->second.is_object) {
      if (auto e = ResolveAlias(decl->second)) {
        err = *e;
        return nullptr;
      }
    }
    return named_[full];
  }

  std::optional<std::string> ResolveAlias(RawDecl& decl) {
    Type& t = *named_[decl.full_name];
    if (resolved_aliases_.count(decl.full_name) != 0) return std::nullopt;
    if (!resolving_.insert(decl.full_name).second) {
      return At(decl.line, "type " + decl.full_name + " refers to itself");
    }
    std::string err;
    const Type* target = Resolve(decl.alias_of, decl.package, decl.line, err);
    resolving_.erase(decl.full_name);
    if (target == nullptr) return err;
    if (target->kind == Type::Kind::kObject) {
      return At(decl.line, "type " + decl.full_name + ": name object types with type X { }");
    }
    // The decoder and OpenAPI tell int32 from int64, bytes from string and Time from MicroTime
    // by the primitive's name, which a named type replaces.
    if (target->kind == Type::Kind::kInteger || target->kind == Type::Kind::kTime ||
        target->name == kGoBytes) {
      return At(decl.line, "type " + decl.full_name + ": cannot rename " + decl.alias_of);
    }
    t.kind = target->kind;
    t.elem = target->elem;
    // Go prints a named type by its package and name: "v1.RestartPolicy".
    t.name = std::string(GoQualifiedName(decl.full_name));
    resolved_aliases_.insert(decl.full_name);
    return std::nullopt;
  }

  static bool IsListType(const std::string& v) { return v == "atomic" || v == "set" || v == "map"; }
  static bool IsPatchStrategy(const std::string& v) {
    return v == "merge" || v == "replace" || v == "retainKeys" || v == "merge,retainKeys";
  }

  // A protobuf field number: 1 to 2^29-1 (protobuf's limit), below the embedding stride so that
  // inlined fields stay apart from direct ones.
  static std::optional<int> ParseProtoNumber(const std::string& v) {
    if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos) {
      return std::nullopt;
    }
    int n = std::stoi(v);
    if (n < 1 || n >= Field::kProtoEmbedStride) return std::nullopt;
    return n;
  }

  std::optional<std::string> ParseAttrs(const RawField& raw, Field& f) {
    for (const std::string& a : raw.attrs) {
      if (a == "required") {
        f.required = true;
        continue;
      }
      size_t eq = a.find('=');
      if (eq == std::string::npos) return At(raw.line, "unknown attribute " + a);
      std::string key = a.substr(0, eq);
      std::string value = a.substr(eq + 1);
      if (key == "patchStrategy" && IsPatchStrategy(value)) {
        f.patch_strategy = value;
      } else if (key == "patchMergeKey" && !value.empty()) {
        f.patch_merge_key = value;
      } else if (key == "listType" && IsListType(value)) {
        f.list_type = value;
      } else if (key == "listMapKeys" && !value.empty()) {
        std::stringstream ss(value);
        for (std::string k; std::getline(ss, k, ',');) f.list_map_keys.push_back(k);
      } else if (key == "proto" && ParseProtoNumber(value)) {
        f.proto_number = *ParseProtoNumber(value);
      } else {
        return At(raw.line, "bad attribute " + a);
      }
    }
    return std::nullopt;
  }

  // Appends `decl`'s fields (embedded types inlined, recursively) to `into`.
  std::optional<std::string> ExpandFields(const RawDecl& decl, Type& into, const RawDecl& root,
                                          std::set<std::string>& seen,
                                          std::vector<std::string>& stack) {
    for (const std::string& s : stack) {
      if (s == decl.full_name) return At(decl.line, "type " + decl.full_name + " embeds itself");
    }
    stack.push_back(decl.full_name);
    for (const RawField& raw : decl.fields) {
      if (raw.name.empty()) {
        auto it = decls_.find(FullName(raw.type, decl.package));
        if (it == decls_.end() || !it->second.is_object) {
          return At(raw.line, "embedded type " + raw.type + " is not an object type");
        }
        for (const std::string& a : raw.attrs) {
          if (a.rfind("proto=", 0) != 0) {
            return At(raw.line, "embedded type " + raw.type + " takes only proto=N");
          }
        }
        Field embedding;  // only its proto number is used
        if (auto err = ParseAttrs(raw, embedding)) return err;
        size_t first = into.fields.size();
        if (auto err = ExpandFields(it->second, into, root, seen, stack)) return err;
        if (auto err = NumberEmbedded(raw, embedding.proto_number, into, first)) return err;
        continue;
      }
      if (!seen.insert(raw.name).second) {
        return At(raw.line, "duplicate field " + raw.name + " in " + root.full_name);
      }
      Field f;
      f.name = raw.name;
      std::string err;
      f.type = Resolve(raw.type, decl.package, raw.line, err);
      if (f.type == nullptr) return err;
      if (auto e = ParseAttrs(raw, f)) return e;
      into.fields.push_back(std::move(f));
    }
    stack.pop_back();
    return std::nullopt;
  }

  // Renumbers the fields an embedding with protobuf number `outer` inlined (from index `first`)
  // as Field::proto_number describes. Without a number the struct is flat in protobuf too.
  std::optional<std::string> NumberEmbedded(const RawField& raw, int outer, Type& into,
                                            size_t first) {
    if (outer == 0) return std::nullopt;
    for (size_t i = first; i < into.fields.size(); ++i) {
      Field& f = into.fields[i];
      if (f.proto_number >= Field::kProtoEmbedStride) {
        return At(raw.line, "embedded type " + raw.type + " nests another numbered embedding");
      }
      if (f.proto_number != 0) f.proto_number += outer * Field::kProtoEmbedStride;
    }
    return std::nullopt;
  }

  // Two fields with one protobuf number would decode one into the other.
  static std::optional<std::string> CheckProtoNumbers(const RawDecl& decl, const Type& t) {
    std::map<int, std::string> direct;  // number -> field
    std::set<int> embeddings;
    for (const Field& f : t.fields) {
      if (f.proto_number == 0) continue;
      if (f.proto_number >= Field::kProtoEmbedStride) {
        embeddings.insert(f.proto_number / Field::kProtoEmbedStride);
      }
      auto [it, fresh] = direct.emplace(f.proto_number, f.name);
      if (!fresh) {
        return At(decl.line, decl.full_name + ": fields " + it->second + " and " + f.name +
                                 " share protobuf number " + std::to_string(f.proto_number));
      }
    }
    for (int outer : embeddings) {
      if (auto it = direct.find(outer); it != direct.end()) {
        return At(decl.line, decl.full_name + ": field " + it->second +
                                 " shares protobuf number " + std::to_string(outer) +
                                 " with an embedded struct");
      }
    }
    return std::nullopt;
  }

  // Catches typos in the definitions: merge keys and list-map keys must name fields of the
  // element type, and list metadata only makes sense on lists.
  std::optional<std::string> CheckPatchMetadata(const RawDecl& decl, const Type& t) {
    for (const Field& f : t.fields) {
      std::string where = decl.full_name + "." + f.name;
      bool is_list = f.type->kind == Type::Kind::kArray;
      if ((!f.list_type.empty() || !f.patch_merge_key.empty()) && !is_list) {
        return At(decl.line, where + ": list metadata on a non-list");
      }
      if (!f.patch_merge_key.empty() && f.patch_strategy.find("merge") != 0) {
        return At(decl.line, where + ": patchMergeKey needs patchStrategy=merge");
      }
      if (is_list && f.patch_strategy.find("merge") == 0 &&
          f.type->elem->kind == Type::Kind::kObject && f.patch_merge_key.empty()) {
        return At(decl.line, where + ": merging a list of objects needs patchMergeKey");
      }
      if (f.list_type == "map" && f.list_map_keys.empty()) {
        return At(decl.line, where + ": listType=map needs listMapKeys");
      }
      if (!f.list_map_keys.empty() && f.list_type != "map") {
        return At(decl.line, where + ": listMapKeys needs listType=map");
      }
      std::vector<std::string> keys = f.list_map_keys;
      if (!f.patch_merge_key.empty()) keys.push_back(f.patch_merge_key);
      for (const std::string& k : keys) {
        if (f.type->elem->kind != Type::Kind::kObject || f.type->elem->FindField(k) == nullptr) {
          return At(decl.line, where + ": key " + k + " is not a field of the list's elements");
        }
      }
    }
    return std::nullopt;
  }

  std::optional<std::string> AddKind(const RawKind& k) {
    std::string err;
    const Type* t = Resolve(k.type, k.package, k.line, err);
    if (t == nullptr) return err;
    if (t->kind != Type::Kind::kObject) return At(k.line, k.type + " is not an object type");
    if (t->FindField("apiVersion") == nullptr || t->FindField("kind") == nullptr) {
      return At(k.line, k.type + " lacks apiVersion/kind (embed meta.TypeMeta)");
    }
    std::string key = KindKey(k.group, k.version, k.kind);
    if (!schema_->kinds.emplace(key, t).second) return At(k.line, "duplicate kind " + key);
    schema_->gvks[t].push_back({k.group, k.version, k.kind});
    return std::nullopt;
  }

  Schema* schema_ = nullptr;
  std::map<std::string, std::string> aliases_;  // package alias -> full package name
  std::map<std::string, RawDecl> decls_;        // full type name -> declaration
  std::vector<RawKind> kinds_;
  std::map<std::string, const Type*> primitives_;
  std::map<std::string, Type*> named_;  // full type name -> type
  std::map<const Type*, const Type*> arrays_;
  std::map<const Type*, const Type*> maps_;
  std::set<std::string> resolving_;
  std::set<std::string> resolved_aliases_;
};

const Schema& GetSchema() {
  // Built once; C++ guarantees thread-safe initialization of function-local statics.
  static const Schema* const schema = [] {
    auto* s = new Schema();
    if (auto err = Builder().Build(internal::SchemaSource(), *s)) {
      // The definitions are compiled in: a broken one is a programming error caught by the
      // first test that touches the schema, never a runtime condition.
      std::fprintf(stderr, "mlkube: bad API schema definition: %s\n", err->c_str());
      std::abort();
    }
    return s;
  }();
  return *schema;
}

}  // namespace

std::string internal::SchemaSourceError(std::string_view text) {
  Schema scratch;
  return Builder().Build(text, scratch).value_or("");
}

namespace {

// ---------------------------------------------------------------------------------------------
// Strict decoding: unknown fields.
// ---------------------------------------------------------------------------------------------

void CollectUnknown(const Json& v, const Type& t, const std::string& path,
                    std::vector<std::string>& out) {
  switch (t.kind) {
    case Type::Kind::kObject: {
      if (!v.is_object()) return;
      for (auto it = v.begin(); it != v.end(); ++it) {
        std::string child = path.empty() ? it.key() : path + "." + it.key();
        const Field* f = t.FindField(it.key());
        if (f == nullptr) {
          out.push_back(std::move(child));
        } else {
          CollectUnknown(it.value(), *f->type, child, out);
        }
      }
      return;
    }
    case Type::Kind::kArray: {
      if (!v.is_array()) return;
      for (size_t i = 0; i < v.size(); ++i) {
        CollectUnknown(v[i], *t.elem, path + "[" + std::to_string(i) + "]", out);
      }
      return;
    }
    case Type::Kind::kMap: {
      if (!v.is_object()) return;
      for (auto it = v.begin(); it != v.end(); ++it) {
        // sigs.k8s.io/json names a map entry as a field, so "data.key.bogus".
        CollectUnknown(it.value(), *t.elem, path.empty() ? it.key() : path + "." + it.key(), out);
      }
      return;
    }
    default:
      return;
  }
}

// ---------------------------------------------------------------------------------------------
// Decoding errors, worded as Go's encoding/json (and the Unmarshalers of intstr, resource and
// metav1) word them.
// ---------------------------------------------------------------------------------------------

// What Go's decoder calls a JSON value in an UnmarshalTypeError.
const char* JsonValueWord(const Json& v) {
  switch (v.type()) {
    case Json::value_t::string:
      return "string";
    case Json::value_t::boolean:
      return "bool";
    case Json::value_t::object:
      return "object";
    case Json::value_t::array:
      return "array";
    case Json::value_t::null:
      return "null";
    default:
      return "number";
  }
}

// Where the decoder is: the innermost struct whose field it decodes, and the JSON field path
// from the root without list indexes or map keys (Go's errorContext).
struct DecodeContext {
  std::string_view struct_name;
  std::string field_path;
};

std::string TypeMismatch(const std::string& value_word, const std::string& go_type,
                         const DecodeContext& ctx) {
  if (ctx.struct_name.empty() && ctx.field_path.empty()) {
    return "json: cannot unmarshal " + value_word + " into Go value of type " + go_type;
  }
  return "json: cannot unmarshal " + value_word + " into Go struct field " +
         std::string(ctx.struct_name) + "." + ctx.field_path + " of type " + go_type;
}

// Whether `v` (an integer or float JSON number) fits in an integer type; when it does not, Go
// reports "number <literal>".
bool FitsInteger(const Json& v, std::string_view go_type) {
  int64_t lo = INT64_MIN, hi = INT64_MAX;
  if (go_type == kGoInt32) {
    lo = INT32_MIN;
    hi = INT32_MAX;
  }
  if (v.is_number_unsigned()) return v.get<uint64_t>() <= static_cast<uint64_t>(hi);
  if (v.is_number_integer()) {
    int64_t n = v.get<int64_t>();
    return n >= lo && n <= hi;
  }
  return false;  // a float literal never parses as an integer in Go
}

constexpr std::string_view kQuantityFormatError =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The error resource.ParseQuantity returns for `s`, or "" when it parses. Follows its scanner:
// sign, digits, optional fraction, then a suffix among the SI/binary ones or a decimal exponent.
std::string QuantityError(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  if (s.empty()) return std::string(kQuantityFormatError);
  size_t pos = 0, end = s.size();
  if (s[0] == '-' || s[0] == '+') ++pos;
  while (pos < end && IsDigit(s[pos])) ++pos;
  if (pos == end) return "";
  if (s[pos] == '.') {
    ++pos;
    while (pos < end && IsDigit(s[pos])) ++pos;
    if (pos == end) return "";
  }
  size_t suffix_start = pos;
  constexpr std::string_view kSuffixChars = "eEinumkKMGTP";
  while (pos < end && kSuffixChars.find(s[pos]) != std::string_view::npos) ++pos;
  if (pos < end && (s[pos] == '-' || s[pos] == '+')) ++pos;
  while (pos < end && IsDigit(s[pos])) ++pos;
  if (pos < end) return std::string(kQuantityFormatError);
  std::string_view suffix = s.substr(suffix_start);
  static const std::set<std::string_view> kSuffixes = {
      "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u", "m", "k", "M", "G", "T", "P", "E"};
  if (kSuffixes.count(suffix) != 0) return "";
  if (suffix[0] == 'e' || suffix[0] == 'E') {
    std::string_view exp = suffix.substr(1);
    if (!exp.empty() && (exp[0] == '-' || exp[0] == '+')) exp.remove_prefix(1);
    bool digits = !exp.empty();
    for (char c : exp) digits = digits && IsDigit(c);
    if (digits && exp.size() <= 9) return "";
  }
  return "unable to parse quantity's suffix";
}

// Go's time.quote.
std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c < 0x20 || c >= 0x80) {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += static_cast<char>(c);
  }
  return out + "\"";
}

int DaysIn(int month, int year) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))) return 29;
  return kDays[month - 1];
}

// The error time.Parse(time.RFC3339, s) returns, or "" when `s` parses. metav1.Time and MicroTime
// both decode through it (MicroTime's layout only adds a fraction, which RFC3339 parsing accepts).
std::string Rfc3339Error(std::string_view value) {
  constexpr std::string_view kLayout = "2006-01-02T15:04:05Z07:00";
  const std::string_view whole = value;
  auto cannot_parse = [&](std::string_view rest, std::string_view elem) {
    return "parsing time " + GoQuote(whole) + " as " + GoQuote(kLayout) + ": cannot parse " +
           GoQuote(rest) + " as " + GoQuote(elem);
  };
  auto out_of_range = [&](std::string_view what) {
    return "parsing time " + GoQuote(whole) + ": " + std::string(what) + " out of range";
  };
  // Consumes a literal separator.
  auto skip = [&](char c) {
    if (value.empty() || value[0] != c) return false;
    value.remove_prefix(1);
    return true;
  };
  // Go's getnum: one or two digits (two required when fixed).
  auto getnum = [&](bool fixed, int& n) {
    if (value.empty() || !IsDigit(value[0])) return false;
    if (value.size() < 2 || !IsDigit(value[1])) {
      if (fixed) return false;
      n = value[0] - '0';
      value.remove_prefix(1);
      return true;
    }
    n = (value[0] - '0') * 10 + (value[1] - '0');
    value.remove_prefix(2);
    return true;
  };

  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  std::string_view hold = value;
  if (value.size() < 4 || !IsDigit(value[0]) || !IsDigit(value[1]) || !IsDigit(value[2]) ||
      !IsDigit(value[3])) {
    return cannot_parse(hold, "2006");
  }
  year = std::stoi(std::string(value.substr(0, 4)));
  value.remove_prefix(4);
  if (!skip('-')) return cannot_parse(value, "-");
  hold = value;
  if (!getnum(true, month)) return cannot_parse(hold, "01");
  if (month < 1 || month > 12) return out_of_range("month");
  if (!skip('-')) return cannot_parse(value, "-");
  hold = value;
  if (!getnum(true, day)) return cannot_parse(hold, "02");
  if (!skip('T')) return cannot_parse(value, "T");
  hold = value;
  if (!getnum(false, hour)) return cannot_parse(hold, "15");
  if (hour > 23) return out_of_range("hour");
  if (!skip(':')) return cannot_parse(value, ":");
  hold = value;
  if (!getnum(true, minute)) return cannot_parse(hold, "04");
  if (minute > 59) return out_of_range("minute");
  if (!skip(':')) return cannot_parse(value, ":");
  hold = value;
  if (!getnum(true, second)) return cannot_parse(hold, "05");
  if (second > 59) return out_of_range("second");
  if (value.size() >= 2 && (value[0] == '.' || value[0] == ',') && IsDigit(value[1])) {
    size_t n = 2;
    while (n < value.size() && IsDigit(value[n])) ++n;
    value.remove_prefix(n);
  }
  hold = value;
  if (!value.empty() && value[0] == 'Z') {
    value.remove_prefix(1);
  } else {
    if (value.size() < 6 || value[3] != ':' || (value[0] != '+' && value[0] != '-') ||
        !IsDigit(value[1]) || !IsDigit(value[2]) || !IsDigit(value[4]) || !IsDigit(value[5])) {
      return cannot_parse(hold, "Z07:00");
    }
    int zh = (value[1] - '0') * 10 + (value[2] - '0');
    int zm = (value[4] - '0') * 10 + (value[5] - '0');
    if (zh > 24) return out_of_range("time zone offset hour");
    if (zm > 60) return out_of_range("time zone offset minute");
    value.remove_prefix(6);
  }
  if (!value.empty()) {
    return "parsing time " + GoQuote(whole) + ": extra text: " + GoQuote(value);
  }
  if (day < 1 || day > DaysIn(month, year)) return out_of_range("day");
  return "";
}

// The byte offset base64.StdEncoding.Decode reports for `s`, or -1 when it decodes. Mirrors Go's
// decodeQuantum, newline skipping and padding rules included.
int64_t Base64ErrorOffset(std::string_view src) {
  auto valid = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || IsDigit(c) || c == '+' || c == '/';
  };
  auto newline = [](char c) { return c == '\n' || c == '\r'; };
  size_t si = 0;
  const size_t n = src.size();
  while (si < n) {
    for (int j = 0; j < 4; ++j) {
      if (si == n) {
        if (j == 0) return -1;
        return static_cast<int64_t>(si) - j;
      }
      char in = src[si++];
      if (valid(in)) continue;
      if (newline(in)) {
        --j;
        continue;
      }
      if (in != '=') return static_cast<int64_t>(si) - 1;
      if (j == 0 || j == 1) return static_cast<int64_t>(si) - 1;
      if (j == 2) {
        while (si < n && newline(src[si])) ++si;
        if (si == n) return static_cast<int64_t>(n);
        if (src[si] != '=') return static_cast<int64_t>(si) - 1;
        ++si;
      }
      while (si < n && newline(src[si])) ++si;
      if (si < n) return static_cast<int64_t>(si);
      return -1;
    }
  }
  return -1;
}

void CollectTypeErrors(const Json& v, const Type& t, const DecodeContext& ctx,
                       std::vector<std::string>& out) {
  if (v.is_null()) return;  // Go's decoder leaves the zero value for null, whatever the type
  switch (t.kind) {
    case Type::Kind::kObject: {
      if (!v.is_object()) {
        out.push_back(TypeMismatch(JsonValueWord(v), GoTypeName(t), ctx));
        return;
      }
      for (auto it = v.begin(); it != v.end(); ++it) {
        const Field* f = t.FindField(it.key());
        if (f == nullptr) continue;  // strict decoding reports it
        DecodeContext child{ShortName(t.name),
                            ctx.field_path.empty() ? it.key() : ctx.field_path + "." + it.key()};
        CollectTypeErrors(it.value(), *f->type, child, out);
      }
      return;
    }
    case Type::Kind::kArray:
      if (!v.is_array()) {
        out.push_back(TypeMismatch(JsonValueWord(v), GoTypeName(t), ctx));
        return;
      }
      for (const Json& e : v) CollectTypeErrors(e, *t.elem, ctx, out);
      return;
    case Type::Kind::kMap:
      if (!v.is_object()) {
        out.push_back(TypeMismatch(JsonValueWord(v), GoTypeName(t), ctx));
        return;
      }
      for (const Json& e : v) CollectTypeErrors(e, *t.elem, ctx, out);
      return;
    case Type::Kind::kString:
      if (!v.is_string()) {
        out.push_back(TypeMismatch(JsonValueWord(v), GoTypeName(t), ctx));
      } else if (t.name == kGoBytes) {
        int64_t bad = Base64ErrorOffset(v.get_ref<const std::string&>());
        if (bad >= 0) out.push_back("illegal base64 data at input byte " + std::to_string(bad));
      }
      return;
    case Type::Kind::kInteger:
      if (!v.is_number()) {
        out.push_back(TypeMismatch(JsonValueWord(v), GoTypeName(t), ctx));
      } else if (!FitsInteger(v, t.name)) {
        out.push_back(TypeMismatch("number " + v.dump(), GoTypeName(t), ctx));
      }
      return;
    case Type::Kind::kNumber:
      if (!v.is_number()) out.push_back(TypeMismatch(JsonValueWord(v), GoTypeName(t), ctx));
      return;
    case Type::Kind::kBoolean:
      if (!v.is_boolean()) out.push_back(TypeMismatch(JsonValueWord(v), GoTypeName(t), ctx));
      return;
    case Type::Kind::kIntOrString:
      // IntOrString.UnmarshalJSON decodes anything but a string into its int32 on its own, so
      // the error names no struct field.
      if (v.is_string()) return;
      if (!v.is_number()) {
        out.push_back(TypeMismatch(JsonValueWord(v), "int32", {}));
      } else if (!FitsInteger(v, kGoInt32)) {
        out.push_back(TypeMismatch("number " + v.dump(), "int32", {}));
      }
      return;
    case Type::Kind::kQuantity: {
      std::string err;
      if (v.is_string()) {
        err = QuantityError(v.get_ref<const std::string&>());
      } else if (v.is_number()) {
        err = QuantityError(v.dump());
      } else {
        err = std::string(kQuantityFormatError);
      }
      if (!err.empty()) out.push_back(std::move(err));
      return;
    }
    case Type::Kind::kTime:
      if (!v.is_string()) {
        // metav1.Time.UnmarshalJSON first decodes a Go string.
        out.push_back(TypeMismatch(JsonValueWord(v), "string", {}));
        return;
      }
      if (std::string err = Rfc3339Error(v.get_ref<const std::string&>()); !err.empty()) {
        out.push_back(std::move(err));
      }
      return;
    case Type::Kind::kAny:
      return;
  }
}

// ---------------------------------------------------------------------------------------------
// OpenAPI v3.
// ---------------------------------------------------------------------------------------------

constexpr std::string_view kRefPrefix = "#/components/schemas/";
constexpr std::string_view kPatchSchema = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";

Json Ref(std::string_view name) {
  // Wrapped in allOf as Kubernetes does, so that siblings (patch extensions) stay meaningful.
  return Json{
      {"allOf", Json::array({Json{{"$ref", std::string(kRefPrefix) + std::string(name)}}})}};
}

Json TypeSchema(const Type& t) {
  switch (t.kind) {
    case Type::Kind::kObject:
      return Ref(t.name);
    case Type::Kind::kArray:
      return Json{{"type", "array"}, {"items", TypeSchema(*t.elem)}};
    case Type::Kind::kMap:
      return Json{{"type", "object"}, {"additionalProperties", TypeSchema(*t.elem)}};
    case Type::Kind::kString:
      if (t.name == kGoBytes) return Json{{"type", "string"}, {"format", "byte"}};
      return Json{{"type", "string"}};
    case Type::Kind::kInteger:
      return Json{{"type", "integer"}, {"format", t.name == kGoInt32 ? "int32" : "int64"}};
    case Type::Kind::kNumber:
      return Json{{"type", "number"}, {"format", "double"}};
    case Type::Kind::kBoolean:
      return Json{{"type", "boolean"}};
    case Type::Kind::kIntOrString:
      return Ref(kIntOrStringSchema);
    case Type::Kind::kQuantity:
      return Ref(kQuantitySchema);
    case Type::Kind::kTime:
      return Ref(t.name == kGoMicroTime ? kMicroTimeSchema : kTimeSchema);
    case Type::Kind::kAny:
      return Json{{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}};
  }
  return Json::object();
}

Json FieldSchema(const Field& f) {
  Json s = TypeSchema(*f.type);
  if (!f.patch_strategy.empty()) s["x-kubernetes-patch-strategy"] = f.patch_strategy;
  if (!f.patch_merge_key.empty()) s["x-kubernetes-patch-merge-key"] = f.patch_merge_key;
  if (!f.list_type.empty()) s["x-kubernetes-list-type"] = f.list_type;
  if (!f.list_map_keys.empty()) s["x-kubernetes-list-map-keys"] = f.list_map_keys;
  return s;
}

Json GvkJson(const Gvk& g) {
  return Json{{"group", g.group}, {"version", g.version}, {"kind", g.kind}};
}

Json ObjectSchema(const Schema& schema, const Type& t) {
  Json s = {{"type", "object"}, {"properties", Json::object()}};
  Json required = Json::array();
  for (const Field& f : t.fields) {
    s["properties"][f.name] = FieldSchema(f);
    if (f.required) required.push_back(f.name);
  }
  if (!required.empty()) s["required"] = std::move(required);
  if (auto it = schema.gvks.find(&t); it != schema.gvks.end()) {
    Json list = Json::array();
    for (const Gvk& g : it->second) list.push_back(GvkJson(g));
    s["x-kubernetes-group-version-kind"] = std::move(list);
  }
  return s;
}

// Adds `t` and every named object type reachable from it to `schemas`.
void AddReachable(const Schema& schema, const Type& t, Json& schemas,
                  std::set<const Type*>& visited) {
  if (!visited.insert(&t).second) return;
  if (t.kind == Type::Kind::kObject) {
    schemas[t.name] = ObjectSchema(schema, t);
    for (const Field& f : t.fields) AddReachable(schema, *f.type, schemas, visited);
  } else if (t.elem != nullptr) {
    AddReachable(schema, *t.elem, schemas, visited);
  }
}

std::string UpperFirst(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

// "" -> "Core", "discovery.k8s.io" -> "Discovery", "apps" -> "Apps": as in operation ids.
std::string GroupWord(std::string_view group) {
  if (group.empty()) return "Core";
  std::string g(group);
  if (size_t k = g.find(".k8s.io"); k != std::string::npos) g.erase(k);
  std::string out;
  bool up = true;
  for (char c : g) {
    if (c == '.' || c == '-') {
      up = true;
      continue;
    }
    out += up && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    up = false;
  }
  return out;
}

std::string GroupTag(std::string_view group, std::string_view version) {
  if (group.empty()) return "core_" + std::string(version);
  std::string g(group.substr(0, group.find('.')));
  return g + "_" + std::string(version);
}

Json QueryParam(std::string_view name, std::string_view type, std::string_view description) {
  return Json{{"name", name},
              {"in", "query"},
              {"description", description},
              {"schema", {{"type", type}, {"uniqueItems", true}}}};
}

Json PathParam(std::string_view name, std::string_view description) {
  return Json{{"name", name},
              {"in", "path"},
              {"description", description},
              {"required", true},
              {"schema", {{"type", "string"}, {"uniqueItems", true}}}};
}

Json DryRunParam() {
  return QueryParam("dryRun", "string",
                    "When present, indicates that modifications should not be persisted. Valid "
                    "values are: - All: all dry run stages will be processed");
}
Json FieldManagerParam() {
  return QueryParam("fieldManager", "string",
                    "fieldManager is a name associated with the actor or entity that is making "
                    "these changes.");
}
Json FieldValidationParam() {
  return QueryParam("fieldValidation", "string",
                    "fieldValidation instructs the server on how to handle objects in the request "
                    "containing unknown or duplicate fields. Valid values are: Ignore, Warn, "
                    "Strict.");
}

std::vector<Json> ListParams() {
  return {QueryParam("allowWatchBookmarks", "boolean", "requests watch events of type BOOKMARK."),
          QueryParam("continue", "string", "continue token of a paginated list."),
          QueryParam("fieldSelector", "string", "restricts the list by fields."),
          QueryParam("labelSelector", "string", "restricts the list by labels."),
          QueryParam("limit", "integer", "the maximum number of items to return."),
          QueryParam("resourceVersion", "string", "the resourceVersion to list or watch from."),
          QueryParam("resourceVersionMatch", "string", "how resourceVersion applies to list."),
          QueryParam("sendInitialEvents", "boolean", "sends synthetic ADDED events first."),
          QueryParam("timeoutSeconds", "integer", "timeout for the list/watch call."),
          QueryParam("watch", "boolean", "watch for changes instead of listing.")};
}

std::vector<Json> DeleteParams() {
  return {DryRunParam(),
          QueryParam("gracePeriodSeconds", "integer",
                     "The duration in seconds before the object should be deleted."),
          QueryParam("ignoreStoreReadErrorWithClusterBreakingPotential", "boolean",
                     "deletes corrupt objects that cannot be read from the store."),
          QueryParam("orphanDependents", "boolean", "Deprecated: use propagationPolicy."),
          QueryParam("propagationPolicy", "string",
                     "Whether and how garbage collection will be performed: Orphan, Background "
                     "or Foreground.")};
}

Json Content(const Json& schema, const std::vector<std::string_view>& media_types) {
  Json c = Json::object();
  for (std::string_view m : media_types) c[std::string(m)] = {{"schema", schema}};
  return c;
}

Json Response(std::string_view description, const Json& schema) {
  return Json{{"description", description},
              {"content", Content(schema, {"application/json", "application/yaml"})}};
}

struct OpSpec {
  std::string_view verb;         // operationId prefix: "read", "replace", ...
  std::string_view action;       // x-kubernetes-action
  std::string_view suffix;       // operationId suffix after the kind ("", "ForAllNamespaces")
  bool collection_verb = false;  // deleteCollection: "Collection" goes before "Namespaced"
};

Json Operation(const OpSpec& spec, const Gvk& gvk, bool namespaced, const Json& description,
               std::vector<Json> params, std::optional<Json> body,
               std::vector<std::pair<std::string, Json>> responses) {
  std::string id = std::string(spec.verb) + GroupWord(gvk.group) + UpperFirst(gvk.version) +
                   (spec.collection_verb ? "Collection" : "") +
                   (namespaced && spec.suffix.empty() ? "Namespaced" : "") + gvk.kind +
                   std::string(spec.suffix);
  Json op = {{"tags", Json::array({GroupTag(gvk.group, gvk.version)})},
             {"description", description},
             {"operationId", id},
             {"x-kubernetes-action", spec.action},
             {"x-kubernetes-group-version-kind", GvkJson(gvk)}};
  if (!params.empty()) op["parameters"] = std::move(params);
  if (body) op["requestBody"] = std::move(*body);
  Json resp = Json::object();
  for (auto& [code, r] : responses) resp[code] = std::move(r);
  resp["401"] = {{"description", "Unauthorized"}};
  op["responses"] = std::move(resp);
  return op;
}

}  // namespace

const Type* LookupKind(std::string_view group, std::string_view version, std::string_view kind) {
  const Schema& schema = GetSchema();
  auto it = schema.kinds.find(KindKey(group, version, kind));
  return it == schema.kinds.end() ? nullptr : it->second;
}

std::vector<std::string> UnknownFields(const Json& obj, const Type& type) {
  std::vector<std::string> out;
  try {
    CollectUnknown(obj, type, "", out);
  } catch (const std::exception& e) {  // nlohmann: cannot happen on a well-formed Json
    out.push_back(std::string("internal error: ") + e.what());
  }
  return out;
}

std::vector<std::string> TypeErrors(const Json& obj, const Type& type) {
  std::vector<std::string> out;
  try {
    CollectTypeErrors(obj, type, {}, out);
  } catch (const std::exception& e) {
    out.push_back(std::string("internal error: ") + e.what());
  }
  return out;
}

Json OpenApiV3(std::string_view group, std::string_view version,
               const std::vector<OpenApiResource>& resources) {
  const Schema& schema = GetSchema();
  Json doc;
  try {
    Json schemas = Json::object();
    std::set<const Type*> visited;
    // Every document carries the meta types its operations use.
    for (std::string_view meta : {"DeleteOptions", "Status", "ListMeta"}) {
      auto it = schema.objects.find(std::string(kMetaPackage) + "." + std::string(meta));
      if (it != schema.objects.end()) AddReachable(schema, *it->second, schemas, visited);
    }
    schemas[std::string(kIntOrStringSchema)] = {{"type", "string"}, {"format", "int-or-string"}};
    schemas[std::string(kQuantitySchema)] = {{"type", "string"}};
    schemas[std::string(kTimeSchema)] = {{"type", "string"}, {"format", "date-time"}};
    schemas[std::string(kMicroTimeSchema)] = {{"type", "string"}, {"format", "date-time"}};
    schemas[std::string(kPatchSchema)] = {
        {"type", "object"},
        {"description",
         "Patch is provided to give a concrete name and type to the Kubernetes PATCH request "
         "body."}};
    const std::string delete_options = std::string(kMetaPackage) + ".DeleteOptions";
    const std::string status = std::string(kMetaPackage) + ".Status";

    Json paths = Json::object();
    const std::string prefix = group.empty()
                                   ? "/api/" + std::string(version)
                                   : "/apis/" + std::string(group) + "/" + std::string(version);
    for (const OpenApiResource& r : resources) {
      const Gvk gvk{std::string(group), std::string(version), r.kind};
      const Type* root = LookupKind(group, version, r.kind);
      Json kind_schema = Json{{"type", "object"}};
      Json list_schema = Json{{"type", "object"}};
      if (root != nullptr) {
        AddReachable(schema, *root, schemas, visited);
        kind_schema = Ref(root->name);
        // Lists are not separate types in the DSL: they are all the same shape.
        std::string list_name = root->name + "List";
        Json items = {{"type", "array"}, {"items", Ref(root->name)}};
        schemas[list_name] = {{"type", "object"},
                              {"required", Json::array({"items"})},
                              {"properties",
                               {{"apiVersion", {{"type", "string"}}},
                                {"kind", {{"type", "string"}}},
                                {"items", items},
                                {"metadata", Ref(std::string(kMetaPackage) + ".ListMeta")}}},
                              {"x-kubernetes-group-version-kind",
                               Json::array({GvkJson({gvk.group, gvk.version, r.kind + "List"})})}};
        list_schema = Ref(list_name);
      }
      const std::string ns = r.namespaced ? "/namespaces/{namespace}" : "";
      const std::string collection = prefix + ns + "/" + r.plural;
      const std::string item = collection + "/{name}";
      const Json pretty =
          QueryParam("pretty", "string", "If 'true', then the output is pretty printed.");
      const Json ns_param =
          PathParam("namespace", "object name and auth scope, such as for teams and projects");
      const Json name_param = PathParam("name", "name of the " + r.kind);

      Json write_body = {
          {"required", true},
          {"content", Content(kind_schema, {"application/json", "application/yaml"})}};
      Json patch_body = {
          {"required", true},
          {"content",
           Content(Ref(kPatchSchema),
                   {"application/apply-patch+yaml", "application/json-patch+json",
                    "application/merge-patch+json", "application/strategic-merge-patch+json"})}};
      Json delete_body = {{"content", Content(Ref(delete_options), {"application/json"})}};

      Json item_path = Json::object();
      item_path["parameters"] = r.namespaced ? Json::array({name_param, ns_param, pretty})
                                             : Json::array({name_param, pretty});
      item_path["get"] =
          Operation({"read", "get", ""}, gvk, r.namespaced, "read the specified " + r.kind, {},
                    std::nullopt, {{"200", Response("OK", kind_schema)}});
      item_path["put"] = Operation(
          {"replace", "put", ""}, gvk, r.namespaced, "replace the specified " + r.kind,
          {DryRunParam(), FieldManagerParam(), FieldValidationParam()}, write_body,
          {{"200", Response("OK", kind_schema)}, {"201", Response("Created", kind_schema)}});
      item_path["patch"] = Operation(
          {"patch", "patch", ""}, gvk, r.namespaced, "partially update the specified " + r.kind,
          {DryRunParam(), FieldManagerParam(), FieldValidationParam(),
           QueryParam("force", "boolean",
                      "Force is going to \"force\" Apply requests. It must be unset for non-apply "
                      "patch requests.")},
          patch_body,
          {{"200", Response("OK", kind_schema)}, {"201", Response("Created", kind_schema)}});
      item_path["delete"] = Operation(
          {"delete", "delete", ""}, gvk, r.namespaced, "delete a " + r.kind, DeleteParams(),
          delete_body,
          {{"200", Response("OK", kind_schema)}, {"202", Response("Accepted", kind_schema)}});
      paths[item] = std::move(item_path);

      Json coll_path = Json::object();
      coll_path["parameters"] =
          r.namespaced ? Json::array({ns_param, pretty}) : Json::array({pretty});
      coll_path["get"] = Operation({"list", "list", ""}, gvk, r.namespaced,
                                   "list or watch objects of kind " + r.kind, ListParams(),
                                   std::nullopt, {{"200", Response("OK", list_schema)}});
      coll_path["post"] =
          Operation({"create", "post", ""}, gvk, r.namespaced, "create a " + r.kind,
                    {DryRunParam(), FieldManagerParam(), FieldValidationParam()}, write_body,
                    {{"200", Response("OK", kind_schema)},
                     {"201", Response("Created", kind_schema)},
                     {"202", Response("Accepted", kind_schema)}});
      std::vector<Json> dc_params = ListParams();
      for (Json& p : DeleteParams()) dc_params.push_back(std::move(p));
      coll_path["delete"] = Operation({"delete", "deletecollection", "", true}, gvk, r.namespaced,
                                      "delete collection of " + r.kind, dc_params, delete_body,
                                      {{"200", Response("OK", Ref(status))}});
      paths[collection] = std::move(coll_path);

      if (r.namespaced) {
        Json all = Json::object();
        all["parameters"] = Json::array({pretty});
        all["get"] = Operation({"list", "list", "ForAllNamespaces"}, gvk, false,
                               "list or watch objects of kind " + r.kind, ListParams(),
                               std::nullopt, {{"200", Response("OK", list_schema)}});
        paths[prefix + "/" + r.plural] = std::move(all);
      }
    }
    doc = {{"openapi", "3.0.0"},
           {"info", {{"title", "Kubernetes"}, {"version", "v1.32.0"}}},
           {"paths", std::move(paths)},
           {"components", {{"schemas", std::move(schemas)}}}};
  } catch (const std::exception&) {
    // Building JSON from our own values cannot fail short of allocation failure; answer an
    // empty but valid document rather than let an exception escape.
    doc = {{"openapi", "3.0.0"},
           {"info", {{"title", "Kubernetes"}, {"version", "v1.32.0"}}},
           {"paths", Json::object()}};
  }
  return doc;
}

}  // namespace mlkube::api
