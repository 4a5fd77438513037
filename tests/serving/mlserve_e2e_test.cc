// mlserve end to end: a model repository built by Debian's PyTorch and XGBoost (make_models.py),
// the real `mlserve` binary on a free port, curl; the server's answers against each
// framework's own outputs, through every protocol, and its errors.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "api/json.h"
#include "e2e_util.h"

namespace mlkube::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// A running mlserve over `repo`; its port read from its log.
class Mlserve {
 public:
  Mlserve(const fs::path& repo, const std::vector<std::string>& extra = {}) : log_(repo.parent_path() / ("mlserve-" + std::to_string(++count_) + ".log")) {
    pid_ = ::fork();
    if (pid_ == 0) {
      FILE* f = std::fopen(log_.c_str(), "w");
      ::dup2(fileno(f), 1);
      ::dup2(fileno(f), 2);
      std::vector<std::string> args = {MLSERVE_BINARY, "--model-repository", repo.string(), "--http-port", "0"};
      args.insert(args.end(), extra.begin(), extra.end());
      // Tests stop servers often: no drain delay unless one asks for it.
      if (std::find(extra.begin(), extra.end(), "--drain-delay") == extra.end()) {
        args.insert(args.end(), {"--drain-delay", "0"});
      }
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    static const std::regex kListening(R"(listening on [0-9.]+:(\d+))");
    WaitFor([&] {
      std::smatch m;
      const std::string text = ReadFile(log_);
      if (std::regex_search(text, m, kListening)) port_ = std::stoi(m[1]);
      // Listening comes first; the tests start once the first load is over.
      return (port_ > 0 && text.find("repository loaded") != std::string::npos) ||
             ::waitpid(pid_, nullptr, WNOHANG) == pid_;
    }, 60s);
  }
  ~Mlserve() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      Wait();
    }
  }
  void Signal(int sig) { ::kill(pid_, sig); }
  // The exit status once it has exited.
  int Wait() {
    int st = 0;
    ::waitpid(pid_, &st, 0);
    pid_ = -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  }
  int port() const { return port_; }
  std::string log() const { return ReadFile(log_); }
  bool alive() const { return ::kill(pid_, 0) == 0; }
  // curl: the status code on the first line, then the headers (with -i) and the body.
  CmdResult Curl(const std::string& method, const std::string& path, const std::string& body = "",
                 const std::string& flags = "") const {
    return Sh("curl -s -w '\\n%{http_code}' " + flags + " -X " + method + " -H 'Content-Type: application/json' " +
                  (body.empty() ? "" : "--data-binary @- ") + "http://127.0.0.1:" + std::to_string(port_) + path,
              body);
  }

 private:
  static inline int count_ = 0;
  fs::path log_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// The body and the status code of a Curl result.
std::pair<std::string, int> Split(const CmdResult& r) {
  const size_t nl = r.out.rfind('\n');
  if (nl == std::string::npos) return {"", -1};
  return {r.out.substr(0, nl), std::atoi(r.out.c_str() + nl + 1)};
}

class MlserveE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = fs::temp_directory_path() / ("mlserve-e2e-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_);
    const auto made = Sh("/usr/bin/python3 " MLKUBE_SOURCE_DIR "/tests/serving/make_models.py " + (root_ / "repo").string());
    ASSERT_EQ(made.code, 0) << made.out << made.err;
    expected_ = Json::parse(ReadFile(root_ / "repo" / "expected.json"));
    fs::remove(root_ / "repo" / "expected.json");
    server_ = new Mlserve(root_ / "repo", {"--default-model", "digits", "--max-request-bytes", "100000"});
    ASSERT_GT(server_->port(), 0) << server_->log();
  }
  static void TearDownTestSuite() {
    delete server_;
    fs::remove_all(root_);
  }
  static Json Body(const CmdResult& r) { return Json::parse(Split(r).first, nullptr, false); }

  static inline fs::path root_;
  static inline Json expected_;
  static inline Mlserve* server_ = nullptr;
};

void ExpectNear(const Json& got, const Json& want, double tolerance) {
  ASSERT_EQ(got.size(), want.size()) << got.dump();
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i].is_array()) {
      ExpectNear(got[i], want[i], tolerance);
    } else {
      EXPECT_NEAR(got[i].get<double>(), want[i].get<double>(), tolerance) << "at " << i;
    }
  }
}

TEST_F(MlserveE2E, V2InferMatchesPyTorchAndXgboost) {
  const Json& digits = expected_["digits"];
  Json request = {{"id", "r1"},
                  {"inputs", {{{"name", "input"}, {"datatype", "FP32"}, {"shape", {8, 64}}, {"data", digits["inputs"]}}}}};
  auto r = server_->Curl("POST", "/v2/models/digits/infer", request.dump(), "-i");
  const auto [text, code] = Split(r);
  ASSERT_EQ(code, 200) << r.out;
  EXPECT_NE(text.find("Model-Name: digits"), std::string::npos) << text;
  EXPECT_NE(text.find("Model-Version: 1"), std::string::npos) << text;
  EXPECT_TRUE(std::regex_search(text, std::regex("Model-Sha256: [0-9a-f]{64}"))) << text;
  const Json body = Json::parse(text.substr(text.find("\r\n\r\n") + 4));
  EXPECT_EQ(body["model_name"], "digits");
  EXPECT_EQ(body["model_version"], "1");
  EXPECT_EQ(body["id"], "r1");
  const Json& out = body["outputs"][0];
  EXPECT_EQ(out["name"], "logits");
  EXPECT_EQ(out["datatype"], "FP32");
  EXPECT_EQ(out["shape"], Json::array({8, 10}));
  Json rows = Json::array();
  for (int i = 0; i < 8; ++i) rows.push_back(Json(out["data"].begin() + i * 10, out["data"].begin() + (i + 1) * 10));
  ExpectNear(rows, digits["outputs"], 1e-4);

  // Nested data is the same tensor; XGBoost through the same protocol.
  const Json& cancer = expected_["cancer"];
  request = {{"inputs", {{{"name", "input"}, {"datatype", "FP32"}, {"shape", {8, 30}}, {"data", cancer["inputs"]}}}}};
  const Json xgb = Body(server_->Curl("POST", "/v2/models/cancer/versions/1/infer", request.dump()));
  ASSERT_TRUE(xgb.contains("outputs")) << xgb.dump();
  EXPECT_EQ(xgb["outputs"][0]["shape"], Json::array({8, 1}));
  ExpectNear(xgb["outputs"][0]["data"], cancer["outputs"], 1e-5);
}

TEST_F(MlserveE2E, V1PredictAndPredictMatchTheFrameworks) {
  const Json& cancer = expected_["cancer"];
  Json v1 = Body(server_->Curl("POST", "/v1/models/cancer:predict", Json{{"instances", cancer["inputs"]}}.dump()));
  ASSERT_TRUE(v1.contains("predictions")) << v1.dump();
  Json flat = Json::array();
  for (const Json& p : v1["predictions"]) flat.push_back(p.is_array() ? p[0] : p);
  ExpectNear(flat, cancer["outputs"], 1e-5);

  const Json& digits = expected_["digits"];
  Json predict = Body(server_->Curl("POST", "/predict", Json{{"instances", digits["inputs"]}}.dump()));
  ASSERT_TRUE(predict.contains("predictions")) << predict.dump();
  ExpectNear(predict["predictions"], digits["outputs"], 1e-4);
  EXPECT_EQ(Body(server_->Curl("GET", "/v1/models/digits")), Json::parse(R"({"name":"digits","ready":true})"));
}

TEST_F(MlserveE2E, HealthAndMetadata) {
  EXPECT_EQ(Split(server_->Curl("GET", "/v2/health/live")).second, 200);
  EXPECT_EQ(Split(server_->Curl("GET", "/v2/health/ready")).second, 200);
  EXPECT_EQ(Body(server_->Curl("GET", "/v2"))["name"], "mlserve");
  const Json meta = Body(server_->Curl("GET", "/v2/models/digits"));
  EXPECT_EQ(meta["platform"], "pytorch_torchscript");
  EXPECT_EQ(meta["versions"], Json::array({"1"}));
  EXPECT_EQ(meta["inputs"], Json::parse(R"([{"name":"input","datatype":"FP32","shape":[-1,64]}])"));
  EXPECT_EQ(Body(server_->Curl("GET", "/v2/models/cancer/versions/1"))["platform"], "xgboost");
  EXPECT_EQ(Split(server_->Curl("GET", "/v2/models/digits/ready")).second, 200);
  EXPECT_EQ(Split(server_->Curl("GET", "/v2/models/digits/versions/1/ready")).second, 200);
  EXPECT_EQ(Split(server_->Curl("GET", "/v2/models/digits/versions/2/ready")).second, 400);
  EXPECT_EQ(Split(server_->Curl("GET", "/v2/models/nope/ready")).second, 400);
  // Answers about a model say which one answered, not only inference answers.
  const std::string headers = server_->Curl("GET", "/v2/models/digits", "", "-i").out;
  EXPECT_NE(headers.find("Model-Version: 1"), std::string::npos) << headers;
  EXPECT_NE(server_->Curl("GET", "/v1/models/cancer", "", "-i").out.find("Model-Name: cancer"), std::string::npos);
  // Every loaded model's series are there before its first request (at zero: nothing in flight).
  const std::string metrics = Split(server_->Curl("GET", "/metrics")).first;
  EXPECT_NE(metrics.find("inference_requests_in_flight{model=\"cancer\"} 0"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("inference_requests_in_flight{model=\"digits\"} 0"), std::string::npos) << metrics;
}

TEST_F(MlserveE2E, BadInputGetsAnErrorAndChangesNothing) {
  auto infer = [&](const std::string& path, const std::string& body) {
    const auto r = server_->Curl("POST", path, body);
    return std::make_pair(Split(r).second, StringMember(Body(r), "error"));
  };
  auto digits = [](const Json& shape, const Json& data, const std::string& type = "FP32") {
    return Json{{"inputs", {{{"name", "input"}, {"datatype", type}, {"shape", shape}, {"data", data}}}}}.dump();
  };
  const Json row = Json(std::vector<double>(64, 0.5));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {digits({1, 63}, Json(std::vector<double>(63, 0.5))), "shape [1,63] does not match the model's [-1,64]"},
      {digits({1, 64}, Json(std::vector<double>(60, 0.5))), "shape [1,64] holds 64 elements, the data has 60"},
      {digits({1, 64}, row, "INT64"), "datatype 'INT64', the model takes FP32"},
      {digits({1, 64}, Json(std::vector<std::string>(64, "x"))), "element 0 (\"x\") is not a FP32 value"},
      {digits({65, 64}, Json(std::vector<double>(65 * 64, 0.5))), "batch of 65 is over the model's maximum of 64"},
      {R"({"inputs":[{"name":"pixels","datatype":"FP32","shape":[1,64],"data":[]}]})", "unexpected input 'pixels'"},
      {R"({"inputs":[]})", "expected input 'input'"},
      {R"({"inputs": [)", "the request body is not valid JSON"},
  };
  for (const auto& [body, message] : cases) {
    const auto [code, error] = infer("/v2/models/digits/infer", body);
    EXPECT_EQ(code, 400) << body.substr(0, 200);
    EXPECT_NE(error.find(message), std::string::npos) << error;
  }
  EXPECT_EQ(infer("/v2/models/nope/infer", digits({1, 64}, row)),
            std::make_pair(404, std::string("unknown model 'nope'")));
  EXPECT_EQ(infer("/v2/models/digits/versions/7/infer", digits({1, 64}, row)).first, 404);
  EXPECT_NE(server_->Curl("GET", "/v2/models/digits/versions/7", "", "-i").out.find("Model-Version: 1"),
            std::string::npos);
  EXPECT_EQ(infer("/v1/models/digits:predict", R"({"instances": 3})").second, "the request has no 'instances' list");
  EXPECT_EQ(infer("/v1/models/digits:predict", R"({"instances": [[0.5, 0.5]]})").second,
            "instance 0 has 2 values; input 'input' takes [64] (64 values)");
  EXPECT_NE(server_->Curl("POST", "/predict", R"({"instances": [[0.5]]})", "-i").out.find("Model-Name: digits"),
            std::string::npos);
  EXPECT_NE(server_->Curl("POST", "/v2/models/digits/infer", "{bad", "-i").out.find("Model-Sha256: "), std::string::npos);
  // Over --max-request-bytes (100000): refused before it is read.
  const std::string huge = digits({200, 64}, Json(std::vector<double>(200 * 64, 0.123456789)));
  ASSERT_GT(huge.size(), 100000u);
  EXPECT_EQ(infer("/v2/models/digits/infer", huge).first, 413);
  EXPECT_EQ(Split(server_->Curl("GET", "/v3/anything")).second, 404);
  EXPECT_TRUE(server_->alive());
  EXPECT_EQ(Split(server_->Curl("GET", "/v2/health/ready")).second, 200);
}

TEST_F(MlserveE2E, ABrokenModelIsReportedAndTheServerIsNotReady) {
  const fs::path repo = root_ / "broken-repo";
  fs::create_directories(repo / "bad" / "1");
  fs::copy(root_ / "repo" / "digits", repo / "digits", fs::copy_options::recursive);
  fs::copy_file(root_ / "repo" / "digits" / "config.json", repo / "bad" / "config.json");
  std::ofstream(repo / "bad" / "1" / "model.pt") << "not a model";
  Mlserve broken(repo);
  ASSERT_GT(broken.port(), 0) << broken.log();
  EXPECT_NE(broken.log().find("model bad not loaded"), std::string::npos) << broken.log();
  EXPECT_EQ(Split(broken.Curl("GET", "/v2/health/live")).second, 200);
  EXPECT_EQ(Split(broken.Curl("GET", "/v2/health/ready")).second, 400);
  const auto bad = broken.Curl("GET", "/v2/models/bad");
  EXPECT_EQ(Split(bad).second, 503);
  EXPECT_NE(StringMember(Body(bad), "error").find("not a TorchScript model"), std::string::npos) << bad.out;
  // The good model still serves.
  const Json row = Json(std::vector<double>(64, 0.5));
  EXPECT_EQ(Split(broken.Curl("POST", "/v2/models/digits/infer",
                              Json{{"inputs", {{{"name", "input"}, {"datatype", "FP32"}, {"shape", {1, 64}}, {"data", row}}}}}
                                  .dump()))
                .second,
            200);
}

// A copy of the digits model whose configuration batches, waiting up to `delay_us`.
fs::path BatchedRepo(const fs::path& root, const std::string& name, int delay_us) {
  const fs::path repo = root / name;
  fs::create_directories(repo / "digits");
  fs::copy(root / "repo" / "digits" / "1", repo / "digits" / "1", fs::copy_options::recursive);
  Json config = Json::parse(ReadFile(root / "repo" / "digits" / "config.json"));
  config["dynamic_batching"] = {{"max_queue_delay_microseconds", delay_us}};
  config["instances"] = 1;
  std::ofstream(repo / "digits" / "config.json") << config.dump();
  return repo;
}

Json DigitsRequest(const Json& row) {
  return {{"inputs", {{{"name", "input"}, {"datatype", "FP32"}, {"shape", {1, 64}}, {"data", row}}}}};
}

// The value of a sample in Prometheus text (the first line starting with `series`), or -1.
double Sample(const std::string& text, const std::string& series) {
  const size_t at = text.find("\n" + series + " ");
  return at == std::string::npos ? -1 : std::stod(text.substr(at + series.size() + 2));
}

TEST_F(MlserveE2E, ConcurrentRequestsAreBatchedAndEachGetsItsOwnAnswer) {
  Mlserve batched(BatchedRepo(root_, "batched-repo", 5000));
  ASSERT_GT(batched.port(), 0) << batched.log();
  const Json& digits = expected_["digits"];
  std::atomic<int> right{0}, wrong{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 16; ++t) {
    clients.emplace_back([&, t] {
      for (int j = 0; j < 8; ++j) {
        const int row = (t + j) % 8;
        const Json body = Body(batched.Curl("POST", "/v2/models/digits/infer", DigitsRequest(digits["inputs"][row]).dump()));
        const Json& data = Member(Member(body, "outputs")[0], "data");
        bool ok = data.is_array() && data.size() == 10;
        for (size_t k = 0; ok && k < 10; ++k) ok = std::abs(data[k].get<double>() - digits["outputs"][row][k].get<double>()) < 1e-4;
        ++(ok ? right : wrong);
      }
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(right, 128);
  EXPECT_EQ(wrong, 0);
  const std::string metrics = Split(batched.Curl("GET", "/metrics")).first;
  EXPECT_EQ(Sample(metrics, "mlserve_batch_size_count{model=\"digits\"}"), 128) << metrics;
  EXPECT_LT(Sample(metrics, "mlserve_batch_size_bucket{model=\"digits\",le=\"1\"}"), 128) << "no batch of more than one";
  EXPECT_EQ(Sample(metrics, "mlserve_requests_total{code=\"200\",model=\"digits\",protocol=\"v2\"}"), 128) << metrics;
  EXPECT_EQ(Sample(metrics, "inference_requests_in_flight{model=\"digits\"}"), 0);
  EXPECT_EQ(Sample(metrics, "mlserve_model_ready{model=\"digits\",version=\"1\"}"), 1);
  const auto check = Sh("promtool check metrics", metrics);
  EXPECT_EQ(check.code, 0) << check.out << check.err;
}

TEST_F(MlserveE2E, SigtermWhileModelsLoadStopsAtOnce) {
  // Signals are handled from the start: in a pod mlserve is PID 1, which ignores an unhandled
  // SIGTERM, and a pod deleted while its models load must not wait out its grace period.
  const std::string log = (root_ / "sigterm-while-loading.log").string();
  const CmdResult r = Sh(std::string(MLSERVE_BINARY) + " --model-repository " + (root_ / "repo").string() +
                         " --http-port 0 --drain-delay 0 2>" + log + " & pid=$!; "
                         "for i in $(seq 1000); do grep -q 'loading the repository' " + log + " && break; sleep 0.005; done; "
                         "start=$(date +%s%N); kill -TERM $pid; wait $pid; echo rc=$? ms=$((($(date +%s%N) - start) / 1000000))");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex(R"(rc=(\d+) ms=(\d+))"))) << r.out << r.err;
  EXPECT_EQ(m[1], "0") << ReadFile(log);
  EXPECT_NE(ReadFile(log).find("loading the repository"), std::string::npos) << "it listens before loading";
  EXPECT_LT(std::stoi(m[2]), 3000) << ReadFile(log);
}

TEST_F(MlserveE2E, SigtermFinishesWhatIsInFlightAndRefusesOnlyAfterReadinessWentFalse) {
  // Requests wait 400 ms for their batch: SIGTERM arrives while they are in flight.
  const fs::path repo = BatchedRepo(root_, "slow-repo", 400000);
  auto server = std::make_unique<Mlserve>(repo);
  ASSERT_GT(server->port(), 0) << server->log();
  const std::string port = std::to_string(server->port());
  const Json row = expected_["digits"]["inputs"][0];
  std::vector<int> codes(8, 0);
  std::vector<std::thread> clients;
  for (int i = 0; i < 8; ++i) {
    clients.emplace_back([&, i] { codes[i] = Split(server->Curl("POST", "/v2/models/digits/infer", DigitsRequest(row).dump())).second; });
  }
  std::this_thread::sleep_for(100ms);
  server->Signal(SIGTERM);
  for (auto& c : clients) c.join();
  for (int code : codes) EXPECT_EQ(code, 200);
  EXPECT_EQ(server->Wait(), 0) << server->log();
  EXPECT_NE(server->log().find("mlserve: stopped\n"), std::string::npos) << server->log();

  // With a drain delay: readiness says no at once, requests are still served, then refused.
  Mlserve draining(repo, {"--drain-delay", "1.5"});
  ASSERT_GT(draining.port(), 0) << draining.log();
  draining.Signal(SIGTERM);
  ASSERT_TRUE(WaitFor([&] { return draining.log().find("draining") != std::string::npos; }, 5s));
  EXPECT_EQ(Split(draining.Curl("GET", "/v2/health/ready")).second, 400);
  EXPECT_EQ(Split(draining.Curl("GET", "/v2/health/live")).second, 200);
  EXPECT_EQ(Split(draining.Curl("POST", "/v2/models/digits/infer", DigitsRequest(row).dump())).second, 200);
  ASSERT_TRUE(WaitFor([&] { return draining.Curl("GET", "/v2/health/live").code == 7; }, 5s))
      << "connections still accepted after the drain delay";
  EXPECT_EQ(draining.Wait(), 0);
}

TEST_F(MlserveE2E, HotReloadSwitchesVersionOnceWithoutAFailedRequest) {
  const fs::path repo = BatchedRepo(root_, "reload-repo", 0);
  Mlserve server(repo, {"--repository-poll-seconds", "0.2"});
  ASSERT_GT(server.port(), 0) << server.log();
  const std::string body = DigitsRequest(expected_["digits"]["inputs"][0]).dump();
  // A bounded load: four clients one request at a time, each noting the version that answered.
  std::atomic<bool> stop{false};
  std::atomic<int> failed{0};
  std::vector<std::vector<int>> versions(4);
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&, c] {
      static const std::regex kVersion("Model-Version: (\\d+)");
      while (!stop) {
        const auto r = server.Curl("POST", "/v2/models/digits/infer", body, "-i");
        std::smatch m;
        if (Split(r).second != 200 || !std::regex_search(r.out, m, kVersion)) {
          ++failed;
          continue;
        }
        versions[c].push_back(std::stoi(m[1]));
      }
    });
  }
  // A new version, put in place with a rename as the repository wants it.
  auto publish = [&](int version, bool broken) {
    const fs::path staging = root_ / ("staging-" + std::to_string(version));
    fs::create_directories(staging);
    if (broken) {
      std::ofstream(staging / "model.pt") << "truncated";
    } else {
      fs::copy_file(repo / "digits" / "1" / "model.pt", staging / "model.pt");
    }
    fs::rename(staging, repo / "digits" / std::to_string(version));
  };
  std::this_thread::sleep_for(500ms);
  publish(2, false);
  ASSERT_TRUE(WaitFor([&] { return server.log().find("model digits version 2 now serving") != std::string::npos; }, 20s))
      << server.log();
  std::this_thread::sleep_for(300ms);
  publish(3, true);
  ASSERT_TRUE(WaitFor([&] { return server.log().find("model digits not loaded: version 3") != std::string::npos; }, 20s))
      << server.log();
  std::this_thread::sleep_for(300ms);
  stop = true;
  for (auto& c : clients) c.join();

  EXPECT_EQ(failed, 0);
  for (const auto& seen : versions) {
    ASSERT_FALSE(seen.empty());
    EXPECT_EQ(seen.front(), 1);
    EXPECT_EQ(seen.back(), 2);
    EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end())) << "a client saw the version go back";
  }
  EXPECT_EQ(Body(server.Curl("GET", "/v2/models/digits"))["versions"], Json::array({"2"}));
  EXPECT_EQ(Split(server.Curl("GET", "/v2/health/ready")).second, 200);
  const std::string metrics = Split(server.Curl("GET", "/metrics")).first;
  EXPECT_EQ(Sample(metrics, "mlserve_model_ready{model=\"digits\",version=\"2\"}"), 1) << metrics;
  EXPECT_EQ(Sample(metrics, "mlserve_model_load_failed{model=\"digits\"}"), 1) << metrics;
}

}  // namespace
}  // namespace mlkube::testing
