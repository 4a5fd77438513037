// The API over HTTPS with curl: authentication, bad input, concurrency control, watch, and the
// Python client. Every bad request must get the right Status, store nothing and leave the
// server healthy.

#include <gtest/gtest.h>
#include <gmock/gmock.h>

#include "api/json.h"
#include "e2e_util.h"

namespace mlkube::testing {
namespace {

using ::testing::HasSubstr;

class ApiE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new ServerProcess("api");
    ASSERT_TRUE(server_->Start({"--watch-bookmark-interval", "1s"})) << server_->log();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  // Returns {http code, body}.
  static std::pair<int, Json> Req(const std::string& method, const std::string& path,
                                  const std::string& body = "",
                                  const std::string& content_type = "application/json") {
    std::string args = "-w '\\n%{http_code}' -X " + method + " ";
    if (!body.empty()) {
      args += "-H 'Content-Type: " + content_type + "' --data-binary @- ";
    }
    auto r = Sh("curl -sS --cacert " + (server_->dir() / "data/pki/ca.crt").string() +
                    " -H 'Authorization: Bearer " + server_->Token() + "' " + args + "'" +
                    server_->url() + path + "'",
                body);
    auto nl = r.out.rfind('\n');
    int code = std::atoi(r.out.substr(nl + 1).c_str());
    return {code, Json::parse(r.out.substr(0, nl), nullptr, false)};
  }
  static void ExpectHealthy() {
    EXPECT_EQ(Sh("curl -skf " + server_->url() + "/readyz").out, "ok");
  }
  static ServerProcess* server_;
};
ServerProcess* ApiE2E::server_ = nullptr;

constexpr char kPods[] = "/api/v1/namespaces/default/pods";

std::string PodJson(const std::string& name) {
  return R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" + name +
         R"("},"spec":{"containers":[{"name":"c","image":"busybox"}]}})";
}

TEST_F(ApiE2E, UnauthenticatedRequestsGet401ExceptPublicEndpoints) {
  for (const char* path : {"/api", "/apis", "/api/v1", "/api/v1/pods", kPods,
                           "/api/v1/namespaces/default/pods/x", "/apis/apps/v1/deployments",
                           "/openapi/v3", "/api/v1/namespaces"}) {
    auto r = Sh("curl -sk -o /dev/null -w '%{http_code}' " + server_->url() + path);
    EXPECT_EQ(r.out, "401") << path;
    r = Sh("curl -sk -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer wrong' " +
           server_->url() + path);
    EXPECT_EQ(r.out, "401") << path;
  }
  auto r = Sh("curl -sk -X POST -H 'Content-Type: application/json' -d '" + PodJson("x") + "' " +
              server_->url() + kPods);
  EXPECT_THAT(r.out, HasSubstr("\"reason\":\"Unauthorized\""));
  for (const char* path : {"/healthz", "/livez", "/readyz", "/version"}) {
    EXPECT_EQ(Sh("curl -sk -o /dev/null -w '%{http_code}' " + server_->url() + path).out, "200")
        << path;
  }
  EXPECT_EQ(Req("GET", kPods + std::string("/x")).first, 404);
}

TEST_F(ApiE2E, MalformedBodiesAreBadRequestsAndStoreNothing) {
  struct Case {
    std::string body, content_type;
    int code;
    std::string message;
  };
  std::vector<Case> cases = {
      {"{not json", "application/json", 400, "json parse error"},
      {"[1,2]", "application/json", 400, "cannot unmarshal array"},
      {"a: [b\n", "application/yaml", 400, "error converting YAML to JSON"},
      {R"({"apiVersion":"apps/v1","kind":"Pod","metadata":{"name":"x"}})", "application/json", 400,
       "does not match the expected API version"},
      {R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"x"}})", "application/json", 400,
       "does not match the expected kind"},
      {R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"},"spec":{"containers":"no"}})",
       "application/json", 400, "cannot unmarshal"},
      {R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" + std::string(300, 'a') +
           R"("},"spec":{"containers":[{"name":"c","image":"i"}]}})",
       "application/json", 422, "must be no more than 253 characters"},
      {R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"x","namespace":"other"},"spec":{"containers":[{"name":"c","image":"i"}]}})",
       "application/json", 400, "does not match the namespace"},
      {"x", "application/vnd.kubernetes.protobuf", 400, "protobuf"},
      {"x", "application/cbor", 415, "unknown format"},
  };
  for (const auto& c : cases) {
    auto [code, body] = Req("POST", kPods, c.body, c.content_type);
    EXPECT_EQ(code, c.code) << c.body;
    EXPECT_EQ(body.value("kind", ""), "Status") << c.body;
    EXPECT_THAT(body.value("message", ""), HasSubstr(c.message)) << c.body;
  }
  auto strict = Req("POST", kPods + std::string("?fieldValidation=Strict"),
                    R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"},"spec":{"bogus":1,"containers":[{"name":"c","image":"i"}]}})");
  EXPECT_EQ(strict.first, 400);
  EXPECT_THAT(strict.second.value("message", ""), HasSubstr("unknown field \"spec.bogus\""));
  auto list = Req("GET", kPods);
  EXPECT_EQ(list.second["items"].size(), 0u);
  ExpectHealthy();
}

TEST_F(ApiE2E, OversizedBodyIs413) {
  std::string big = R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"big"},"data":{"a":")" +
                    std::string(3 * 1024 * 1024 + 10, 'x') + "\"}}";
  auto [code, body] = Req("POST", "/api/v1/namespaces/default/configmaps", big);
  EXPECT_EQ(code, 413);
  EXPECT_EQ(body.value("reason", ""), "RequestEntityTooLarge");
  EXPECT_EQ(Req("GET", "/api/v1/namespaces/default/configmaps/big").first, 404);
  ExpectHealthy();
}

TEST_F(ApiE2E, BadSelectorsAndPatchesAreRejected) {
  EXPECT_EQ(Req("GET", std::string(kPods) + "?labelSelector=app%20in%20(x").first, 400);
  EXPECT_EQ(Req("GET", std::string(kPods) + "?fieldSelector=spec.nope%3Dx").first, 400);
  ASSERT_EQ(Req("POST", kPods, PodJson("p")).first, 201);
  std::string p = std::string(kPods) + "/p";
  EXPECT_EQ(Req("PATCH", p, "{bad", "application/merge-patch+json").first, 400);
  EXPECT_EQ(Req("PATCH", p, R"({"op":"add"})", "application/json-patch+json").first / 100, 4);
  EXPECT_EQ(Req("PATCH", p, R"([{"op":"replace","path":"/nope/x","value":1}])",
                "application/json-patch+json").first / 100, 4);
  EXPECT_EQ(Req("PATCH", p, R"({"spec":{"containers":"x"}})", "application/strategic-merge-patch+json").first / 100, 4);
  EXPECT_EQ(Req("PATCH", p, "{}", "text/plain").first, 415);
  // A pod's spec is immutable except images.
  auto imm = Req("PATCH", p, R"({"spec":{"restartPolicy":"Never"}})", "application/merge-patch+json");
  EXPECT_EQ(imm.first, 422);
  auto img = Req("PATCH", p, R"({"spec":{"containers":[{"name":"c","image":"busybox:2"}]}})",
                 "application/strategic-merge-patch+json");
  EXPECT_EQ(img.first, 200);
  EXPECT_EQ(img.second["spec"]["containers"][0]["image"], "busybox:2");
  EXPECT_EQ(Req("DELETE", p).first, 200);
  ExpectHealthy();
}

TEST_F(ApiE2E, StaleResourceVersionConflicts) {
  auto [code, created] = Req("POST", "/api/v1/namespaces/default/configmaps",
                             R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"},"data":{"a":"1"}})");
  ASSERT_EQ(code, 201);
  Json update = created;
  update["data"]["a"] = "2";
  auto ok = Req("PUT", "/api/v1/namespaces/default/configmaps/cm", update.dump());
  ASSERT_EQ(ok.first, 200);
  EXPECT_NE(ok.second["metadata"]["resourceVersion"], created["metadata"]["resourceVersion"]);
  update["data"]["a"] = "3";  // still carries the old resourceVersion
  auto stale = Req("PUT", "/api/v1/namespaces/default/configmaps/cm", update.dump());
  EXPECT_EQ(stale.first, 409);
  EXPECT_EQ(stale.second["reason"], "Conflict");
  EXPECT_THAT(stale.second.value("message", ""), HasSubstr("the object has been modified"));
  EXPECT_EQ(Req("GET", "/api/v1/namespaces/default/configmaps/cm").first, 200);
  auto stale_delete = Req("DELETE", "/api/v1/namespaces/default/configmaps/cm",
                          R"({"preconditions":{"resourceVersion":"1"}})");
  EXPECT_EQ(stale_delete.first, 409);
  EXPECT_EQ(Req("DELETE", "/api/v1/namespaces/default/configmaps/cm").first, 200);
}

TEST_F(ApiE2E, WatchFromExpiredVersionIsGoneAndBookmarksFlow) {
  // After a restart the event window starts at the current revision: older versions are gone.
  ASSERT_EQ(Req("POST", "/api/v1/namespaces/default/configmaps",
                R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"w"}})").first, 201);
  server_->Stop();
  ASSERT_TRUE(server_->Start()) << server_->log();
  std::string watch = "curl -sS -N --max-time 3 --cacert " +
                      (server_->dir() / "data/pki/ca.crt").string() + " -H 'Authorization: Bearer " +
                      server_->Token() + "' '" + server_->url() + "/api/v1/namespaces/default/";
  auto r = Sh(watch + "pods?watch=true&resourceVersion=1'");
  EXPECT_THAT(r.out, HasSubstr("\"type\":\"ERROR\""));
  EXPECT_THAT(r.out, HasSubstr("\"code\":410"));
  EXPECT_THAT(r.out, HasSubstr("Expired"));
  // From the current version: no replay, then bookmarks (the test server sends one a second).
  std::string rv = Req("GET", "/api/v1/namespaces/default/configmaps").second["metadata"]["resourceVersion"];
  r = Sh(watch + "configmaps?watch=true&allowWatchBookmarks=true&resourceVersion=" + rv + "'");
  EXPECT_THAT(r.out, HasSubstr("\"type\":\"BOOKMARK\""));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("\"ADDED\"")));
  EXPECT_EQ(Req("DELETE", "/api/v1/namespaces/default/configmaps/w").first, 200);
}

TEST_F(ApiE2E, GenerateNameAndPaginatedList) {
  for (int i = 0; i < 5; ++i) {
    auto [code, body] = Req("POST", "/api/v1/namespaces/default/configmaps",
                            R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"generateName":"page-"}})");
    ASSERT_EQ(code, 201);
    EXPECT_EQ(body["metadata"]["name"].get<std::string>().size(), 10u);
  }
  auto first = Req("GET", "/api/v1/namespaces/default/configmaps?limit=2");
  ASSERT_EQ(first.second["items"].size(), 2u);
  std::string cont = first.second["metadata"]["continue"];
  size_t seen = 2;
  while (!cont.empty()) {
    std::string enc;
    for (unsigned char c : cont) {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      enc += std::isalnum(c) ? std::string(1, c) : std::string(buf);
    }
    auto next = Req("GET", "/api/v1/namespaces/default/configmaps?limit=2&continue=" + enc);
    seen += next.second["items"].size();
    cont = next.second["metadata"].value("continue", "");
  }
  EXPECT_EQ(seen, 5u);
  EXPECT_EQ(Req("DELETE", "/api/v1/namespaces/default/configmaps").first, 200);
  EXPECT_EQ(Req("GET", "/api/v1/namespaces/default/configmaps").second["items"].size(), 0u);
}

TEST_F(ApiE2E, FinalizersHoldDeletionUntilRemoved) {
  ASSERT_EQ(Req("POST", "/api/v1/namespaces/default/configmaps",
                R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"fin","finalizers":["example.com/hold"]}})")
                .first,
            201);
  auto del = Req("DELETE", "/api/v1/namespaces/default/configmaps/fin");
  EXPECT_EQ(del.first, 200);
  auto held = Req("GET", "/api/v1/namespaces/default/configmaps/fin");
  ASSERT_EQ(held.first, 200);
  EXPECT_TRUE(held.second["metadata"].contains("deletionTimestamp"));
  auto done = Req("PATCH", "/api/v1/namespaces/default/configmaps/fin",
                  R"({"metadata":{"finalizers":null}})", "application/merge-patch+json");
  EXPECT_EQ(done.first, 200);
  EXPECT_EQ(Req("GET", "/api/v1/namespaces/default/configmaps/fin").first, 404);
}

TEST_F(ApiE2E, HostileInputGetsAStatusNotACrash) {
  // Fields set to null are dropped as Kubernetes' decoder drops them; later reads must not trip.
  ASSERT_EQ(Req("POST", kPods,
                R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"nul"},"spec":{"nodeName":null,"containers":[{"name":"c","image":"i"}]}})")
                .first, 201);
  EXPECT_EQ(Req("GET", std::string(kPods) + "/nul/log").first, 400);
  EXPECT_EQ(Req("PATCH", std::string(kPods) + "/nul", R"([{"op":"replace","path":"/kind","value":null}])",
                "application/json-patch+json").first, 200);
  EXPECT_EQ(Req("GET", std::string(kPods) + "/nul").second["kind"], "Pod");
  EXPECT_EQ(Req("PATCH", std::string(kPods) + "/nul", R"({"kind":"Service"})",
                "application/merge-patch+json").first, 400);
  EXPECT_EQ(Req("DELETE", std::string(kPods) + "/nul").first, 200);
  // Invalid UTF-8 in YAML.
  auto bad_utf8 = Req("POST", "/api/v1/namespaces/default/configmaps",
                      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: u}\ndata: {k: \"\xff\xfe\"}\n",
                      "application/yaml");
  EXPECT_EQ(bad_utf8.first, 400);
  // Nesting deeper than Go's decoder accepts.
  std::string deep(20000, '[');
  deep += std::string(20000, ']');
  std::string body = R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d"},"x":)" + deep + "}";
  EXPECT_EQ(Req("POST", "/api/v1/namespaces/default/configmaps", body).first, 400);
  // Malformed resourceVersion.
  EXPECT_EQ(Req("GET", std::string(kPods) + "?watch=true&resourceVersion=abc").first, 400);
  ExpectHealthy();
}

TEST_F(ApiE2E, SemanticsAKubernetesUserExpects) {
  // dryRun accepts only All; anything else is refused, not carried out.
  auto dry = Req("POST", std::string(kPods) + "?dryRun=true", PodJson("dry"));
  EXPECT_EQ(dry.first, 422);
  EXPECT_EQ(Req("GET", std::string(kPods) + "/dry").first, 404);
  // Across all namespaces a namespaced resource is only listed.
  EXPECT_EQ(Req("DELETE", "/api/v1/pods").first, 405);
  // The built-in namespaces stay.
  auto ns = Req("DELETE", "/api/v1/namespaces/default");
  EXPECT_EQ(ns.first, 403);
  EXPECT_THAT(ns.second.value("message", ""), HasSubstr("this namespace may not be deleted"));
  // A write that changes nothing makes no new revision.
  auto [code, cm] = Req("POST", "/api/v1/namespaces/default/configmaps",
                        R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"same"},"data":{"a":"1"}})");
  ASSERT_EQ(code, 201);
  auto again = Req("PUT", "/api/v1/namespaces/default/configmaps/same", cm.dump());
  EXPECT_EQ(again.first, 200);
  EXPECT_EQ(again.second["metadata"]["resourceVersion"], cm["metadata"]["resourceVersion"]);
  EXPECT_EQ(Req("DELETE", "/api/v1/namespaces/default/configmaps/same").first, 200);
  // Scale takes integers only.
  ASSERT_EQ(Req("POST", "/apis/apps/v1/namespaces/default/deployments",
                R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"sc"},"spec":{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}})")
                .first, 201);
  EXPECT_EQ(Req("PATCH", "/apis/apps/v1/namespaces/default/deployments/sc/scale",
                R"({"spec":{"replicas":"3"}})", "application/merge-patch+json").first, 400);
  auto scaled = Req("PATCH", "/apis/apps/v1/namespaces/default/deployments/sc/scale",
                    R"({"spec":{"replicas":3}})", "application/merge-patch+json");
  EXPECT_EQ(scaled.first, 200);
  EXPECT_EQ(scaled.second["spec"]["replicas"], 3);
  EXPECT_EQ(scaled.second["status"]["selector"], "a=b");
  EXPECT_EQ(Req("DELETE", "/apis/apps/v1/namespaces/default/deployments/sc").first, 200);
}

TEST_F(ApiE2E, StalledClientsAreDisconnected) {
  // A client that connects and never starts its TLS handshake holds a thread: it is cut off
  // after the handshake timeout (10 s), not kept forever.
  auto start = std::chrono::steady_clock::now();
  auto r = Sh("timeout 30 bash -c 'exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(server_->port()) +
              "; cat <&3 >/dev/null'");
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.code, 0) << "the server kept a silent connection open for 30 s";
  EXPECT_GE(waited, std::chrono::seconds(9));
  ExpectHealthy();
}

TEST_F(ApiE2E, PythonKubernetesClient) {
  auto r = Sh("/usr/bin/python3 " MLKUBE_SOURCE_DIR "/tests/python_client.py " +
              server_->kubeconfig().string());
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("python client OK"));
}

}  // namespace
}  // namespace mlkube::testing
