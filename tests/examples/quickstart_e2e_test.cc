// The example ML stack end to end, as a user runs it: `scripts/up.sh` (what `make up` runs) on a
// fresh data directory applies examples/quickstart with kubectl and waits for a prediction;
// meanwhile the training pod is deleted mid-run, and the Job's next pod must resume from the
// checkpoint on the volume. Then `scripts/down.sh` (`make down`) must leave nothing behind, and
// a second `make up` must bring the stack back without training again.

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <regex>
#include <string>

#include "api/json.h"
#include "e2e_util.h"

namespace mlkube::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// The number `pattern`'s first group matches in `text`, or -1.
double Number(const std::string& text, const std::string& pattern) {
  std::smatch m;
  return std::regex_search(text, m, std::regex(pattern)) ? std::stod(m[1]) : -1;
}

class QuickstartE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    // Only for its names (bridge, pod CIDR, cgroup root, directories) and its clean-up: the
    // server is started by the script under test.
    server_ = std::make_unique<ServerProcess>("quickstart", /*agent=*/true, /*scheduler=*/true);
    auto [fd, port] = LoopbackSocket(SOCK_STREAM);
    ::close(fd);
    listen_ = "127.0.0.1:" + std::to_string(port);
    // The server's binary directory holds mlserve too: pods find it on their PATH.
    script_env_ = server_->Env() + "MLKUBE_SERVER_FLAGS='--node-name node-1 --cgroup-root " +
                  server_->cgroup_root() + " --bridge-name " + server_->bridge() + " --pod-cidr " +
                  server_->pod_cidr() + " --metric-resolution 2s --horizontal-pod-autoscaler-sync-period 2s' ";
  }
  void TearDown() override {
    // A failed assertion may leave the server the script started.
    const std::string pid = ReadFile(Data() / "server.pid");
    if (!pid.empty()) ::kill(std::stoi(pid), SIGKILL);
  }
  fs::path Data() const { return server_->dir() / "data"; }
  CmdResult Up() {
    return Sh(script_env_ + MLKUBE_SOURCE_DIR "/scripts/up.sh " MLKUBE_BINARY " " + Data().string() + " " + listen_);
  }
  CmdResult Down() { return Sh(script_env_ + MLKUBE_SOURCE_DIR "/scripts/down.sh " + Data().string()); }
  CmdResult K(const std::string& args) { return server_->Kubectl(args); }

  std::unique_ptr<ServerProcess> server_;
  std::string listen_, script_env_;
};

TEST_F(QuickstartE2E, MakeUpTrainsServesAndPredictsThenMakeDownLeavesNothing) {
  auto up = std::async(std::launch::async, [&] { return Up(); });

  // Kill the training pod once it has checkpointed two epochs.
  std::string first_pod;
  ASSERT_TRUE(WaitFor([&] {
    first_pod = K("get pods -l job-name=train -o jsonpath={.items[0].metadata.name}").out;
    return !first_pod.empty() && K("logs " + first_pod + " -c trainer").out.find("epoch 2/6") != std::string::npos;
  }, 180s, 200ms)) << "training never reached epoch 2\n" << K("get pods -o wide").out << K("get events").out;
  ASSERT_EQ(K("delete pod " + first_pod + " --wait=false").code, 0);

  const CmdResult out = up.get();
  ASSERT_EQ(out.code, 0) << out.out << out.err << ReadFile(Data() / "server.log").substr(0, 4000);
  EXPECT_NE(out.out.find("Ready in"), std::string::npos) << out.out;

  // The second pod resumed: it ran fewer than the 6 epochs.
  const std::string second_pod = K("get pods -l job-name=train -o jsonpath={.items[0].metadata.name}").out;
  ASSERT_NE(second_pod, first_pod);
  const std::string train_log = K("logs " + second_pod + " -c trainer").out;
  const double resumed_at = Number(train_log, R"(resuming from checkpoint: epoch (\d+)/6 done)");
  EXPECT_GE(resumed_at, 2) << train_log;
  const std::regex epoch_line(R"(epoch \d/6 loss)");
  const auto epochs_rerun = std::distance(std::sregex_iterator(train_log.begin(), train_log.end(), epoch_line),
                                          std::sregex_iterator());
  EXPECT_EQ(epochs_rerun, 6 - static_cast<int>(resumed_at)) << train_log;
  EXPECT_EQ(K("get job train -o jsonpath={.status.succeeded}").out, "1");

  // A model version on the claim's volume.
  const std::string volume = K("get pv -o jsonpath={.items[0].spec.hostPath.path}").out;
  EXPECT_EQ(K("get pvc ml-data -o jsonpath={.status.phase}").out, "Bound");
  // The volume's directory is on this node, and says so (the scheduler keeps its pods here).
  EXPECT_EQ(K("get pv -o jsonpath={.items[0].spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values[0]}").out,
            "node-1");
  ASSERT_TRUE(fs::exists(fs::path(volume) / "models/fashion/1/model.pt")) << volume;
  const Json metrics = Json::parse(ReadFile(fs::path(volume) / "models/fashion/1/metrics.json"), nullptr, false);
  const double trained = metrics.value("test_accuracy", -1.0);

  // Both replicas Ready; the client's accuracy through the Service is the training's.
  // (The HPA may have added replicas while the client loaded them.)
  EXPECT_GE(std::stoi("0" + K("get deploy model-server -o jsonpath={.status.readyReplicas}").out), 2);
  EXPECT_FALSE(fs::exists(fs::path(volume) / "models/fashion/2")) << "the deleted pod published a model too";
  const std::string predict_log = K("logs job/predict").out;
  const double served = Number(predict_log, R"(accuracy (0\.\d+) on 10000 held-out images)");
  EXPECT_NEAR(served, trained, 0.002) << predict_log;
  EXPECT_GT(served, 0.80) << predict_log;
  EXPECT_NE(out.out.find("accuracy "), std::string::npos) << "make up printed no prediction:\n" << out.out;

  // The HPA reads the servers' CPU.
  EXPECT_TRUE(WaitFor([&] {
    return !K("get hpa model-server -o jsonpath={.status.currentMetrics[0].resource.current.averageUtilization}").out.empty();
  }, 60s)) << K("describe hpa model-server").out;

  // make down: no process, mount, cgroup, bridge or rule left.
  const CmdResult down = Down();
  ASSERT_EQ(down.code, 0) << down.out << down.err;
  const std::string d = Data().string();
  EXPECT_EQ(Sh("pgrep -fa '[" + d.substr(0, 1) + "]" + d.substr(1) + "'").out, "");  // [/]tmp: not pgrep's own shell
  EXPECT_EQ(Sh("ip link show " + server_->bridge()).code, 1);
  EXPECT_NE(Sh("nft list table ip " + server_->bridge()).code, 0);
  EXPECT_EQ(Sh("ls -d /sys/fs/cgroup/*/" + server_->cgroup_root() + " /sys/fs/cgroup/" + server_->cgroup_root()).out, "");
  EXPECT_EQ(Sh("grep -c " + Data().string() + " /proc/self/mountinfo").out, "0\n");
  EXPECT_EQ(Sh("ls " + (Data() / "agent" / "ipam").string()).out, "") << "network namespaces left";

  // make up again: the pods come back, the model is not trained again.
  const CmdResult again = Up();
  ASSERT_EQ(again.code, 0) << again.out << again.err;
  EXPECT_NE(again.out.find("accuracy "), std::string::npos) << again.out;
  EXPECT_EQ(K("get pods -l job-name=train -o name").out, "") << "training ran again";
  EXPECT_FALSE(fs::exists(fs::path(volume) / "models/fashion/2"));
  ASSERT_EQ(Down().code, 0);
}

}  // namespace
}  // namespace mlkube::testing
