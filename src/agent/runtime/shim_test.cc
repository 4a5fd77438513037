// The shim and cgroups against the real kernel: real processes, namespaces and cgroups (root).

#include "agent/runtime/shim.h"

#include <gtest/gtest.h>

#include <csignal>
#include <thread>

#include <unistd.h>

#include "agent/cgroups/cgroups.h"
#include "common/files.h"
#include "common/time.h"

namespace mlkube::agent {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class ShimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mlkube-shim-test-" + std::to_string(::getpid()) + "-" +
                                        RandomSuffix(5));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  ContainerSpec Spec(std::vector<std::string> argv) {
    ContainerSpec s;
    s.argv = std::move(argv);
    s.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "GREETING=hello"};
    s.log_path = dir_ / "logs" / "0.log";
    s.state_dir = dir_ / "state";
    return s;
  }

  // Waits for exit.json.
  ContainerExit Wait(const ContainerSpec& s, std::chrono::seconds limit = 20s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      auto e = ReadContainerExit(s.state_dir);
      if (e.ok()) return *e;
      std::this_thread::sleep_for(10ms);
    }
    ADD_FAILURE() << "container did not exit";
    return {};
  }

  std::string Log(const ContainerSpec& s) {
    auto text = ReadFile(s.log_path);
    return text.ok() ? *text : "";
  }

  fs::path dir_;
};

TEST_F(ShimTest, RunsCommandCapturesOutputAndExitCode) {
  auto s = Spec({"sh", "-c", "echo $GREETING; echo oops >&2; echo pid=$$; exit 3"});
  s.hostname = "trainer-0";
  auto started = StartShim(MLKUBE_BINARY, s);
  ASSERT_TRUE(started.ok()) << started.status().message();
  EXPECT_GT(started->pid, 0);
  EXPECT_GT(started->shim_pid, 0);
  ContainerExit e = Wait(s);
  EXPECT_EQ(e.exit_code, 3);
  EXPECT_EQ(e.signal, 0);
  EXPECT_TRUE(e.reason.empty());
  const std::string log = Log(s);
  EXPECT_NE(log.find(" stdout F hello\n"), std::string::npos) << log;
  EXPECT_NE(log.find(" stderr F oops\n"), std::string::npos) << log;
  // PID 1 of its own PID namespace.
  EXPECT_NE(log.find(" stdout F pid=1\n"), std::string::npos) << log;
}

TEST_F(ShimTest, OwnHostnameAndProc) {
  auto s = Spec({"sh", "-c", "hostname; echo count=$(ls /proc | grep -c '^[0-9]')"});
  s.hostname = "trainer-0";
  ASSERT_TRUE(StartShim(MLKUBE_BINARY, s).ok());
  EXPECT_EQ(Wait(s).exit_code, 0);
  const std::string log = Log(s);
  EXPECT_NE(log.find(" stdout F trainer-0\n"), std::string::npos) << log;
  // Only the container's own processes are visible in its /proc (sh and what it runs).
  auto at = log.find("count=");
  ASSERT_NE(at, std::string::npos) << log;
  EXPECT_LT(std::atoi(log.c_str() + at + 6), 5) << log;
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  EXPECT_NE(std::string(host), "trainer-0");
}

TEST_F(ShimTest, MissingCommandIsContainerCannotRun) {
  auto s = Spec({"no-such-command-mlkube"});
  auto started = StartShim(MLKUBE_BINARY, s);
  ASSERT_TRUE(started.ok()) << started.status().message();
  ContainerExit e = Wait(s);
  EXPECT_EQ(e.reason, "ContainerCannotRun");
  EXPECT_EQ(e.exit_code, 128);
  EXPECT_EQ(e.message, "exec: \"no-such-command-mlkube\": executable file not found in $PATH");
}

TEST_F(ShimTest, BadWorkingDirIsContainerCannotRun) {
  auto s = Spec({"true"});
  s.working_dir = "/no/such/dir";
  ASSERT_TRUE(StartShim(MLKUBE_BINARY, s).ok());
  ContainerExit e = Wait(s);
  EXPECT_EQ(e.reason, "ContainerCannotRun");
  EXPECT_NE(e.message.find("/no/such/dir"), std::string::npos) << e.message;
}

TEST_F(ShimTest, BindMountsAreVisibleOnlyInside) {
  fs::create_directories(dir_ / "vol");
  fs::create_directories(dir_ / "mnt");
  ASSERT_TRUE(WriteFileAtomic(dir_ / "vol" / "data.txt", "from-volume").ok());
  auto s = Spec({"sh", "-c", "cat " + (dir_ / "mnt" / "data.txt").string() + " && touch " +
                                 (dir_ / "mnt" / "ro").string()});
  s.mounts.push_back({(dir_ / "vol").string(), (dir_ / "mnt").string(), /*read_only=*/true});
  ASSERT_TRUE(StartShim(MLKUBE_BINARY, s).ok());
  ContainerExit e = Wait(s);
  EXPECT_NE(e.exit_code, 0);  // read-only: touch fails
  EXPECT_NE(Log(s).find(" stdout F from-volume\n"), std::string::npos) << Log(s);
  EXPECT_FALSE(fs::exists(dir_ / "mnt" / "data.txt"));  // the host's mount table is untouched
}

TEST_F(ShimTest, PrivateRootKeepsWritesInside) {
  const std::string name = "mlkube-shim-test-" + std::to_string(::getpid());
  fs::create_directories(dir_ / "vol");
  auto s = Spec({"sh", "-c", "echo inside > /usr/" + name + " && cat /usr/" + name + " && echo tmp > /tmp/" + name +
                                 " && ls /data-" + name + " && head -1 /etc/os-release && ls /dev/shm | wc -l"});
  s.mounts.push_back({(dir_ / "vol").string(), "/data-" + name, false});
  ASSERT_TRUE(StartShim(MLKUBE_BINARY, s).ok());
  ContainerExit e = Wait(s);
  EXPECT_EQ(e.exit_code, 0) << Log(s) << e.message;
  EXPECT_NE(Log(s).find(" stdout F inside\n"), std::string::npos) << Log(s);
  EXPECT_NE(Log(s).find(" stdout F PRETTY_NAME="), std::string::npos) << Log(s);  // the host's files show
  EXPECT_NE(Log(s).find(" stdout F 0\n"), std::string::npos) << Log(s);  // a /dev/shm of its own
  // Nothing of it reached the host: not the files, not the mount point.
  EXPECT_FALSE(fs::exists("/usr/" + name));
  EXPECT_FALSE(fs::exists("/tmp/" + name));
  EXPECT_FALSE(fs::exists("/data-" + name));
}

TEST_F(ShimTest, MaskedPathsAreEmptyEvenWhenNested) {
  const fs::path secret = dir_ / "secret";
  fs::create_directories(secret / "inner");
  ASSERT_TRUE(WriteFileAtomic(secret / "key", "s3cret").ok());
  ASSERT_TRUE(WriteFileAtomic(dir_ / "token", "t0ken").ok());
  auto s = Spec({"sh", "-c", "ls -A " + secret.string() + " | wc -l; cat " + (dir_ / "token").string() + " | wc -c"});
  s.masked_paths = {secret.string(), (secret / "inner").string(), (dir_ / "token").string()};
  ASSERT_TRUE(StartShim(MLKUBE_BINARY, s).ok());
  EXPECT_EQ(Wait(s).exit_code, 0) << Log(s);
  // Both counts are 0: no entry in the directory, no byte of the token.
  const std::string log = Log(s);
  const size_t first = log.find(" stdout F 0\n");
  ASSERT_NE(first, std::string::npos) << log;
  EXPECT_NE(log.find(" stdout F 0\n", first + 1), std::string::npos) << log;
}

TEST_F(ShimTest, LongLinesArePartialAndLogsRotate) {
  auto s = Spec({"sh", "-c", "head -c 40000 /dev/zero | tr '\\0' x; echo; for i in $(seq 1 300); do echo line-$i; done"});
  s.log_max_bytes = 4096;
  s.log_max_files = 3;
  ASSERT_TRUE(StartShim(MLKUBE_BINARY, s).ok());
  EXPECT_EQ(Wait(s).exit_code, 0);
  EXPECT_NE(Log(s).find("line-300"), std::string::npos);
  EXPECT_TRUE(fs::exists(s.log_path.string() + ".1"));
  EXPECT_TRUE(fs::exists(s.log_path.string() + ".2"));
  EXPECT_FALSE(fs::exists(s.log_path.string() + ".3"));
  EXPECT_LE(fs::file_size(s.log_path), 4096u + 64);
}

class CgroupsTest : public ShimTest {
 protected:
  void SetUp() override {
    ShimTest::SetUp();
    auto c = Cgroups::Detect("/sys/fs/cgroup", "mlkube-test-" + std::to_string(::getpid()));
    ASSERT_TRUE(c.ok()) << c.status().message();
    cg_ = std::move(*c);
  }
  void TearDown() override {
    EXPECT_TRUE(cg_->Remove("").ok());
    ShimTest::TearDown();
  }
  std::vector<std::string> Procs(const std::string& rel) {
    std::vector<std::string> out;
    for (const auto& p : cg_->ProcsFiles(rel)) out.push_back(p.string());
    return out;
  }
  std::unique_ptr<Cgroups> cg_;
};

TEST(CgroupMath, KubeletConversions) {
  EXPECT_EQ(CpuSharesFromMilli(0), 2);
  EXPECT_EQ(CpuSharesFromMilli(500), 512);
  EXPECT_EQ(CpuSharesFromMilli(1000), 1024);
  EXPECT_EQ(CpuWeightFromShares(2), 1);
  EXPECT_EQ(CpuWeightFromShares(1024), 39);
  EXPECT_EQ(CpuWeightFromShares(262144), 10000);
  EXPECT_EQ(CpuQuotaFromMilli(500, 100000), 50000);
  EXPECT_EQ(CpuQuotaFromMilli(1, 100000), 1000);
}

TEST_F(CgroupsTest, MemoryLimitKillsAndCountsOom) {
  CgroupLimits limits;
  limits.memory_bytes = 32 << 20;
  ASSERT_TRUE(cg_->Create("podx/main", limits).ok());
  auto s = Spec({"python3", "-c", "b = bytearray(200 * 1024 * 1024); print('survived')"});
  s.cgroup_procs = Procs("podx/main");
  ASSERT_TRUE(StartShim(MLKUBE_BINARY, s).ok());
  ContainerExit e = Wait(s);
  EXPECT_EQ(e.signal, SIGKILL);
  EXPECT_EQ(e.exit_code, 137);
  EXPECT_GE(cg_->OomKills("podx/main"), 1u);
  EXPECT_EQ(Log(s).find("survived"), std::string::npos);
}

TEST_F(CgroupsTest, CpuQuotaThrottles) {
  CgroupLimits limits;
  limits.cpu_limit_milli = 200;
  ASSERT_TRUE(cg_->Create("pody/busy", limits).ok());
  auto s = Spec({"sh", "-c", "while :; do :; done"});
  s.cgroup_procs = Procs("pody/busy");
  auto started = StartShim(MLKUBE_BINARY, s);
  ASSERT_TRUE(started.ok());
  std::this_thread::sleep_for(300ms);
  const uint64_t before = cg_->CpuUsageNanos("pody/busy").value_or(0);
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(2s);
  const double used = (cg_->CpuUsageNanos("pody/busy").value_or(0) - before) / 1e9;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // Capped by the quota within 10%; a loaded machine may give it less.
  EXPECT_LE(used / wall, 0.22);
  EXPECT_GE(used / wall, 0.12);
  EXPECT_FALSE(cg_->Pids("pody").empty());
  ASSERT_TRUE(cg_->KillAll("pody").ok());
  EXPECT_EQ(Wait(s).signal, SIGKILL);
}

TEST_F(CgroupsTest, KillAllLeavesNoStragglers) {
  ASSERT_TRUE(cg_->Create("podz/c", {}).ok());
  // Without a PID namespace, children forked in a loop would outlive their parent.
  auto s = Spec({"sh", "-c", "for i in 1 2 3 4 5; do sleep 1000 & done; sleep 1000"});
  s.pid_namespace = false;
  s.cgroup_procs = Procs("podz/c");
  ASSERT_TRUE(StartShim(MLKUBE_BINARY, s).ok());
  for (int i = 0; i < 100 && cg_->Pids("podz").size() < 7; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(cg_->Pids("podz").size(), 7u);  // sh, five in the background, one in front
  ASSERT_TRUE(cg_->Remove("podz").ok());
  EXPECT_FALSE(cg_->Exists("podz"));
  Wait(s);
}

}  // namespace
}  // namespace mlkube::agent
