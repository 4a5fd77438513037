#include "api/patch.h"

#include <algorithm>
#include <cstddef>
#include <exception>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Status codes follow kube-apiserver's patch handler:
//  - a body that does not decode as the patch type wants (JSON patch not an array of objects,
//    merge/strategic patch not an object) is 400 BadRequest;
//  - a JSON patch that decodes but cannot be applied (missing path, failed test, unknown op) is
//    422 Invalid with only the generic message, because the apiserver wraps it in
//    NewGenericServerResponse, which drops the cause;
//  - malformed strategic-merge directives are 400 BadRequest, except lists of lists (422).
//    Kubernetes answers some of these (missing merge key, unknown $patch value, $setElementOrder
//    out of order) with a 500 by accident; they are the client's fault, so we say 400.

namespace mlkube::api {
namespace {

constexpr std::string_view kDirectiveMarker = "$patch";
constexpr std::string_view kRetainKeysDirective = "$retainKeys";
constexpr std::string_view kSetElementOrderPrefix = "$setElementOrder/";
constexpr std::string_view kDeleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList/";
constexpr size_t kMaxJsonPatchOperations = 10000;

// Strings from a parsed document are valid UTF-8, but a replacing dump keeps error messages from
// ever throwing.
std::string Dump(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// The JSON type name Go's encoding/json uses in "cannot unmarshal X into ..." errors.
std::string GoJsonType(const Json& value) {
  switch (value.type()) {
    case Json::value_t::object:
      return "object";
    case Json::value_t::array:
      return "array";
    case Json::value_t::string:
      return "string";
    case Json::value_t::boolean:
      return "bool";
    case Json::value_t::null:
      return "null";
    default:
      return "number";
  }
}

// What kube-apiserver's NewGenericServerResponse leaves of a 422: the cause is dropped.
Status RejectedRequest() {
  return Status(Code::kInvalid, "the server rejected our request due to an error in our request",
                StatusDetails{});
}

Status NotAnObjectPatch(const Json& patch) {
  return BadRequest("json: cannot unmarshal " + GoJsonType(patch) +
                    " into Go value of type map[string]interface {}");
}

// ---------------------------------------------------------------------------------------------
// Schema lookups.

// What the schema says about one value: its type and, when it is an object's field, the
// field's patch metadata. A null type means "unknown": maps merge, lists are replaced.
struct Slot {
  const Type* type = nullptr;
  std::string_view strategy;
  std::string_view merge_key;
};

Slot FieldSlot(const Type* parent, std::string_view key) {
  if (parent == nullptr) return {};
  if (parent->kind == Type::Kind::kMap) return {parent->elem, {}, {}};
  if (parent->kind != Type::Kind::kObject) return {};
  const Field* field = parent->FindField(key);
  if (field == nullptr) return {};
  return {field->type, field->patch_strategy, field->patch_merge_key};
}

const Type* ElemType(const Slot& list) {
  if (list.type == nullptr || list.type->kind != Type::Kind::kArray) return nullptr;
  return list.type->elem;
}

// patchStrategy may combine strategies, e.g. "merge,retainKeys".
bool HasStrategy(std::string_view strategies, std::string_view wanted) {
  while (!strategies.empty()) {
    const size_t comma = strategies.find(',');
    if (strategies.substr(0, comma) == wanted) return true;
    if (comma == std::string_view::npos) break;
    strategies.remove_prefix(comma + 1);
  }
  return false;
}

bool IsDirectiveKey(std::string_view key) {
  return key == kDirectiveMarker || key == kRetainKeysDirective ||
         key.starts_with(kSetElementOrderPrefix) || key.starts_with(kDeleteFromPrimitiveListPrefix);
}

// ---------------------------------------------------------------------------------------------
// Errors worded as apimachinery's mergepatch package words them.

Status NoMergeKey(const Json& item, std::string_view key) {
  return BadRequest("map: " + Dump(item) +
                    " does not contain declared merge key: " + std::string(key));
}

Status BadPatchType(const Json& directive, const Json& item) {
  return BadRequest("unknown patch type: " + Dump(directive) + " in map: " + Dump(item));
}

Status NotAMapElement(const Json& item) {
  return BadRequest("expected a map[string]interface {}, but received a " + GoJsonType(item));
}

Status BadSetElementOrder() { return BadRequest("invalid patch format of setElementOrder list"); }

// ---------------------------------------------------------------------------------------------
// List ordering, as strategicpatch's normalizeElementOrder: items named by the patch (or by
// $setElementOrder) take the patch's order, live-only items keep their relative live order, and
// the two runs are interleaved by the live order where both sides were live items.

// The value that identifies `item` for ordering: its merge key for maps, itself otherwise.
const Json* Identity(const Json& item, std::string_view key) {
  if (key.empty()) return &item;
  if (!item.is_object()) return nullptr;
  auto it = item.find(key);
  return it == item.end() ? nullptr : &*it;
}

bool SameIdentity(const Json& a, const Json& b, std::string_view key) {
  const Json* ia = Identity(a, key);
  const Json* ib = Identity(b, key);
  if (ia == nullptr || ib == nullptr) return ia == ib;
  return *ia == *ib;
}

// Position of `item` in `list`, or list.size() when absent.
size_t IndexIn(const std::vector<Json>& list, const Json& item, std::string_view key) {
  for (size_t i = 0; i < list.size(); ++i) {
    if (SameIdentity(list[i], item, key)) return i;
  }
  return list.size();
}

bool ContainsIdentity(const std::vector<Json>& list, const Json& item, std::string_view key) {
  return IndexIn(list, item, key) < list.size();
}

// Items present in `order` first, by their position there; the rest after, as they were.
void SortBy(std::vector<Json>& items, const std::vector<Json>& order, std::string_view key) {
  std::stable_sort(items.begin(), items.end(), [&](const Json& a, const Json& b) {
    return IndexIn(order, a, key) < IndexIn(order, b, key);
  });
}

std::vector<Json> Interleave(const std::vector<Json>& server_only, const std::vector<Json>& patched,
                             const std::vector<Json>& server_order, std::string_view key) {
  std::vector<Json> out;
  out.reserve(server_only.size() + patched.size());
  size_t i = 0;
  size_t j = 0;
  while (i < server_only.size() || j < patched.size()) {
    if (i >= server_only.size()) {
      out.push_back(patched[j++]);
    } else if (j >= patched.size()) {
      out.push_back(server_only[i++]);
    } else {
      const size_t li = IndexIn(server_order, server_only[i], key);
      const size_t ri = IndexIn(server_order, patched[j], key);
      const bool both_live = li < server_order.size() && ri < server_order.size();
      if (both_live && li < ri) {
        out.push_back(server_only[i++]);
      } else {
        out.push_back(patched[j++]);
      }
    }
  }
  return out;
}

// Orders `merged` so that items named in `patch_order` follow it and the others keep their
// places from `server_order` (the live list).
Json NormalizeOrder(const Json& merged, const std::vector<Json>& patch_order,
                    const std::vector<Json>& server_order, std::string_view key) {
  std::vector<Json> patched;
  std::vector<Json> server_only;
  for (const Json& item : merged) {
    (ContainsIdentity(patch_order, item, key) ? patched : server_only).push_back(item);
  }
  SortBy(patched, patch_order, key);
  SortBy(server_only, server_order, key);
  return Json(Interleave(server_only, patched, server_order, key));
}

std::vector<Json> ToVector(const Json& list) {
  if (!list.is_array()) return {};
  return std::vector<Json>(list.begin(), list.end());
}

// ---------------------------------------------------------------------------------------------
// The merge itself.

Result<Json> MergeMap(Json original, const Json& patch, const Type* type);
Result<Json> MergeList(const Json& original, const Json& patch, const Slot& slot);

// Merges one patch value into the current value (nullptr when the key is absent or null).
// New values go through the merge too, against nothing, so that directives and nulls inside
// them never reach the stored object.
Result<Json> MergeValue(const Json* current, const Json& patch, const Slot& slot) {
  if (patch.is_object()) {
    const bool replace = HasStrategy(slot.strategy, "replace");
    Json base =
        (current != nullptr && current->is_object() && !replace) ? *current : Json::object();
    return MergeMap(std::move(base), patch, slot.type);
  }
  if (patch.is_array()) {
    const bool has_list = current != nullptr && current->is_array();
    return MergeList(has_list ? *current : Json::array(), patch, slot);
  }
  return patch;
}

// Elements of a list that is replaced rather than merged still lose their nulls/directives.
Result<Json> ReplaceList(const Json& patch, const Slot& slot) {
  Json out = Json::array();
  for (const Json& item : patch) {
    if (item.is_object()) {
      ASSIGN_OR_RETURN(Json clean, MergeMap(Json::object(), item, ElemType(slot)));
      out.push_back(std::move(clean));
    } else {
      out.push_back(item);
    }
  }
  return out;
}

enum class ElementKind { kNone, kObject, kArray, kScalar };

ElementKind KindOf(const Json& v) {
  if (v.is_object()) return ElementKind::kObject;
  if (v.is_array()) return ElementKind::kArray;
  return ElementKind::kScalar;
}

// strategicpatch merges only lists whose elements share one kind, and never lists of lists.
Result<ElementKind> CommonElementKind(const Json& a, const Json& b) {
  ElementKind kind = ElementKind::kNone;
  for (const Json* list : {&a, &b}) {
    for (const Json& item : *list) {
      const ElementKind k = KindOf(item);
      if (k == ElementKind::kArray) return RejectedRequest();  // lists of lists
      if (kind != ElementKind::kNone && k != kind) {
        return BadRequest("list element types are not identical: " + Dump(a) + " " + Dump(b));
      }
      kind = k;
    }
  }
  return kind;
}

// Merge-strategy lists of primitives are unions (finalizers): the patch adds, never removes.
Json MergeScalarList(const Json& original, const Json& patch) {
  Json merged = Json::array();
  for (const Json* list : {&original, &patch}) {
    for (const Json& item : *list) {
      if (std::find(merged.begin(), merged.end(), item) == merged.end()) merged.push_back(item);
    }
  }
  return NormalizeOrder(merged, ToVector(patch), ToVector(original), "");
}

// Removes every element of `list` whose merge key equals `item`'s.
Status DeleteMatching(Json& list, const Json& item, std::string_view key) {
  auto value = item.find(key);
  if (value == item.end()) return NoMergeKey(item, key);
  Json kept = Json::array();
  for (const Json& element : list) {
    if (!element.is_object()) {
      return BadRequest("value for key " + Dump(element) + " is not a map.");
    }
    auto it = element.find(key);
    if (it == element.end() || *it != *value) kept.push_back(element);
  }
  list = std::move(kept);
  return Status::Ok();
}

// Splits the patch list into plain items, applying `{"$patch":"delete", key: v}` items to
// `list` on the way. Returns whether a `{"$patch":"replace"}` item asked for replacement.
Result<bool> ApplyListDirectives(Json& list, const Json& patch, std::string_view key,
                                 std::vector<Json>& plain) {
  bool replace = false;
  for (const Json& item : patch) {
    if (!item.is_object()) return NotAMapElement(item);
    auto directive = item.find(kDirectiveMarker);
    if (directive == item.end()) {
      plain.push_back(item);
    } else if (*directive == "delete") {
      RETURN_IF_ERROR(DeleteMatching(list, item, key));
    } else if (*directive == "replace") {
      replace = true;
    } else if (*directive == "merge") {
      return BadRequest("merging lists cannot yet be specified in the patch");
    } else {
      return BadPatchType(*directive, item);
    }
  }
  return replace;
}

// Position of the element of `list` whose merge key equals `value`, or list.size().
Result<size_t> FindByKey(const Json& list, std::string_view key, const Json& value) {
  for (size_t i = 0; i < list.size(); ++i) {
    if (!list[i].is_object()) {
      return BadRequest("value for key " + std::to_string(i) + " is not a map.");
    }
    auto it = list[i].find(key);
    if (it != list[i].end() && *it == value) return i;
  }
  return list.size();
}

Result<Json> MergeObjectList(const Json& original, const Json& patch, const Slot& slot) {
  const std::string_view key = slot.merge_key;
  if (key.empty()) return BadRequest("cannot merge lists without merge key for type map");
  Json list = original;
  std::vector<Json> plain;
  ASSIGN_OR_RETURN(const bool replace, ApplyListDirectives(list, patch, key, plain));
  const Type* elem = ElemType(slot);
  if (replace) {
    Json out = Json::array();
    for (const Json& item : plain) {
      ASSIGN_OR_RETURN(Json clean, MergeMap(Json::object(), item, elem));
      out.push_back(std::move(clean));
    }
    return out;
  }
  const std::vector<Json> server_order = ToVector(list);
  for (const Json& item : plain) {
    auto value = item.find(key);
    if (value == item.end()) return NoMergeKey(item, key);
    ASSIGN_OR_RETURN(const size_t at, FindByKey(list, key, *value));
    if (at < list.size()) {
      ASSIGN_OR_RETURN(list[at], MergeMap(list[at], item, elem));
    } else {
      ASSIGN_OR_RETURN(Json added, MergeMap(Json::object(), item, elem));
      list.push_back(std::move(added));
    }
  }
  return NormalizeOrder(list, plain, server_order, key);
}

Result<Json> MergeList(const Json& original, const Json& patch, const Slot& slot) {
  if (!HasStrategy(slot.strategy, "merge")) return ReplaceList(patch, slot);
  if (original.empty() && patch.empty()) return original;
  ASSIGN_OR_RETURN(const ElementKind kind, CommonElementKind(original, patch));
  if (kind == ElementKind::kObject) return MergeObjectList(original, patch, slot);
  return MergeScalarList(original, patch);
}

// `$retainKeys: [..]` clears every key of the live map it does not list; the patch itself may
// only set listed keys.
Status ApplyRetainKeys(Json& original, const Json& patch) {
  auto retain = patch.find(kRetainKeysDirective);
  if (retain == patch.end()) return Status::Ok();
  if (!retain->is_array()) return BadRequest("invalid patch format of retainKeys");
  auto listed = [&](const std::string& key) {
    return std::find(retain->begin(), retain->end(), Json(key)) != retain->end();
  };
  for (const auto& [key, value] : patch.items()) {
    if (value.is_null() || IsDirectiveKey(key)) continue;
    if (!listed(key)) return BadRequest("invalid patch format of retainKeys");
  }
  std::vector<std::string> cleared;
  for (const auto& [key, value] : original.items()) {
    if (!listed(key)) cleared.push_back(key);
  }
  for (const std::string& key : cleared) original.erase(key);
  return Status::Ok();
}

// mergepatch's mergeKeyValueEqual: both sides must be maps that carry the merge key.
Result<bool> MergeKeyEqual(const Json& left, const Json& right, std::string_view key) {
  if (key.empty()) return left == right;
  for (const Json* side : {&left, &right}) {
    if (!side->is_object()) return NotAMapElement(*side);
    if (!side->contains(key)) return NoMergeKey(*side, key);
  }
  return *left.find(key) == *right.find(key);
}

// $setElementOrder may name items absent from the patch list, but the patch list's items must
// appear in it, in the same relative order.
Status ValidateElementOrder(const Json& patched, const Json& order, std::string_view key) {
  if (patched.empty() || order.empty()) return Status::Ok();
  std::vector<const Json*> items;
  for (const Json& item : patched) {
    if (!key.empty()) {
      if (!item.is_object()) return NotAMapElement(item);
      if (item.contains(kDirectiveMarker)) continue;  // deletions and replace markers: no order
    }
    items.push_back(&item);
  }
  size_t p = 0;
  for (size_t o = 0; p < items.size() && o < order.size(); ++o) {
    ASSIGN_OR_RETURN(const bool same, MergeKeyEqual(*items[p], order[o], key));
    if (same) ++p;
  }
  if (p < items.size()) {
    return BadRequest("The order in patch list:\n" + Dump(patched) +
                      "\n doesn't match $setElementOrder list:\n" + Dump(order) + "\n");
  }
  return Status::Ok();
}

// Merges each list that has a `$setElementOrder/<list>` sibling and puts it in that order.
// The names of the lists handled go to `done` so the main merge leaves them alone.
Status MergeOrderedLists(Json& original, const Json& patch, const Type* type,
                         std::set<std::string>& done) {
  for (const auto& [directive, order] : patch.items()) {
    if (!std::string_view(directive).starts_with(kSetElementOrderPrefix)) continue;
    const std::string name = directive.substr(kSetElementOrderPrefix.size());
    if (name.empty() || !order.is_array()) return BadSetElementOrder();
    auto patched = patch.find(name);
    if (patched != patch.end() && !patched->is_array()) continue;  // e.g. null: deletes the list
    auto live_it = original.find(name);
    const bool has_live = live_it != original.end() && live_it->is_array();
    const bool has_patch = patched != patch.end();
    if (!has_live && !has_patch) continue;
    const Slot slot = FieldSlot(type, name);
    const Json live = has_live ? *live_it : Json::array();
    Json merged = live;
    if (has_patch) {
      RETURN_IF_ERROR(ValidateElementOrder(*patched, order, slot.merge_key));
      ASSIGN_OR_RETURN(merged, MergeList(live, *patched, slot));
    }
    original[name] = NormalizeOrder(merged, ToVector(order), ToVector(live), slot.merge_key);
    done.insert(name);
  }
  return Status::Ok();
}

// `$deleteFromPrimitiveList/<list>: [values]` removes those values from a live primitive list.
Status DeleteFromPrimitiveList(Json& original, std::string_view directive, const Json& values) {
  const std::string name(directive.substr(kDeleteFromPrimitiveListPrefix.size()));
  if (name.empty() || !values.is_array()) {
    return BadRequest("invalid patch format of primitive list");
  }
  auto list = original.find(name);
  if (list == original.end() || !list->is_array()) return Status::Ok();
  Json kept = Json::array();
  for (const Json& item : *list) {
    if (std::find(values.begin(), values.end(), item) == values.end()) kept.push_back(item);
  }
  *list = std::move(kept);
  return Status::Ok();
}

// Applies a `$patch` directive found on a map. Returns the final value when the directive
// decides it (replace, delete), or null to go on merging. Kubernetes rejects an explicit
// `$patch: merge` on a map; merging is what it asks for, so we accept it.
Result<Json> MapDirective(const Json& patch, const Type* type) {
  auto directive = patch.find(kDirectiveMarker);
  if (directive == patch.end() || *directive == "merge") return Json();
  if (*directive == "delete") return Json::object();
  if (*directive != "replace") return BadPatchType(*directive, patch);
  Json rest = patch;
  rest.erase(std::string(kDirectiveMarker));
  return MergeMap(Json::object(), rest, type);
}

Result<Json> MergeMap(Json original, const Json& patch, const Type* type) {
  if (patch.contains(kDirectiveMarker)) {
    ASSIGN_OR_RETURN(Json decided, MapDirective(patch, type));
    if (!decided.is_null()) return decided;
  }
  if (!original.is_object()) original = Json::object();
  RETURN_IF_ERROR(ApplyRetainKeys(original, patch));
  std::set<std::string> done;
  RETURN_IF_ERROR(MergeOrderedLists(original, patch, type, done));
  for (const auto& [key, value] : patch.items()) {
    if (done.contains(key)) continue;
    if (std::string_view(key).starts_with(kDeleteFromPrimitiveListPrefix)) {
      RETURN_IF_ERROR(DeleteFromPrimitiveList(original, key, value));
      continue;
    }
    if (IsDirectiveKey(key)) continue;
    if (value.is_null()) {
      original.erase(key);
      continue;
    }
    auto current = original.find(key);
    const bool present = current != original.end() && !current->is_null();
    ASSIGN_OR_RETURN(Json merged,
                     MergeValue(present ? &*current : nullptr, value, FieldSlot(type, key)));
    original[key] = std::move(merged);
  }
  return original;
}

template <typename Fn>
Result<Json> NoThrow(Fn&& fn) {
  try {
    return fn();
  } catch (const std::exception& e) {
    return Internal(std::string("patch: ") + e.what());
  }
}

}  // namespace

Result<Json> ApplyJsonPatch(const Json& original, const Json& patch) {
  if (!patch.is_array()) {
    return BadRequest("json: cannot unmarshal " + GoJsonType(patch) +
                      " into Go value of type jsonpatch.Patch");
  }
  for (const Json& operation : patch) {
    if (!operation.is_object()) {
      return BadRequest("json: cannot unmarshal " + GoJsonType(operation) +
                        " into Go value of type jsonpatch.Operation");
    }
  }
  if (patch.size() > kMaxJsonPatchOperations) {
    return Status(Code::kRequestEntityTooLarge,
                  "The allowed maximum operations in a JSON patch is " +
                      std::to_string(kMaxJsonPatchOperations) + ", got " +
                      std::to_string(patch.size()));
  }
  try {
    return original.patch(patch);
  } catch (const std::exception&) {
    return RejectedRequest();
  }
}

Result<Json> ApplyMergePatch(const Json& original, const Json& patch) {
  if (patch.is_null()) return BadRequest("Invalid JSON Patch");
  if (!patch.is_object()) {
    return BadRequest("error decoding patch: json: cannot unmarshal " + GoJsonType(patch) +
                      " into Go value of type map[string]interface {}");
  }
  return NoThrow([&]() -> Result<Json> {
    Json result = original;
    result.merge_patch(patch);
    return result;
  });
}

Result<Json> ApplyStrategicMergePatch(const Json& original, const Json& patch, const Type* type) {
  if (patch.is_null()) return original;  // decodes to an empty patch, as in Go
  if (!patch.is_object()) return NotAnObjectPatch(patch);
  return NoThrow([&]() -> Result<Json> {
    return MergeMap(original.is_object() ? original : Json::object(), patch, type);
  });
}

}  // namespace mlkube::api
