// The examples beyond the quickstart, applied with kubectl as their READMEs say, on a fresh
// server each: the retraining CronJob (a new version served with no failed request under load),
// batch inference (every chunk once, a complete merge), the Python model server, and the GPU
// training Job (Pending with the scheduler's reason without GPUs, running on a declared one).

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "api/json.h"
#include "e2e_util.h"

namespace mlkube::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

const std::string kExamples = MLKUBE_SOURCE_DIR "/examples/";

// Bounded load on the model server: 4 clients, each sending one image and pausing 10 ms, until
// 200 answers in a row came from `until_version` (or 90 s passed). Prints what it saw as JSON.
constexpr const char* kLoad = R"(
import collections, json, sys, threading, time, urllib.request
url, until_version = sys.argv[1], sys.argv[2]
body = json.dumps({"instances": [[0.5] * 784]}).encode()
versions, failures, streak, lock = collections.Counter(), [], [0], threading.Lock()
deadline = time.time() + 90
def client():
    while time.time() < deadline and streak[0] < 200:
        try:
            request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=10) as r:
                r.read()
                version = r.headers["Model-Version"]
            with lock:
                versions[version] += 1
                streak[0] = streak[0] + 1 if version == until_version else 0
        except Exception as e:
            with lock:
                failures.append(repr(e))
        time.sleep(0.01)
threads = [threading.Thread(target=client) for _ in range(4)]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps({"versions": versions, "failures": failures[:3], "failed": len(failures)}))
)";

class ExamplesE2E : public ::testing::Test {
 protected:
  void Start(const std::vector<std::string>& flags = {}) {
    server_ = std::make_unique<ServerProcess>("examples", /*agent=*/true, /*scheduler=*/true);
    ASSERT_TRUE(server_->Start(flags)) << server_->log();
  }
  CmdResult K(const std::string& args, const std::string& input = "") { return server_->Kubectl(args, input); }
  // Waits for Jobs to complete, showing the cluster if they do not.
  void Complete(const std::string& jobs, const std::string& timeout = "300s") {
    const CmdResult r = K("wait --for=condition=complete " + jobs + " --timeout=" + timeout);
    ASSERT_EQ(r.code, 0) << r.err << K("get pods -o wide").out << K("get events").out;
  }
  std::string Volume() { return K("get pv -o jsonpath={.items[0].spec.hostPath.path}").out; }

  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ExamplesE2E, RetrainingSwitchesVersionsWithoutFailuresAndBatchInferenceScoresEveryChunkOnce) {
  Start();
  ASSERT_EQ(K("apply -k " + kExamples + "quickstart").code, 0);
  Complete("job/train");
  ASSERT_EQ(K("rollout status deployment/model-server --timeout=120s").code, 0) << K("get pods").out;
  const std::string url = "http://" + K("get svc model-service -o jsonpath={.spec.clusterIP}").out + "/predict";

  // The nightly retraining, run now, under load through the Service.
  const CmdResult cron = K("apply -f " + kExamples + "retraining-cronjob/");
  ASSERT_EQ(cron.code, 0) << cron.err;
  auto load = std::async(std::launch::async, [&] { return Sh("/usr/bin/python3 - " + url + " 2", kLoad); });
  std::this_thread::sleep_for(1s);
  ASSERT_EQ(K("create job retrain-now --from=cronjob/retrain").code, 0);
  Complete("job/retrain-now");
  EXPECT_NE(K("logs job/retrain-now").out.find("starting from the weights of fashion version 1"), std::string::npos);
  const CmdResult seen = load.get();
  const Json result = Json::parse(seen.out, nullptr, false);
  ASSERT_TRUE(result.is_object()) << seen.out << seen.err;
  EXPECT_EQ(result.value("failed", -1), 0) << result.dump();
  EXPECT_GT(result["versions"].value("1", 0), 0) << result.dump();
  EXPECT_GE(result["versions"].value("2", 0), 200) << result.dump();
  const fs::path volume = Volume();
  ASSERT_TRUE(fs::exists(volume / "models/fashion/2/model.pt"));

  // Batch inference with the new version: 4 chunks, each written once, merged completely.
  ASSERT_EQ(K("apply -k " + kExamples + "batch-inference").code, 0);
  Complete("job/batch-predict job/batch-merge");
  const std::string merge = K("logs job/batch-merge").out;
  EXPECT_NE(merge.find("merged 4 chunks scored by fashion version 2: 10000 rows, each scored once"), std::string::npos)
      << merge;
  std::set<std::string> rows;
  for (int i = 0; i < 4; ++i) {
    std::istringstream part(ReadFile(volume / "batch/fashion-v2" / ("part-" + std::to_string(i) + ".csv")));
    int lines = 0;
    for (std::string line; std::getline(part, line); ++lines) rows.insert(line.substr(0, line.find(',')));
    EXPECT_EQ(lines, 2500) << "part " << i;
  }
  EXPECT_EQ(rows.size(), 10000u);
  const Json metrics = Json::parse(ReadFile(volume / "models/fashion/2/metrics.json"), nullptr, false);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(merge, m, std::regex(R"(accuracy (0\.\d+))"))) << merge;
  EXPECT_NEAR(std::stod(m[1]), metrics.value("test_accuracy", -1.0), 0.0002);
  // The pods of the Indexed Job each had their own index.
  std::string indexes = K("get pods -l job-name=batch-predict -o jsonpath='{.items[*].metadata.annotations.batch\\.kubernetes\\.io/job-completion-index}'").out;
  std::sort(indexes.begin(), indexes.end());
  EXPECT_EQ(indexes, "   0123");
}

TEST_F(ExamplesE2E, PythonModelServerServesThroughItsService) {
  Start();
  ASSERT_EQ(K("apply -k " + kExamples + "python-model-server").code, 0);
  Complete("job/python-predict", "180s");
  ASSERT_EQ(K("rollout status deployment/python-model-server --timeout=120s").code, 0);
  EXPECT_EQ(K("get deploy python-model-server -o jsonpath={.status.readyReplicas}").out, "2");
  const std::string out = K("logs job/python-predict -c client").out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(out, m, std::regex(R"(served by python-model-server-\S+: accuracy (0\.\d+) on 450)")))
      << out;
  EXPECT_GT(std::stod(m[1]), 0.9) << out;
}

TEST_F(ExamplesE2E, GpuTrainingIsPendingWithoutGpusAndRunsOnADeclaredOne) {
  Start();
  ASSERT_EQ(K("apply -k " + kExamples + "gpu-training").code, 0);
  const std::string reason =
      "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/1 nodes are "
      "available: 1 Preemption is not helpful for scheduling.";
  ASSERT_TRUE(WaitFor([&] {
    return K("get events --field-selector reason=FailedScheduling -o jsonpath={.items[*].message}").out.find(reason) !=
           std::string::npos;
  }, 30s)) << K("get events").out;
  EXPECT_EQ(K("get pods -l job-name=gpu-train -o jsonpath={.items[0].status.conditions[0].reason}").out, "Unschedulable");

  // The same node, now declaring a GPU: the waiting pod is scheduled onto it and sees its GPU.
  server_->Stop();
  ASSERT_TRUE(server_->Start({"--fake-gpus", "1"})) << server_->log();
  Complete("job/gpu-train", "120s");
  const std::string out = K("logs job/gpu-train").out;
  EXPECT_NE(out.find("NVIDIA_VISIBLE_DEVICES=GPU-fake-node-1-0\n"), std::string::npos) << out;
  EXPECT_NE(out.find("CUDA_VISIBLE_DEVICES=GPU-fake-node-1-0\n"), std::string::npos) << out;
  EXPECT_NE(out.find("training accuracy"), std::string::npos) << out;
}

}  // namespace
}  // namespace mlkube::testing
