// An acknowledged write is never lost: kill -9 the server while clients create objects
// concurrently, restart it, and check that every create answered 201 is there, intact, and that
// nothing unanswered is half there.

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "api/json.h"
#include "client/http_client.h"
#include "e2e_util.h"

namespace mlkube::testing {
namespace {

constexpr int kCycles = 20;
constexpr int kClients = 6;

std::string Payload(const std::string& name) {
  // Large enough that a torn write would show: the data must match the name exactly.
  return std::string(2000, name.back()) + name;
}

TEST(DurabilityE2E, KillNineNeverLosesAnAcknowledgedCreate) {
  ServerProcess server("durability");
  ASSERT_TRUE(server.Start()) << server.log();
  std::mt19937 rng(42);
  std::set<std::string> acknowledged;
  size_t total_acknowledged = 0;
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    auto cfg = client::LoadKubeconfig(server.kubeconfig().string());
    ASSERT_TRUE(cfg.ok()) << cfg.status().message();
    std::mutex mu;
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back([&, c] {
        client::HttpClient http(*cfg);
        for (int i = 0; !stop; ++i) {
          std::string name = "c" + std::to_string(cycle) + "-" + std::to_string(c) + "-" + std::to_string(i);
          Json cm = {{"apiVersion", "v1"},
                     {"kind", "ConfigMap"},
                     {"metadata", {{"name", name}}},
                     {"data", {{"payload", Payload(name)}}}};
          auto r = http.Do("POST", "/api/v1/namespaces/default/configmaps", cm.dump());
          if (!r.ok()) return;  // the server is gone
          if (r->status == 201) {
            std::lock_guard lock(mu);
            acknowledged.insert(name);
          }
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<>(100, 400)(rng)));
    server.Kill9();
    stop = true;
    for (auto& t : clients) t.join();
    ASSERT_TRUE(server.Start()) << server.log();

    client::HttpClient http(*client::LoadKubeconfig(server.kubeconfig().string()));
    auto list = http.Do("GET", "/api/v1/namespaces/default/configmaps");
    ASSERT_TRUE(list.ok());
    ASSERT_EQ(list->status, 200);
    Json items = Json::parse(list->body)["items"];
    std::set<std::string> present;
    for (const auto& item : items) {
      std::string name = item["metadata"]["name"];
      present.insert(name);
      // Whatever is there is whole, acknowledged or not.
      ASSERT_EQ(item["data"]["payload"], Payload(name)) << name;
      ASSERT_FALSE(item["metadata"].value("uid", "").empty()) << name;
    }
    for (const auto& name : acknowledged) ASSERT_TRUE(present.count(name)) << "lost " << name;
    total_acknowledged = acknowledged.size();
  }
  EXPECT_GT(total_acknowledged, static_cast<size_t>(kCycles));
  std::printf("%zu acknowledged creates survived %d kill -9 cycles\n", total_acknowledged, kCycles);
}

}  // namespace
}  // namespace mlkube::testing
