// libFuzzer target over what faces the network first: decoding (JSON, YAML, protobuf), strict
// field checks, defaulting, validation and the three patch formats. Any crash, sanitizer report
// or escaped exception is a bug.
//
// Input: byte 0 picks the kind, byte 1 the patch format; the rest splits at the first NUL into
// an object document and a patch document.

#include <cstddef>
#include <cstdint>
#include <string>

#include "api/patch.h"
#include "api/protobuf.h"
#include "api/registry.h"
#include "api/schema.h"
#include "api/selector.h"
#include "api/validation.h"
#include "api/yaml.h"

using namespace mlkube;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const auto& resources = api::AllResources();
  const api::ResourceType& rt = resources[data[0] % resources.size()];
  const int patch_kind = data[1] % 4;
  std::string_view rest(reinterpret_cast<const char*>(data + 2), size - 2);
  size_t nul = rest.find('\0');
  std::string_view doc = rest.substr(0, nul);
  std::string_view patch = nul == std::string_view::npos ? "" : rest.substr(nul + 1);

  (void)api::LabelSelector::Parse(doc);
  (void)api::FieldSelector::Parse(doc);
  (void)api::DecodeProtobuf(doc);

  Json obj = Json::parse(doc, nullptr, /*allow_exceptions=*/false);
  if (obj.is_discarded()) {
    auto y = api::YamlToJson(doc);
    if (!y.ok()) return 0;
    obj = std::move(y).value();
  }
  const api::Type* type = api::LookupKind(rt.group, rt.version, rt.kind);
  if (type) {
    (void)api::UnknownFields(obj, *type);
    if (!api::TypeErrors(obj, *type).empty()) return 0;  // the server stops here too
  }
  if (!obj.is_object()) return 0;
  api::ApplyDefaults(rt.group, rt.kind, obj);
  (void)api::ValidateCreate(rt.group, rt.kind, obj);

  Json p = Json::parse(patch, nullptr, false);
  if (p.is_discarded()) return 0;
  Result<Json> patched = Status(Code::kBadRequest, "");
  switch (patch_kind) {
    case 0: patched = api::ApplyJsonPatch(obj, p); break;
    case 1: patched = api::ApplyMergePatch(obj, p); break;
    default: patched = api::ApplyStrategicMergePatch(obj, p, type); break;
  }
  if (patched.ok() && patched->is_object()) {
    if (type && !api::TypeErrors(*patched, *type).empty()) return 0;
    api::ApplyDefaults(rt.group, rt.kind, *patched);
    (void)api::ValidateUpdate(rt.group, rt.kind, *patched, obj);
  }
  return 0;
}
