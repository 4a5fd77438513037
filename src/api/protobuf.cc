#include "api/protobuf.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <exception>
#include <set>
#include <string>

#include "api/schema.h"

namespace mlkube::api {

namespace {

constexpr std::string_view kMagic("k8s\0", 4);
// Objects nest only as deep as the schema does; the cap keeps hostile input off the stack.
constexpr int kMaxDepth = 64;

// Go type names that schema.cc gives primitives of one JSON kind; the wire encoding differs.
constexpr std::string_view kGoInt32 = "int32";
constexpr std::string_view kGoBytes = "[]uint8";
constexpr std::string_view kGoMicroTime = "v1.MicroTime";

enum WireType : int { kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5 };

// One field as it appears on the wire.
struct WireField {
  uint64_t number = 0;
  int wire_type = 0;
  uint64_t scalar = 0;     // kVarint, kFixed64 and kFixed32 values
  std::string_view bytes;  // kLen payload, a view into the input
};

Status Error(const std::string& path, const std::string& what) {
  return Status(Code::kBadRequest, "protobuf: " + (path.empty() ? what : path + ": " + what));
}

std::string Child(const std::string& path, const std::string& name) {
  return path.empty() ? name : path + "." + name;
}

std::string WireTypeName(int wire_type) {
  switch (wire_type) {
    case kVarint:
      return "varint";
    case kFixed64:
      return "fixed64";
    case kLen:
      return "length-delimited";
    case kFixed32:
      return "fixed32";
  }
  return std::to_string(wire_type);
}

Status WrongWireType(const std::string& path, const WireField& w, int want) {
  return Error(path, "wire type " + WireTypeName(w.wire_type) + ", want " + WireTypeName(want));
}

// Reads the fields of one message in order; every read is bounds-checked against `data`.
class WireReader {
 public:
  explicit WireReader(std::string_view data) : data_(data) {}

  bool Done() const { return pos_ >= data_.size(); }

  Status Next(const std::string& path, WireField& f) {
    uint64_t key = 0;
    RETURN_IF_ERROR(Varint(path, key));
    f.number = key >> 3;
    f.wire_type = static_cast<int>(key & 7);
    // Protobuf's field numbers are 1..2^29-1.
    if (f.number == 0 || f.number > (1u << 29) - 1) {
      return Error(path, "invalid field number " + std::to_string(f.number));
    }
    switch (f.wire_type) {
      case kVarint:
        return Varint(path, f.scalar);
      case kFixed64:
        return Fixed(path, 8, f.scalar);
      case kFixed32:
        return Fixed(path, 4, f.scalar);
      case kLen: {
        uint64_t len = 0;
        RETURN_IF_ERROR(Varint(path, len));
        if (len > data_.size() - pos_) {
          return Error(path, "field " + std::to_string(f.number) + " is " + std::to_string(len) +
                                 " bytes long, past the end of its message");
        }
        f.bytes = data_.substr(pos_, len);
        pos_ += len;
        return Status::Ok();
      }
    }
    // Groups (wire types 3 and 4) are deprecated and absent from Kubernetes' messages.
    return Error(path, "unsupported wire type " + std::to_string(f.wire_type) + " of field " +
                           std::to_string(f.number));
  }

  Status Varint(const std::string& path, uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return Error(path, "truncated varint");
      auto b = static_cast<uint8_t>(data_[pos_++]);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return Status::Ok();
    }
    return Error(path, "varint longer than 10 bytes");
  }

  // A little-endian fixed64 or fixed32 value.
  Status Fixed(const std::string& path, size_t size, uint64_t& v) {
    if (size > data_.size() - pos_) return Error(path, "truncated fixed-size value");
    v = 0;
    for (size_t i = 0; i < size; ++i) {
      v |= static_cast<uint64_t>(static_cast<uint8_t>(data_[pos_ + i])) << (8 * i);
    }
    pos_ += size;
    return Status::Ok();
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<uint8_t>(s[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      n = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (n > s.size() - i - 1) return false;
    for (size_t k = 1; k <= n; ++k) {
      auto cc = static_cast<uint8_t>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    static constexpr uint32_t kMinForLength[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

// nlohmann::json refuses to serialize invalid UTF-8 (it throws), so strings are checked here,
// where a bad one is still the client's error.
Result<Json> Utf8String(const std::string& path, std::string_view s) {
  if (!IsValidUtf8(s)) return Error(path, "string is not valid UTF-8");
  return Json(std::string(s));
}

// Go's encoding/json writes []byte as standard base64 with padding.
std::string Base64(std::string_view in) {
  static constexpr char kTable[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t n = static_cast<uint8_t>(in[i]) << 16 | static_cast<uint8_t>(in[i + 1]) << 8 |
                 static_cast<uint8_t>(in[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kTable[(n >> shift) & 63];
  }
  if (i < in.size()) {
    uint32_t n = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<uint8_t>(in[i + 1]) << 8;
    out += kTable[(n >> 18) & 63];
    out += kTable[(n >> 12) & 63];
    out += i + 1 < in.size() ? kTable[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// metav1.Time and MicroTime as their JSON forms: RFC 3339 in UTC, whole seconds for Time (its
// protobuf nanos are dropped, as Kubernetes drops them) and microseconds for MicroTime.
Result<Json> FormatTime(const std::string& path, int64_t seconds, int64_t nanos, bool micro) {
  constexpr int64_t kMinSeconds = -62135596800;  // 0001-01-01T00:00:00Z
  constexpr int64_t kMaxSeconds = 253402300799;  // 9999-12-31T23:59:59Z
  if (seconds < kMinSeconds || seconds > kMaxSeconds) {
    return Error(path, "time " + std::to_string(seconds) + "s is outside years 1 to 9999");
  }
  if (micro && (nanos < 0 || nanos > 999'999'999)) {
    return Error(path, "nanos " + std::to_string(nanos) + " outside 0 to 999999999");
  }
  std::time_t t = seconds;
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return Error(path, "time out of range");
  char buf[40];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                        tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  std::string out(buf, n);
  if (micro) {
    std::snprintf(buf, sizeof buf, ".%06d", static_cast<int>(nanos / 1000));
    out += buf;
  }
  return Json(out + "Z");
}

Status ExpectWireType(const std::string& path, const WireField& w, int want) {
  return w.wire_type == want ? Status::Ok() : WrongWireType(path, w, want);
}

// Decodes messages of schema types into JSON. Holds no state; a class only to keep the mutually
// recursive steps together.
class Decoder {
 public:
  // Decodes the message `data` of object type `t` into `out` (an object), merging into what is
  // there as protobuf merges repeated occurrences of a message. `embedding` is nonzero while
  // reading the nested message of an embedded struct: see Field::proto_number.
  Status Fields(std::string_view data, const Type& t, Json& out, const std::string& path, int depth,
                int embedding = 0) {
    if (depth > kMaxDepth) return Error(path, "nested too deeply");
    WireReader r(data);
    while (!r.Done()) {
      WireField w;
      RETURN_IF_ERROR(r.Next(path, w));
      if (const Field* f = FieldByNumber(t, embedding, w.number)) {
        RETURN_IF_ERROR(DecodeField(w, *f, out, Child(path, f->name), depth));
      } else if (embedding == 0 && EmbedsNumber(t, w.number)) {
        RETURN_IF_ERROR(ExpectWireType(path, w, kLen));
        RETURN_IF_ERROR(Fields(w.bytes, t, out, path, depth + 1,
                               static_cast<int>(w.number) * Field::kProtoEmbedStride));
      }
      // Any other number is a field newer than this schema: skipped, as Kubernetes does.
    }
    return Status::Ok();
  }

 private:
  static const Field* FieldByNumber(const Type& t, int embedding, uint64_t number) {
    if (number >= Field::kProtoEmbedStride) return nullptr;
    for (const Field& f : t.fields) {
      if (f.proto_number != 0 && static_cast<uint64_t>(f.proto_number) == embedding + number) {
        return &f;
      }
    }
    return nullptr;
  }

  static bool EmbedsNumber(const Type& t, uint64_t number) {
    for (const Field& f : t.fields) {
      if (f.proto_number >= Field::kProtoEmbedStride &&
          static_cast<uint64_t>(f.proto_number / Field::kProtoEmbedStride) == number) {
        return true;
      }
    }
    return false;
  }

  Status DecodeField(const WireField& w, const Field& f, Json& out, const std::string& path,
                     int depth) {
    Json& slot = out[f.name];
    switch (f.type->kind) {
      case Type::Kind::kArray:
        if (!slot.is_array()) slot = Json::array();
        return AppendElements(w, *f.type->elem, slot, path, depth);
      case Type::Kind::kMap:
        if (!slot.is_object()) slot = Json::object();
        return AddMapEntry(w, *f.type->elem, slot, path, depth);
      case Type::Kind::kObject:
        RETURN_IF_ERROR(ExpectWireType(path, w, kLen));
        if (!slot.is_object()) slot = Json::object();
        return Fields(w.bytes, *f.type, slot, path, depth + 1);
      default: {
        Result<Json> v = Value(w, *f.type, path);
        if (!v.ok()) return v.status();
        slot = std::move(*v);
        return Status::Ok();
      }
    }
  }

  // Repeated fields: one wire field per element, or for numbers also protobuf's packed form
  // (all elements in one length-delimited field).
  Status AppendElements(const WireField& w, const Type& elem, Json& arr, const std::string& path,
                        int depth) {
    std::string item = path + "[" + std::to_string(arr.size()) + "]";
    bool numeric = elem.kind == Type::Kind::kInteger || elem.kind == Type::Kind::kBoolean ||
                   elem.kind == Type::Kind::kNumber;
    if (numeric && w.wire_type == kLen) {
      WireReader packed(w.bytes);
      while (!packed.Done()) {
        WireField e;
        e.wire_type = elem.kind == Type::Kind::kNumber ? kFixed64 : kVarint;
        if (e.wire_type == kVarint) {
          RETURN_IF_ERROR(packed.Varint(item, e.scalar));
        } else {
          RETURN_IF_ERROR(packed.Fixed(item, 8, e.scalar));
        }
        Result<Json> v = Value(e, elem, item);
        if (!v.ok()) return v.status();
        arr.push_back(std::move(*v));
      }
      return Status::Ok();
    }
    switch (elem.kind) {
      case Type::Kind::kObject: {
        RETURN_IF_ERROR(ExpectWireType(item, w, kLen));
        Json obj = Json::object();
        RETURN_IF_ERROR(Fields(w.bytes, elem, obj, item, depth + 1));
        arr.push_back(std::move(obj));
        return Status::Ok();
      }
      case Type::Kind::kArray:
      case Type::Kind::kMap:
        return Error(item, "lists of lists or maps have no protobuf form");
      default: {
        Result<Json> v = Value(w, elem, item);
        if (!v.ok()) return v.status();
        arr.push_back(std::move(*v));
        return Status::Ok();
      }
    }
  }

  // Maps are repeated entry messages {key = 1, value = 2}; an absent part is its zero value.
  Status AddMapEntry(const WireField& w, const Type& elem, Json& map, const std::string& path,
                     int depth) {
    RETURN_IF_ERROR(ExpectWireType(path, w, kLen));
    std::string_view key;
    bool has_value = false;
    WireField value;
    WireReader r(w.bytes);
    while (!r.Done()) {
      WireField e;
      RETURN_IF_ERROR(r.Next(path, e));
      if (e.number == 1) {
        RETURN_IF_ERROR(ExpectWireType(path, e, kLen));
        key = e.bytes;
      } else if (e.number == 2) {
        value = e;
        has_value = true;
      }
    }
    if (!IsValidUtf8(key)) return Error(path, "map key is not valid UTF-8");
    std::string item = path + "[" + std::string(key) + "]";
    Json& slot = map[std::string(key)];
    switch (elem.kind) {
      case Type::Kind::kObject:
        slot = Json::object();
        if (!has_value) return Status::Ok();
        RETURN_IF_ERROR(ExpectWireType(item, value, kLen));
        return Fields(value.bytes, elem, slot, item, depth + 1);
      case Type::Kind::kArray:
      case Type::Kind::kMap:
        return Error(item, "maps of lists or maps have no protobuf form");
      default: {
        if (!has_value) {
          slot = ZeroValue(elem);
          return Status::Ok();
        }
        Result<Json> v = Value(value, elem, item);
        if (!v.ok()) return v.status();
        slot = std::move(*v);
        return Status::Ok();
      }
    }
  }

  // What Go leaves in a map value protobuf did not send.
  static Json ZeroValue(const Type& t) {
    switch (t.kind) {
      case Type::Kind::kString:
        return "";
      case Type::Kind::kInteger:
      case Type::Kind::kIntOrString:
        return 0;
      case Type::Kind::kNumber:
        return 0.0;
      case Type::Kind::kBoolean:
        return false;
      case Type::Kind::kQuantity:
        return "0";
      default:
        return nullptr;
    }
  }

  // A single value of a non-container type.
  Result<Json> Value(const WireField& w, const Type& t, const std::string& path) {
    switch (t.kind) {
      case Type::Kind::kString:
        RETURN_IF_ERROR(ExpectWireType(path, w, kLen));
        if (t.name == kGoBytes) return Json(Base64(w.bytes));
        return Utf8String(path, w.bytes);
      case Type::Kind::kInteger:
        RETURN_IF_ERROR(ExpectWireType(path, w, kVarint));
        // Protobuf sign-extends negative int32s to 64 bits; the low 32 bits are the value.
        if (t.name == kGoInt32) return Json(static_cast<int32_t>(static_cast<uint32_t>(w.scalar)));
        return Json(static_cast<int64_t>(w.scalar));
      case Type::Kind::kBoolean:
        RETURN_IF_ERROR(ExpectWireType(path, w, kVarint));
        return Json(w.scalar != 0);
      case Type::Kind::kNumber:
        if (w.wire_type == kFixed64) {
          double d;
          std::memcpy(&d, &w.scalar, sizeof d);
          return Json(d);
        }
        if (w.wire_type == kFixed32) {
          float f;
          auto bits = static_cast<uint32_t>(w.scalar);
          std::memcpy(&f, &bits, sizeof f);
          return Json(static_cast<double>(f));
        }
        return WrongWireType(path, w, kFixed64);
      case Type::Kind::kIntOrString:
        return IntOrString(w, path);
      case Type::Kind::kQuantity:
        return Quantity(w, path);
      case Type::Kind::kTime:
        return Time(w, t.name == kGoMicroTime, path);
      case Type::Kind::kAny:
        return Any(w, path);
      default:
        return Error(path, "internal: not a scalar type");
    }
  }

  // intstr.IntOrString {type = 1 (0 int, 1 string), intVal = 2, strVal = 3}.
  static Result<Json> IntOrString(const WireField& w, const std::string& path) {
    RETURN_IF_ERROR(ExpectWireType(path, w, kLen));
    uint64_t type = 0;
    int32_t int_val = 0;
    std::string_view str_val;
    WireReader r(w.bytes);
    while (!r.Done()) {
      WireField e;
      RETURN_IF_ERROR(r.Next(path, e));
      if (e.number == 1 || e.number == 2) {
        RETURN_IF_ERROR(ExpectWireType(path, e, kVarint));
        if (e.number == 1) type = e.scalar;
        if (e.number == 2) int_val = static_cast<int32_t>(static_cast<uint32_t>(e.scalar));
      } else if (e.number == 3) {
        RETURN_IF_ERROR(ExpectWireType(path, e, kLen));
        str_val = e.bytes;
      }
    }
    if (type == 1) return Utf8String(path, str_val);
    return Json(int_val);
  }

  // resource.Quantity {string = 1}; Go reads an empty one as zero, which it prints as "0".
  static Result<Json> Quantity(const WireField& w, const std::string& path) {
    RETURN_IF_ERROR(ExpectWireType(path, w, kLen));
    std::string_view s = "0";
    WireReader r(w.bytes);
    while (!r.Done()) {
      WireField e;
      RETURN_IF_ERROR(r.Next(path, e));
      if (e.number == 1) {
        RETURN_IF_ERROR(ExpectWireType(path, e, kLen));
        s = e.bytes;
      }
    }
    return Utf8String(path, s);
  }

  // metav1.Time and MicroTime {seconds = 1, nanos = 2}. Go marshals the zero time as an empty
  // message, which JSON writes as null.
  static Result<Json> Time(const WireField& w, bool micro, const std::string& path) {
    RETURN_IF_ERROR(ExpectWireType(path, w, kLen));
    if (w.bytes.empty()) return Json(nullptr);
    int64_t seconds = 0;
    int64_t nanos = 0;
    WireReader r(w.bytes);
    while (!r.Done()) {
      WireField e;
      RETURN_IF_ERROR(r.Next(path, e));
      if (e.number == 1 || e.number == 2) {
        RETURN_IF_ERROR(ExpectWireType(path, e, kVarint));
        if (e.number == 1) seconds = static_cast<int64_t>(e.scalar);
        if (e.number == 2) nanos = static_cast<int32_t>(static_cast<uint32_t>(e.scalar));
      }
    }
    return FormatTime(path, seconds, nanos, micro);
  }

  // Free-form fields. The ones Kubernetes carries as raw JSON (runtime.RawExtension {raw = 1},
  // metav1.FieldsV1 {Raw = 1}) decode; the rest are typed messages the schema leaves unchecked
  // (cloud volume sources, node config), which this decoder cannot turn back into JSON.
  static Result<Json> Any(const WireField& w, const std::string& path) {
    RETURN_IF_ERROR(ExpectWireType(path, w, kLen));
    if (w.bytes.empty()) return Json(nullptr);
    WireReader r(w.bytes);
    WireField e;
    RETURN_IF_ERROR(r.Next(path, e));
    if (e.number == 1 && e.wire_type == kLen && r.Done()) {
      Json j = Json::parse(e.bytes.begin(), e.bytes.end(), nullptr, /*allow_exceptions=*/false);
      if (!j.is_discarded()) return j;
    }
    return Error(path, "this field cannot be decoded from protobuf; send the object as JSON");
  }
};

// runtime.Unknown {typeMeta = 1 {apiVersion = 1, kind = 2}, raw = 2, contentEncoding = 3,
// contentType = 4}: the envelope around every object Kubernetes encodes in protobuf.
struct Envelope {
  std::string_view api_version;
  std::string_view kind;
  std::string_view raw;
};

Status ReadEnvelope(std::string_view data, Envelope& env) {
  WireReader r(data);
  while (!r.Done()) {
    WireField w;
    RETURN_IF_ERROR(r.Next("", w));
    if (w.number == 1) {
      RETURN_IF_ERROR(ExpectWireType("typeMeta", w, kLen));
      WireReader tm(w.bytes);
      while (!tm.Done()) {
        WireField e;
        RETURN_IF_ERROR(tm.Next("typeMeta", e));
        if (e.number == 1 || e.number == 2) {
          RETURN_IF_ERROR(ExpectWireType("typeMeta", e, kLen));
          (e.number == 1 ? env.api_version : env.kind) = e.bytes;
        }
      }
    } else if (w.number == 2) {
      RETURN_IF_ERROR(ExpectWireType("raw", w, kLen));
      env.raw = w.bytes;
    }
  }
  return Status::Ok();
}

// Go clients write every non-pointer scalar on the wire, zero or not; Go's JSON would have left
// the zero ones out (omitempty). The schema does not say which fields are pointers, so zero
// strings and false booleans are dropped except for the pointer fields where they mean
// something, and zero integers only for the omitempty fields where Kubernetes omits them.
// TODO: a pointer flag per field in the schema would make this exact.
void DropGoZeroValues(Json& obj, const Type* type) {
  static const std::set<std::string_view> kMeaningfulEmptyString = {"storageClassName"};
  static const std::set<std::string_view> kMeaningfulFalse = {
      "suspend", "manualSelector", "automountServiceAccountToken", "enableServiceLinks",
      "shareProcessNamespace", "hostUsers", "setHostnameAsFQDN", "privileged", "runAsNonRoot",
      "readOnlyRootFilesystem", "allowPrivilegeEscalation", "immutable", "optional",
      "allowVolumeExpansion", "ready", "serving", "terminating", "started",
      "allocateLoadBalancerNodePorts"};
  static const std::set<std::string_view> kOmittedZero = {
      "generation", "minReadySeconds", "nodePort", "healthCheckNodePort", "hostPort"};
  if (type == nullptr) return;
  using K = Type::Kind;
  if (type->kind == K::kArray && obj.is_array()) {
    for (auto& e : obj) DropGoZeroValues(e, type->elem);
    return;
  }
  if (type->kind == K::kMap && obj.is_object()) {
    for (auto& [k, v] : obj.items()) DropGoZeroValues(v, type->elem);
    return;
  }
  if (type->kind != K::kObject || !obj.is_object()) return;
  for (auto it = obj.begin(); it != obj.end();) {
    const Field* f = type->FindField(it.key());
    const std::string& name = it.key();
    bool drop = (it->is_string() && it->get_ref<const std::string&>().empty() &&
                 !kMeaningfulEmptyString.count(name)) ||
                (it->is_boolean() && !it->get<bool>() && !kMeaningfulFalse.count(name)) ||
                (it->is_number_integer() && it->get<int64_t>() == 0 && kOmittedZero.count(name));
    if (drop) {
      it = obj.erase(it);
      continue;
    }
    if (f) DropGoZeroValues(*it, f->type);
    ++it;
  }
}

Result<Json> Decode(std::string_view body) {
  if (body.substr(0, kMagic.size()) != kMagic) {
    return Error("", "the body does not start with Kubernetes' protobuf prefix \"k8s\\x00\"");
  }
  Envelope env;
  RETURN_IF_ERROR(ReadEnvelope(body.substr(kMagic.size()), env));
  if (env.kind.empty() || env.api_version.empty()) {
    return Error("", "the object has no apiVersion or kind");
  }
  if (!IsValidUtf8(env.api_version) || !IsValidUtf8(env.kind)) {
    return Error("typeMeta", "not valid UTF-8");
  }
  std::string_view group;
  std::string_view version = env.api_version;
  if (size_t slash = version.find('/'); slash != std::string_view::npos) {
    group = version.substr(0, slash);
    version = version.substr(slash + 1);
  }
  const Type* type = LookupKind(group, version, env.kind);
  if (type == nullptr) {
    return Error("", "no kind \"" + std::string(env.kind) + "\" is registered for version \"" +
                         std::string(env.api_version) + "\"");
  }
  Json obj = Json::object();
  RETURN_IF_ERROR(Decoder().Fields(env.raw, *type, obj, "", 0));
  DropGoZeroValues(obj, type);
  obj["apiVersion"] = std::string(env.api_version);
  obj["kind"] = std::string(env.kind);
  return obj;
}

}  // namespace

Result<Json> DecodeProtobuf(std::string_view body) {
  // The decoder checks its input rather than relying on exceptions; this only keeps an
  // allocation failure on a huge body from escaping into the server.
  try {
    return Decode(body);
  } catch (const std::exception& e) {
    return Status(Code::kBadRequest, std::string("protobuf: ") + e.what());
  }
}

}  // namespace mlkube::api
