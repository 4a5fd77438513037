// The garbage collector against a real in-process API server: owners and dependents are
// ConfigMaps (the collector treats every kind alike), deleted with each propagation policy.

#include "controllers/garbagecollector/garbage_collector.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "e2e_util.h"
#include "in_process_api.h"

namespace mlkube::controllers {
namespace {

using namespace std::chrono_literals;

constexpr const char* kConfigMaps = "/api/v1/namespaces/default/configmaps";

class GarbageCollectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(api_.ok());
    client_ = &api_.client();
    informers_ = &api_.informers();
    gc_ = std::make_unique<GarbageCollector>(*client_, *informers_);
    ASSERT_TRUE(api_.StartInformers());
    gc_->Start();
  }
  void TearDown() override {
    if (informers_) informers_->Stop();  // first: their handlers call the collector
    if (gc_) gc_->Stop();
  }

  static bool Eventually(const std::function<bool()>& pred) {
    return mlkube::testing::WaitFor(pred, std::chrono::milliseconds(5000), 10ms);
  }
  // Creates a ConfigMap owned by `owners` (their uids); returns its uid.
  std::string Create(const std::string& name, const std::vector<std::string>& owners = {},
                     const std::vector<std::string>& finalizers = {}) {
    Json cm = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", name}}}};
    for (const std::string& owner : owners) {
      cm["metadata"]["ownerReferences"].push_back({{"apiVersion", "v1"},
                                                   {"kind", "ConfigMap"},
                                                   {"name", uid_names_[owner]},
                                                   {"uid", owner},
                                                   {"blockOwnerDeletion", true}});
    }
    if (!finalizers.empty()) cm["metadata"]["finalizers"] = finalizers;
    auto r = client_->Send("POST", kConfigMaps, cm);
    EXPECT_TRUE(r.ok()) << r.status().message();
    if (!r.ok()) return "";
    const std::string uid = (*r)["metadata"]["uid"];
    uid_names_[uid] = name;
    return uid;
  }
  Status Delete(const std::string& name, const std::string& policy) {
    auto r = client_->Do("DELETE", std::string(kConfigMaps) + "/" + name, Json({{"propagationPolicy", policy}}).dump());
    if (!r.ok()) return r.status();
    return r->status / 100 == 2 ? Status::Ok() : client::StatusFromResponse(*r);
  }
  std::optional<Json> Get(const std::string& name) {
    auto r = client_->Get(std::string(kConfigMaps) + "/" + name);
    if (!r.ok()) return std::nullopt;
    return *r;
  }
  bool Gone(const std::string& name) {
    return Eventually([&] { return !Get(name); });
  }
  // Waits until the collector's informers hold every object the server has (its graph follows).
  void WaitForGraph() {
    const Json all = *client_->Get(kConfigMaps);
    ASSERT_TRUE(Eventually([&] {
      for (const Json& cm : all["items"]) {
        if (!informers_->For("/api/v1/configmaps").Get(client::Informer::KeyOf(cm))) return false;
      }
      return true;
    }));
  }

  mlkube::testing::InProcessApi api_{"gc-test"};
  client::LocalClient* client_ = nullptr;
  client::SharedInformers* informers_ = nullptr;
  std::unique_ptr<GarbageCollector> gc_;
  std::map<std::string, std::string> uid_names_;
};

TEST_F(GarbageCollectorTest, BackgroundDeletesTheOwnerAtOnceThenItsDependentsAndTheirs) {
  const std::string owner = Create("owner");
  const std::string child = Create("child", {owner});
  Create("grandchild", {child});
  Create("bystander");
  WaitForGraph();
  ASSERT_TRUE(Delete("owner", "Background").ok());
  EXPECT_FALSE(Get("owner")) << "background deletion waited for the dependents";
  EXPECT_TRUE(Gone("child"));
  EXPECT_TRUE(Gone("grandchild"));
  std::this_thread::sleep_for(100ms);
  EXPECT_TRUE(Get("bystander"));
}

TEST_F(GarbageCollectorTest, OrphanLeavesTheDependentsWithoutTheOwnerReference) {
  const std::string owner = Create("owner");
  const std::string other = Create("other-owner");
  Create("child", {owner});
  Create("shared", {owner, other});
  WaitForGraph();
  ASSERT_TRUE(Delete("owner", "Orphan").ok());
  EXPECT_TRUE(Gone("owner"));
  auto child = Get("child");
  ASSERT_TRUE(child);
  EXPECT_FALSE((*child)["metadata"].contains("ownerReferences")) << child->dump();
  auto shared = Get("shared");
  ASSERT_TRUE(shared);
  ASSERT_EQ((*shared)["metadata"]["ownerReferences"].size(), 1u) << shared->dump();
  EXPECT_EQ((*shared)["metadata"]["ownerReferences"][0]["uid"], other);
}

TEST_F(GarbageCollectorTest, ForegroundKeepsTheOwnerUntilItsBlockingDependentsAreGone) {
  const std::string owner = Create("owner");
  const std::string other = Create("other-owner");
  // A dependent held by a finalizer of its own keeps the owner in the foreground.
  Create("held", {owner}, {"example.com/hold"});
  Create("child", {owner});
  Create("shared", {owner, other});
  WaitForGraph();
  ASSERT_TRUE(Delete("owner", "Foreground").ok());

  ASSERT_TRUE(Eventually([&] {
    auto held = Get("held");
    return held && (*held)["metadata"].contains("deletionTimestamp") && !Get("child");
  }));
  auto o = Get("owner");
  ASSERT_TRUE(o) << "the owner went before a dependent that blocks it";
  EXPECT_TRUE((*o)["metadata"].contains("deletionTimestamp"));
  EXPECT_EQ((*o)["metadata"]["finalizers"], Json::array({"foregroundDeletion"}));
  // A dependent with another live owner stays, without the reference to the one going.
  ASSERT_TRUE(Eventually([&] {
    auto s = Get("shared");
    return s && (*s)["metadata"]["ownerReferences"].size() == 1;
  }));
  EXPECT_FALSE((*Get("shared"))["metadata"].contains("deletionTimestamp"));

  Json release = {{"metadata", {{"finalizers", nullptr}}}};
  ASSERT_TRUE(client_->Send("PATCH", std::string(kConfigMaps) + "/held", release, "application/merge-patch+json").ok());
  EXPECT_TRUE(Gone("held"));
  EXPECT_TRUE(Gone("owner")) << "the owner outlived its dependents";
  EXPECT_TRUE(Get("shared"));
  EXPECT_TRUE(Get("other-owner"));
}

TEST_F(GarbageCollectorTest, ADependentWhoseOwnerNeverExistedIsCollected) {
  // An ownerReference to a uid the server never had: dangling from the start.
  uid_names_["0c7a0d1e-0000-4000-8000-000000000000"] = "ghost";
  Create("ghost");  // same name, another uid: not the owner the reference names
  WaitForGraph();
  Create("orphaned", {"0c7a0d1e-0000-4000-8000-000000000000"});
  EXPECT_TRUE(Gone("orphaned"));
  EXPECT_TRUE(Get("ghost"));
}

}  // namespace
}  // namespace mlkube::controllers
