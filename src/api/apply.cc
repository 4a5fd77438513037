#include "api/apply.h"

#include <algorithm>
#include <cstddef>
#include <exception>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

// A port of the parts of structured-merge-diff (SMD) and Kubernetes' fieldmanager that
// kube-apiserver runs for apply and for every other write:
//  - field sets are tries of path elements, keyed by their fieldsV1 spelling ("f:name",
//    "k:{\"name\":\"nginx\"}", "v:\"value\""), so encoding managedFields is a tree walk;
//  - Apply: merge the configuration into the live object, prune what the applier stopped
//    applying, compare live with the result and take the changed fields from other managers
//    (or fail with a conflict);
//  - Update: compare old with new; the writer owns what it changed, the others lose it.

namespace mlkube::api {
namespace {

using Path = std::vector<std::string>;

constexpr std::string_view kApply = "Apply";
constexpr std::string_view kUpdate = "Update";

std::string Dump(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// ---------------------------------------------------------------------------------------------
// Field sets.

// SMD's fieldpath.Set: a trie whose nodes may themselves be members (owned as a whole, e.g. a
// list item) while also having owned children.
class FieldSet {
 public:
  bool empty() const { return !member_ && children_.empty(); }
  bool member() const { return member_; }

  const FieldSet* Child(const std::string& element) const {
    auto it = children_.find(element);
    return it == children_.end() ? nullptr : &it->second;
  }

  FieldSet* MutableChild(const std::string& element) {
    auto it = children_.find(element);
    return it == children_.end() ? nullptr : &it->second;
  }

  std::vector<std::string> ChildElements() const {
    std::vector<std::string> out;
    for (const auto& [element, child] : children_) out.push_back(element);
    return out;
  }

  // Moves the subtree at `from` to `to`, merging with what is there.
  void Rename(const std::string& from, const std::string& to) {
    auto it = children_.find(from);
    if (it == children_.end() || from == to) return;
    FieldSet moved = std::move(it->second);
    children_.erase(it);
    children_[to].Union(moved);
  }

  void Insert(const Path& path) {
    if (path.empty()) return;  // the root is never a member, as in SMD
    FieldSet* node = this;
    for (const std::string& element : path) node = &node->children_[element];
    node->member_ = true;
  }

  void Union(const FieldSet& other) {
    member_ = member_ || other.member_;
    for (const auto& [element, child] : other.children_) children_[element].Union(child);
  }

  // Removes, in place, what `other` holds: the in-place form of Difference, which writes on
  // every request and should not copy whole trees to do it.
  void Subtract(const FieldSet& other) {
    if (other.member_) member_ = false;
    for (auto it = children_.begin(); it != children_.end();) {
      const FieldSet* theirs = other.Child(it->first);
      if (theirs != nullptr) it->second.Subtract(*theirs);
      it = it->second.empty() ? children_.erase(it) : std::next(it);
    }
  }

  // Union that takes `other`'s nodes instead of copying them.
  void Absorb(FieldSet&& other) {
    if (empty()) {
      *this = std::move(other);
      return;
    }
    member_ = member_ || other.member_;
    for (auto& [element, child] : other.children_) {
      auto [it, fresh] = children_.try_emplace(element, std::move(child));
      if (!fresh) it->second.Absorb(std::move(child));
    }
  }

  FieldSet Intersection(const FieldSet& other) const {
    FieldSet out;
    out.member_ = member_ && other.member_;
    for (const auto& [element, child] : children_) {
      const FieldSet* theirs = other.Child(element);
      if (theirs == nullptr) continue;
      FieldSet both = child.Intersection(*theirs);
      if (!both.empty()) out.children_.emplace(element, std::move(both));
    }
    return out;
  }

  // Visits members depth first, a node before its children.
  void ForEachMember(const std::function<void(const Path&)>& visit) const {
    Path path;
    Walk(path, visit);
  }

  // fieldsV1: `{}` is a member leaf; `".": {}` marks a member that also has owned children.
  static FieldSet FromFieldsV1(const Json& json) {
    FieldSet set;
    if (!json.is_object()) return set;
    for (const auto& [element, value] : json.items()) {
      if (element == ".") {
        set.member_ = true;
        continue;
      }
      FieldSet child = FromFieldsV1(value);
      if (value.is_object() && value.empty()) child.member_ = true;
      if (!child.empty()) set.children_[element].Union(child);
    }
    return set;
  }

  Json ToFieldsV1() const {
    Json out = Json::object();
    for (const auto& [element, child] : children_) {
      Json node = child.ToFieldsV1();
      if (child.member_ && !child.children_.empty()) node["."] = Json::object();
      out[element] = std::move(node);
    }
    return out;
  }

 private:
  void Walk(Path& path, const std::function<void(const Path&)>& visit) const {
    if (member_) visit(path);
    for (const auto& [element, child] : children_) {
      path.push_back(element);
      child.Walk(path, visit);
      path.pop_back();
    }
  }

  bool member_ = false;
  std::map<std::string, FieldSet> children_;
};

std::string FieldElement(std::string_view name) { return "f:" + std::string(name); }

// Renders one path element as SMD's PathElement.String does: `.name`, `[name="nginx"]`,
// `[="value"]`.
std::string ElementString(const std::string& element) {
  const std::string_view rest =
      std::string_view(element).substr(std::min<size_t>(2, element.size()));
  if (element.starts_with("f:")) return "." + std::string(rest);
  if (element.starts_with("v:")) return "[=" + std::string(rest) + "]";
  if (element.starts_with("i:")) return "[" + std::string(rest) + "]";
  const Json keys = Json::parse(rest, nullptr, /*allow_exceptions=*/false);
  if (!element.starts_with("k:") || !keys.is_object()) return "[" + std::string(rest) + "]";
  std::string out = "[";
  for (const auto& [name, value] : keys.items()) {
    if (out.size() > 1) out += ",";
    out += name + "=" + Dump(value);
  }
  return out + "]";
}

std::string PathString(const Path& path) {
  std::string out;
  for (const std::string& element : path) out += ElementString(element);
  return out;
}

// Kubernetes never tracks these: they identify the object or belong to the server.
void StripMeta(FieldSet& set) {
  static const FieldSet* const kStripped = [] {
    auto* stripped = new FieldSet();
    stripped->Insert({"f:apiVersion"});
    stripped->Insert({"f:kind"});
    stripped->Insert({"f:metadata"});
    for (const char* field : {"name", "namespace", "creationTimestamp", "selfLink", "uid",
                              "clusterName", "generation", "managedFields", "resourceVersion"}) {
      stripped->Insert({"f:metadata", FieldElement(field)});
    }
    return stripped;
  }();
  set.Subtract(*kStripped);
}

// ---------------------------------------------------------------------------------------------
// Schema lookups.

// The type of one value and, when it is an object's field, the field (for list metadata).
// A null type means "unknown": SMD's deduced type, where maps are granular and lists atomic.
struct Slot {
  const Type* type = nullptr;
  const Field* field = nullptr;
};

Slot ChildSlot(const Slot& parent, const std::string& key) {
  if (parent.type == nullptr) return {};
  if (parent.type->kind == Type::Kind::kMap) return {parent.type->elem, nullptr};
  if (parent.type->kind != Type::Kind::kObject) return {};
  const Field* field = parent.type->FindField(key);
  return field == nullptr ? Slot{} : Slot{field->type, field};
}

Slot ItemSlot(const Slot& list) {
  if (list.type == nullptr || list.type->kind != Type::Kind::kArray) return {};
  return {list.type->elem, nullptr};
}

// Map entries that are not declared struct fields are members in their own right in SMD.
bool IsDeclared(const Slot& parent, const std::string& key) {
  return parent.type != nullptr && parent.type->kind == Type::Kind::kObject &&
         parent.type->FindField(key) != nullptr;
}

enum class ListType { kAtomic, kSet, kMap };

// x-kubernetes-list-type, falling back as kube-openapi does to the strategic-merge metadata
// (patchStrategy merge with a key is an associative list, without one a set).
ListType ListTypeOf(const Slot& slot) {
  if (slot.field == nullptr || slot.type == nullptr || slot.type->kind != Type::Kind::kArray) {
    return ListType::kAtomic;
  }
  const std::string& declared = slot.field->list_type;
  if (declared == "map") return ListType::kMap;
  if (declared == "set") return ListType::kSet;
  if (!declared.empty()) return ListType::kAtomic;
  if (slot.field->patch_strategy.find("merge") == std::string::npos) return ListType::kAtomic;
  return slot.field->patch_merge_key.empty() ? ListType::kSet : ListType::kMap;
}

std::vector<std::string> ListKeys(const Slot& slot) {
  if (slot.field == nullptr) return {};
  if (!slot.field->list_map_keys.empty()) return slot.field->list_map_keys;
  if (!slot.field->patch_merge_key.empty()) return {slot.field->patch_merge_key};
  return {};
}

bool IsGranularMap(const Json& value, const Slot& slot) {
  if (!value.is_object()) return false;
  if (slot.type == nullptr) return true;
  switch (slot.type->kind) {
    case Type::Kind::kObject:
    case Type::Kind::kMap:
    case Type::Kind::kAny:
      return true;
    default:
      return false;
  }
}

bool IsGranularList(const Json& value, const Slot& slot) {
  return value.is_array() && ListTypeOf(slot) != ListType::kAtomic;
}

// The path element naming `item` in a granular list; nullopt when the item cannot be named
// (an associative item with no key field, or a set item that is not a scalar).
std::optional<std::string> ItemElement(const Json& item, const Slot& list) {
  if (ListTypeOf(list) == ListType::kSet) {
    if (item.is_object() || item.is_array()) return std::nullopt;
    return "v:" + Dump(item);
  }
  if (!item.is_object()) return std::nullopt;
  Json keys = Json::object();
  for (const std::string& key : ListKeys(list)) {
    auto it = item.find(key);
    if (it != item.end() && !it->is_null()) keys[key] = *it;
  }
  if (keys.empty()) return std::nullopt;
  return "k:" + Dump(keys);
}

// The items of a granular list by path element; unnamed and duplicate items are left out.
struct IndexedList {
  std::vector<std::optional<std::string>> elements;  // per item, in list order
  std::map<std::string, size_t> position;

  bool Has(const std::string& element) const { return position.contains(element); }
};

IndexedList IndexList(const Json& list, const Slot& slot) {
  IndexedList out;
  for (size_t i = 0; i < list.size(); ++i) {
    std::optional<std::string> element = ItemElement(list[i], slot);
    if (element && !out.position.emplace(*element, i).second) element.reset();
    out.elements.push_back(std::move(element));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The applied configuration.

// Whether the live `candidate` has every key field `item` gives (at least one), equal.
bool KeysAgree(const Json& item, const Json& candidate, const std::vector<std::string>& keys) {
  if (!candidate.is_object()) return false;
  bool any = false;
  for (const std::string& key : keys) {
    auto mine = item.find(key);
    if (mine == item.end()) continue;
    auto theirs = candidate.find(key);
    if (theirs == candidate.end() || *theirs != *mine) return false;
    any = true;
  }
  return any;
}

// Kubernetes fills key fields the configuration leaves out (ports' protocol) from schema
// defaults before naming list items; our schema has no defaults, so a missing key field is
// taken from the live item that agrees on the keys the configuration does give.
void CompleteKeys(Json& applied, const Json& live, const Slot& slot) {
  if (IsGranularMap(applied, slot) && live.is_object()) {
    for (auto& [key, value] : applied.items()) {
      auto it = live.find(key);
      if (it != live.end()) CompleteKeys(value, *it, ChildSlot(slot, key));
    }
    return;
  }
  if (!IsGranularList(applied, slot) || !live.is_array()) return;
  if (ListTypeOf(slot) != ListType::kMap) return;
  const std::vector<std::string> keys = ListKeys(slot);
  std::vector<bool> taken(live.size(), false);
  for (Json& item : applied) {
    if (!item.is_object()) continue;
    for (size_t j = 0; j < live.size(); ++j) {
      const Json& candidate = live[j];
      if (taken[j] || !KeysAgree(item, candidate, keys)) continue;
      taken[j] = true;
      for (const std::string& key : keys) {
        if (!item.contains(key) && candidate.contains(key)) item[key] = candidate[key];
      }
      CompleteKeys(item, candidate, ItemSlot(slot));
      break;
    }
  }
}

// Kubernetes names list items by all their key fields, defaulted ones included. A set recorded
// before the server filled in a key field (ports' protocol) names the item by fewer keys; such
// names are moved to the live item's full name, so pruning and conflicts see one item.
void ReconcileItemNames(FieldSet& set, const Json& live, const Slot& slot) {
  if (IsGranularMap(live, slot)) {
    for (const auto& [key, child] : live.items()) {
      FieldSet* below = set.MutableChild(FieldElement(key));
      if (below != nullptr) ReconcileItemNames(*below, child, ChildSlot(slot, key));
    }
    return;
  }
  if (!IsGranularList(live, slot) || ListTypeOf(slot) != ListType::kMap) return;
  const IndexedList index = IndexList(live, slot);
  const std::vector<std::string> keys = ListKeys(slot);
  for (const std::string& element : set.ChildElements()) {
    if (index.Has(element) || !element.starts_with("k:")) continue;
    const Json named = Json::parse(element.substr(2), nullptr, /*allow_exceptions=*/false);
    for (const auto& [full, i] : index.position) {
      if (named.is_object() && KeysAgree(named, live[i], keys)) {
        set.Rename(element, full);
        break;
      }
    }
  }
  const Slot item_slot = ItemSlot(slot);
  for (const auto& [element, i] : index.position) {
    FieldSet* below = set.MutableChild(element);
    if (below != nullptr) ReconcileItemNames(*below, live[i], item_slot);
  }
}

Status BadItem(const Path& path, size_t index, const Slot& slot) {
  std::string why;
  if (ListTypeOf(slot) == ListType::kSet) {
    why = "set items must be scalars";
  } else {
    why = "associative list with keys has an element that omits key field " +
          Dump(Json(ListKeys(slot).empty() ? "" : ListKeys(slot).front()));
  }
  return BadRequest("failed to create typed patch object: " + PathString(path) + ": element " +
                    std::to_string(index) + ": " + why);
}

// SMD's ToFieldSet on the configuration: leaves, list items and undeclared map entries. List
// items are named from `named`, the configuration with its key fields completed, so the set
// owns only what the user wrote but names items as the live object does.
Status CollectApplied(const Json& value, const Json& named, const Slot& slot, Path& path,
                      FieldSet& out) {
  if (IsGranularMap(value, slot)) {
    for (const auto& [key, child] : value.items()) {
      path.push_back(FieldElement(key));
      if (child.is_null()) {
        out.Insert(path);
      } else {
        RETURN_IF_ERROR(CollectApplied(child, named[key], ChildSlot(slot, key), path, out));
      }
      if (!IsDeclared(slot, key)) out.Insert(path);
      path.pop_back();
    }
    return Status::Ok();
  }
  if (IsGranularList(value, slot)) {
    std::set<std::string> seen;
    for (size_t i = 0; i < value.size(); ++i) {
      std::optional<std::string> element = ItemElement(named[i], slot);
      if (!element) return BadItem(path, i, slot);
      if (!seen.insert(*element).second) {
        return BadRequest("failed to create typed patch object: " + PathString(path) +
                          ": duplicate entries for key " + ElementString(*element));
      }
      path.push_back(*element);
      RETURN_IF_ERROR(CollectApplied(value[i], named[i], ItemSlot(slot), path, out));
      out.Insert(path);
      path.pop_back();
    }
    return Status::Ok();
  }
  out.Insert(path);
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Merging the configuration into the live object (SMD's Merge, configuration wins).

// A null in the configuration clears the field; the object never stores nulls.
Json WithoutNulls(const Json& value) {
  if (value.is_object()) {
    Json out = Json::object();
    for (const auto& [key, child] : value.items()) {
      if (!child.is_null()) out[key] = WithoutNulls(child);
    }
    return out;
  }
  if (value.is_array()) {
    Json out = Json::array();
    for (const Json& item : value) out.push_back(WithoutNulls(item));
    return out;
  }
  return value;
}

Json MergeApplied(const Json* live, const Json& applied, const Slot& slot);

// SMD's ordering: items only in the live list keep their places, items the configuration
// names follow its order, new items go right before the next shared item.
Json MergeListItems(const Json& live, const Json& applied, const Slot& slot) {
  const IndexedList lhs = IndexList(live, slot);
  const IndexedList rhs = IndexList(applied, slot);
  std::vector<std::string> shared;
  for (const auto& element : rhs.elements) {
    if (element && lhs.Has(*element)) shared.push_back(*element);
  }
  const Slot item_slot = ItemSlot(slot);
  auto merge_item = [&](const std::string& element) {
    auto l = lhs.position.find(element);
    const Json* live_item = l == lhs.position.end() ? nullptr : &live[l->second];
    return MergeApplied(live_item, applied[rhs.position.at(element)], item_slot);
  };
  Json out = Json::array();
  size_t li = 0;
  size_t ri = 0;
  size_t next_shared = 0;
  auto is_next_shared = [&](const std::string& element) {
    return next_shared < shared.size() && shared[next_shared] == element;
  };
  while (li < live.size() || ri < applied.size()) {
    const std::optional<std::string>* left = li < live.size() ? &lhs.elements[li] : nullptr;
    const std::optional<std::string>* right = ri < applied.size() ? &rhs.elements[ri] : nullptr;
    if (right != nullptr && !*right) {  // unnamed configuration items were rejected earlier
      ++ri;
      continue;
    }
    if (left != nullptr && right != nullptr && *left && **left == **right) {
      out.push_back(merge_item(**right));
      ++li;
      ++ri;
      ++next_shared;
      continue;
    }
    const bool left_is_shared = left != nullptr && *left && rhs.Has(**left);
    if (left_is_shared && right != nullptr && next_shared < shared.size() &&
        !is_next_shared(**left)) {
      ++li;  // the configuration places it later
      continue;
    }
    if (left != nullptr && !left_is_shared) {
      out.push_back(live[li++]);
      continue;
    }
    if (right != nullptr) {
      out.push_back(merge_item(**right));
      if (is_next_shared(**right)) ++next_shared;
      ++ri;
      continue;
    }
    ++li;  // a shared item the configuration already placed
  }
  return out;
}

Json MergeApplied(const Json* live, const Json& applied, const Slot& slot) {
  if (live == nullptr || live->is_null()) return WithoutNulls(applied);
  if (IsGranularMap(applied, slot) && live->is_object()) {
    Json out = *live;
    for (const auto& [key, value] : applied.items()) {
      if (value.is_null()) {
        out.erase(key);
        continue;
      }
      auto it = live->find(key);
      out[key] = MergeApplied(it == live->end() ? nullptr : &*it, value, ChildSlot(slot, key));
    }
    return out;
  }
  if (IsGranularList(applied, slot) && live->is_array()) {
    return MergeListItems(*live, applied, slot);
  }
  return WithoutNulls(applied);
}

// ---------------------------------------------------------------------------------------------
// Comparing two versions of an object (SMD's Compare).

struct Comparison {
  FieldSet added;
  FieldSet modified;
  FieldSet removed;
};

bool EmptyOrAbsent(const Json* value) { return value == nullptr || value->empty(); }

const Json* Find(const Json* object, const std::string& key) {
  if (object == nullptr || !object->is_object()) return nullptr;
  auto it = object->find(key);
  return it == object->end() ? nullptr : &*it;
}

class Comparer {
 public:
  explicit Comparer(Comparison& out) : out_(out) {}

  // `in_item`: below a list item. Kubernetes compares against a typed zero object, where
  // top-level structs always exist; only structs inside new list items (and maps and lists,
  // which are nil when unset) can be "added" as a whole and get a `.` entry.
  void Compare(const Json* old_value, const Json* new_value, const Slot& slot, bool in_item) {
    const Json& sample = new_value != nullptr ? *new_value : *old_value;
    const bool same_shape =
        old_value == nullptr || new_value == nullptr || old_value->type() == new_value->type();
    if (same_shape && IsGranularMap(sample, slot) &&
        !(EmptyOrAbsent(old_value) && EmptyOrAbsent(new_value))) {
      CompareMaps(old_value, new_value, slot, in_item);
      const bool whole = in_item || slot.type == nullptr || slot.type->kind != Type::Kind::kObject;
      if (whole) Node(old_value, new_value);
      return;
    }
    if (same_shape && IsGranularList(sample, slot) &&
        !(EmptyOrAbsent(old_value) && EmptyOrAbsent(new_value))) {
      CompareLists(old_value, new_value, slot);
      Node(old_value, new_value);
      return;
    }
    Leaf(old_value, new_value);
  }

 private:
  // Objects keep their keys sorted, so both sides are walked together, key by key.
  void CompareMaps(const Json* old_value, const Json* new_value, const Slot& slot, bool in_item) {
    static const Json::object_t kNone;
    const Json::object_t& old_map =
        old_value != nullptr && old_value->is_object() ? old_value->get_ref<const Json::object_t&>()
                                                       : kNone;
    const Json::object_t& new_map =
        new_value != nullptr && new_value->is_object() ? new_value->get_ref<const Json::object_t&>()
                                                       : kNone;
    auto o = old_map.begin();
    auto n = new_map.begin();
    while (o != old_map.end() || n != new_map.end()) {
      const bool take_old = n == new_map.end() || (o != old_map.end() && o->first <= n->first);
      const bool take_new = o == old_map.end() || (n != new_map.end() && n->first <= o->first);
      const std::string& key = take_old ? o->first : n->first;
      // managedFields are bookkeeping about the object, never part of what is compared.
      if (!(path_.size() == 1 && path_[0] == "f:metadata" && key == "managedFields")) {
        path_.push_back(FieldElement(key));
        Compare(take_old ? &o->second : nullptr, take_new ? &n->second : nullptr,
                ChildSlot(slot, key), in_item);
        path_.pop_back();
      }
      if (take_old) ++o;
      if (take_new) ++n;
    }
  }

  void CompareLists(const Json* old_value, const Json* new_value, const Slot& slot) {
    static const Json kEmpty = Json::array();
    const Json& old_list = old_value != nullptr ? *old_value : kEmpty;
    const Json& new_list = new_value != nullptr ? *new_value : kEmpty;
    const IndexedList old_index = IndexList(old_list, slot);
    const IndexedList new_index = IndexList(new_list, slot);
    const Slot item_slot = ItemSlot(slot);
    for (const auto& [element, i] : old_index.position) {
      auto match = new_index.position.find(element);
      path_.push_back(element);
      Compare(&old_list[i], match == new_index.position.end() ? nullptr : &new_list[match->second],
              item_slot, /*in_item=*/true);
      path_.pop_back();
    }
    for (const auto& [element, j] : new_index.position) {
      if (old_index.Has(element)) continue;
      path_.push_back(element);
      Compare(nullptr, &new_list[j], item_slot, /*in_item=*/true);
      path_.pop_back();
    }
  }

  void Leaf(const Json* old_value, const Json* new_value) {
    if (old_value == nullptr) {
      out_.added.Insert(path_);
    } else if (new_value == nullptr) {
      out_.removed.Insert(path_);
    } else if (*old_value != *new_value) {
      out_.modified.Insert(path_);
    }
  }

  void Node(const Json* old_value, const Json* new_value) {
    if (old_value == nullptr) out_.added.Insert(path_);
    if (new_value == nullptr) out_.removed.Insert(path_);
  }

  Comparison& out_;
  Path path_;
};

Comparison Compare(const Json* old_obj, const Json& new_obj, const Type* type) {
  Comparison out;
  Comparer(out).Compare(old_obj, &new_obj, Slot{type, nullptr}, /*in_item=*/false);
  for (FieldSet* set : {&out.added, &out.modified, &out.removed}) StripMeta(*set);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Pruning what the applier stopped applying (SMD's prune).

bool OwnedAtOrBelow(const FieldSet* owned) { return owned != nullptr && !owned->empty(); }

void Prune(Json& value, const Slot& slot, const FieldSet& last, const FieldSet* owned,
           const std::vector<std::string>& item_keys);

// Prunes below a child; returns whether the child itself should go: it held something that
// pruning took entirely, or it is a field set member that only the applier used to own.
bool PruneChild(Json& child, const Slot& child_slot, bool in_field_set, const FieldSet& last,
                const FieldSet* owned, const std::vector<std::string>& item_keys) {
  if (in_field_set && last.member() && !OwnedAtOrBelow(owned)) return true;
  if (!child.is_object() && !child.is_array()) return false;
  const bool had_content = !child.empty();
  Prune(child, child_slot, last, owned, item_keys);
  return had_content && child.empty();
}

void PruneMap(Json& value, const Slot& slot, const FieldSet& last, const FieldSet* owned,
              const std::vector<std::string>& item_keys) {
  std::vector<std::string> gone;
  for (auto& [key, child] : value.items()) {
    const std::string element = FieldElement(key);
    const FieldSet* last_child = last.Child(element);
    if (last_child == nullptr) continue;
    // A kept list item keeps its key fields, whoever owned them.
    if (std::find(item_keys.begin(), item_keys.end(), key) != item_keys.end()) continue;
    const Slot child_slot = ChildSlot(slot, key);
    const bool leaf = !IsGranularMap(child, child_slot) && !IsGranularList(child, child_slot);
    const bool in_field_set = leaf || !IsDeclared(slot, key);
    if (PruneChild(child, child_slot, in_field_set, *last_child,
                   owned == nullptr ? nullptr : owned->Child(element), {})) {
      gone.push_back(key);
    }
  }
  for (const std::string& key : gone) value.erase(key);
}

void PruneList(Json& value, const Slot& slot, const FieldSet& last, const FieldSet* owned) {
  const Slot item_slot = ItemSlot(slot);
  const std::vector<std::string> keys = ListKeys(slot);
  Json kept = Json::array();
  for (Json& item : value) {
    std::optional<std::string> element = ItemElement(item, slot);
    const FieldSet* last_item = element ? last.Child(*element) : nullptr;
    if (last_item == nullptr ||
        !PruneChild(item, item_slot, /*in_field_set=*/true, *last_item,
                    owned == nullptr ? nullptr : owned->Child(*element), keys)) {
      kept.push_back(std::move(item));
    }
  }
  value = std::move(kept);
}

void Prune(Json& value, const Slot& slot, const FieldSet& last, const FieldSet* owned,
           const std::vector<std::string>& item_keys) {
  if (IsGranularMap(value, slot)) {
    PruneMap(value, slot, last, owned, item_keys);
  } else if (IsGranularList(value, slot)) {
    PruneList(value, slot, last, owned);
  }
}

// ---------------------------------------------------------------------------------------------
// metadata.managedFields.

struct Manager {
  std::string manager;
  std::string operation;
  std::string api_version;
  std::string time;
  std::string subresource;
  FieldSet fields;

  // Kubernetes keys managers by name, operation and subresource, and updaters also by
  // apiVersion: an applier keeps one entry whatever version it applies.
  bool SameEntry(const Manager& other) const {
    return manager == other.manager && operation == other.operation &&
           subresource == other.subresource &&
           (operation == kApply || api_version == other.api_version);
  }
};

std::string StringField(const Json& entry, const char* key) {
  auto it = entry.find(key);
  return it != entry.end() && it->is_string() ? it->get<std::string>() : "";
}

std::vector<Manager> DecodeManagers(const Json& obj) {
  std::vector<Manager> managers;
  if (!obj.is_object()) return managers;
  auto metadata = obj.find("metadata");
  if (metadata == obj.end() || !metadata->is_object()) return managers;
  auto entries = metadata->find("managedFields");
  if (entries == metadata->end() || !entries->is_array()) return managers;
  for (const Json& entry : *entries) {
    if (!entry.is_object()) continue;
    Manager m{StringField(entry, "manager"),     StringField(entry, "operation"),
              StringField(entry, "apiVersion"),  StringField(entry, "time"),
              StringField(entry, "subresource"), {}};
    auto fields = entry.find("fieldsV1");
    if (fields != entry.end()) m.fields = FieldSet::FromFieldsV1(*fields);
    auto same = std::find_if(managers.begin(), managers.end(),
                             [&](const Manager& other) { return other.SameEntry(m); });
    if (same == managers.end()) {
      managers.push_back(std::move(m));
    } else {
      same->fields.Union(m.fields);
    }
  }
  return managers;
}

// Sorted as Kubernetes sorts them: appliers first, then oldest first.
void EncodeManagers(Json& obj, std::vector<Manager> managers) {
  std::erase_if(managers, [](const Manager& m) { return m.fields.empty(); });
  std::stable_sort(managers.begin(), managers.end(), [](const Manager& a, const Manager& b) {
    return std::tie(a.operation, a.time, a.manager, a.api_version, a.subresource) <
           std::tie(b.operation, b.time, b.manager, b.api_version, b.subresource);
  });
  Json& metadata = obj["metadata"];
  if (!metadata.is_object()) metadata = Json::object();
  if (managers.empty()) {
    metadata.erase("managedFields");
    return;
  }
  Json entries = Json::array();
  for (const Manager& m : managers) {
    Json entry = {{"manager", m.manager},
                  {"operation", m.operation},
                  {"apiVersion", m.api_version},
                  {"fieldsType", "FieldsV1"},
                  {"fieldsV1", m.fields.ToFieldsV1()}};
    if (!m.time.empty()) entry["time"] = m.time;
    if (!m.subresource.empty()) entry["subresource"] = m.subresource;
    entries.push_back(std::move(entry));
  }
  metadata["managedFields"] = std::move(entries);
}

Json WithoutManagedFields(const Json& obj) {
  Json out = obj.is_object() ? obj : Json::object();
  auto metadata = out.find("metadata");
  if (metadata != out.end() && metadata->is_object()) metadata->erase("managedFields");
  return out;
}

// ---------------------------------------------------------------------------------------------
// Conflicts.

// Worded as fieldmanager's printManager: updaters are named with the version they wrote.
std::string DescribeManager(const Manager& m) {
  std::string out = Dump(Json(m.manager));
  if (!m.subresource.empty()) out += " with subresource " + Dump(Json(m.subresource));
  if (m.operation == kUpdate) out += " using " + m.api_version;
  return out;
}

struct Conflict {
  std::string manager;  // as DescribeManager renders it
  Path path;
};

Status ConflictError(std::vector<Conflict> conflicts) {
  StatusDetails details;
  for (const Conflict& c : conflicts) {
    details.causes.push_back(
        {"FieldManagerConflict", "conflict with " + c.manager, PathString(c.path)});
  }
  if (conflicts.size() == 1) {
    return Status(Code::kConflict,
                  "Apply failed with 1 conflict: conflict with " + conflicts[0].manager + ": " +
                      PathString(conflicts[0].path),
                  std::move(details));
  }
  std::stable_sort(conflicts.begin(), conflicts.end(),
                   [](const Conflict& a, const Conflict& b) { return a.manager < b.manager; });
  std::string message = "Apply failed with " + std::to_string(conflicts.size()) + " conflicts: ";
  for (size_t i = 0; i < conflicts.size(); ++i) {
    if (i == 0 || conflicts[i].manager != conflicts[i - 1].manager) {
      if (i > 0) message += "\n";
      message += "conflicts with " + conflicts[i].manager + ":";
    }
    message += "\n- " + PathString(conflicts[i].path);
  }
  return Status(Code::kConflict, message, std::move(details));
}

std::vector<Conflict> FindConflicts(const std::vector<Manager>& managers, size_t applier,
                                    const FieldSet& changed) {
  std::vector<Conflict> conflicts;
  for (size_t i = 0; i < managers.size(); ++i) {
    if (i == applier) continue;
    const std::string who = DescribeManager(managers[i]);
    managers[i].fields.Intersection(changed).ForEachMember([&](const Path& path) {
      conflicts.push_back({who, path});
    });
  }
  return conflicts;
}

// ---------------------------------------------------------------------------------------------
// Apply.

Status ValidateApply(const Json& applied, const ApplyOptions& options) {
  if (options.field_manager.empty()) {
    StatusDetails details{
        "",
        "meta.k8s.io",
        "PatchOptions",
        {{"FieldValueRequired", "Required value: is required for apply patch", "fieldManager"}}};
    return Status(Code::kInvalid,
                  "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is "
                  "required for apply patch",
                  std::move(details));
  }
  if (!applied.is_object()) {
    return BadRequest("error decoding YAML: json: cannot unmarshal " +
                      std::string(applied.type_name()) +
                      " into Go value of type map[string]interface {}");
  }
  auto version = applied.find("apiVersion");
  if (!options.api_version.empty() && version != applied.end() && *version != options.api_version) {
    return BadRequest("Incorrect version specified in apply patch. Specified patch version: " +
                      (version->is_string() ? version->get<std::string>() : Dump(*version)) +
                      ", expected: " + options.api_version);
  }
  const Json* managed_fields = Find(Find(&applied, "metadata"), "managedFields");
  if (managed_fields != nullptr && !managed_fields->is_null()) {
    return BadRequest("metadata.managedFields must be nil");
  }
  return Status::Ok();
}

std::string AppliedVersion(const Json& applied, const ApplyOptions& options) {
  if (!options.api_version.empty()) return options.api_version;
  auto version = applied.find("apiVersion");
  return version != applied.end() && version->is_string() ? version->get<std::string>() : "";
}

size_t FindOrAddManager(std::vector<Manager>& managers, const std::string& name,
                        std::string_view operation, const std::string& version) {
  Manager wanted{name, std::string(operation), version, "", "", {}};
  for (size_t i = 0; i < managers.size(); ++i) {
    if (managers[i].SameEntry(wanted)) return i;
  }
  managers.push_back(std::move(wanted));
  return managers.size() - 1;
}

Result<Json> Apply(const Json& live, const Json& applied, const Type* type,
                   const ApplyOptions& options) {
  RETURN_IF_ERROR(ValidateApply(applied, options));
  const Slot root{type, nullptr};
  const Json live_obj = WithoutManagedFields(live);
  std::vector<Manager> managers = DecodeManagers(live);
  for (Manager& m : managers) ReconcileItemNames(m.fields, live_obj, root);

  Json config = applied;
  CompleteKeys(config, live_obj, root);
  FieldSet applied_set;
  Path path;
  RETURN_IF_ERROR(CollectApplied(applied, config, root, path, applied_set));
  StripMeta(applied_set);

  Json merged = MergeApplied(&live_obj, config, root);
  const std::string version = AppliedVersion(applied, options);
  const size_t self = FindOrAddManager(managers, options.field_manager, kApply, version);
  const FieldSet last = std::move(managers[self].fields);
  managers[self].fields = std::move(applied_set);
  managers[self].api_version = version;
  if (!last.empty()) {
    FieldSet owned;
    for (const Manager& m : managers) owned.Union(m.fields);
    Prune(merged, root, last, &owned, {});
  }

  const Comparison diff = Compare(live.is_null() ? nullptr : &live_obj, merged, type);
  FieldSet changed = diff.modified;
  changed.Union(diff.added);
  std::vector<Conflict> conflicts = FindConflicts(managers, self, changed);
  if (!conflicts.empty() && !options.force) return ConflictError(std::move(conflicts));
  for (size_t i = 0; i < managers.size(); ++i) {
    if (i == self) continue;
    managers[i].fields.Subtract(changed);
    managers[i].fields.Subtract(diff.removed);
  }
  // As Kubernetes: an apply that changes nothing leaves the applier's timestamp alone.
  if (live.is_null() || merged != live_obj) managers[self].time = options.now;
  EncodeManagers(merged, std::move(managers));
  return merged;
}

// A client may send managedFields: [{}] to wipe them; Kubernetes then records nothing.
bool AsksForReset(const Json& obj) {
  auto metadata = obj.find("metadata");
  if (metadata == obj.end() || !metadata->is_object()) return false;
  auto entries = metadata->find("managedFields");
  return entries != metadata->end() && entries->is_array() && entries->size() == 1 &&
         (*entries)[0].is_object() && (*entries)[0].empty();
}

const Json kEmptyObject = Json::object();

void Update(const Json& old_obj, Json& new_obj, const Type* type, const std::string& manager,
            const std::string& api_version, const std::string& now) {
  if (AsksForReset(new_obj)) {
    new_obj["metadata"].erase("managedFields");
    return;
  }
  // Entries the client sent win, so that managedFields can be edited directly; a client that
  // does not know about them (sends none) keeps the stored ones.
  std::vector<Manager> managers = DecodeManagers(new_obj);
  if (managers.empty()) managers = DecodeManagers(old_obj);
  // The entries are decoded already: strip them from the new object in place rather than
  // copying it. Nothing below changes it until EncodeManagers, so if anything throws the object
  // goes on as sent, without managedFields.
  if (auto meta = new_obj.find("metadata"); meta != new_obj.end() && meta->is_object()) {
    meta->erase("managedFields");
  }
  // Compare skips managedFields, so the old object is compared as it is, without a copy.
  const Json& old_value = old_obj.is_object() ? old_obj : kEmptyObject;
  for (Manager& m : managers) ReconcileItemNames(m.fields, old_value, Slot{type, nullptr});
  Comparison diff = Compare(&old_value, new_obj, type);
  FieldSet changed = std::move(diff.modified);
  changed.Absorb(std::move(diff.added));
  for (Manager& m : managers) {
    m.fields.Subtract(changed);
    m.fields.Subtract(diff.removed);
  }
  if (!changed.empty()) {
    const size_t self = FindOrAddManager(managers, manager, kUpdate, api_version);
    managers[self].fields.Absorb(std::move(changed));
    managers[self].time = now;
  }
  EncodeManagers(new_obj, std::move(managers));
}

}  // namespace

Result<Json> ServerSideApply(const Json& live, const Json& applied, const Type* type,
                             const ApplyOptions& options) {
  try {
    return Apply(live, applied, type, options);
  } catch (const std::exception& e) {
    return Internal(std::string("server-side apply: ") + e.what());
  }
}

void RecordUpdate(const Json& old_obj, Json& new_obj, const Type* type, const std::string& manager,
                  const std::string& api_version, const std::string& now) {
  if (!new_obj.is_object()) return;
  try {
    Update(old_obj, new_obj, type, manager, api_version, now);
  } catch (const std::exception&) {
    // Ownership bookkeeping must never fail a write; the object goes through as sent.
  }
}

void DropManagedFields(Json& obj) {
  if (auto meta = obj.find("metadata"); meta != obj.end() && meta->is_object()) meta->erase("managedFields");
}

}  // namespace mlkube::api
