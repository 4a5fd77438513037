// The Job controller against a real in-process API server, on a fake clock and with no agent:
// the test plays the kubelet (it writes each pod's outcome) and decides what time it is, so
// back-off, deadlines and TTLs take no real time.

#include "controllers/job/job_controller.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "e2e_util.h"
#include "in_process_api.h"
#include "common/time.h"

namespace mlkube::controllers {
namespace {

using namespace std::chrono_literals;

class JobControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(api_.ok());
    client_ = &api_.client();
    informers_ = &api_.informers();
    controller_ = std::make_unique<JobController>(*client_, *informers_, [this] { return now_; });
    ASSERT_TRUE(api_.StartInformers());
  }
  // The informers stop before the controller their handlers call goes.
  void TearDown() override {
    if (informers_) informers_->Stop();
  }

  static bool Eventually(const std::function<bool()>& pred) {
    return mlkube::testing::WaitFor(pred, std::chrono::milliseconds(3000), 10ms);
  }
  std::string Path() const { return "/apis/batch/v1/namespaces/default/jobs/" + name_; }
  void CreateJob(Json spec) {
    spec["template"] = {{"spec", {{"restartPolicy", "Never"}, {"containers", {{{"name", "main"}, {"image", "x"}}}}}}};
    Json job = {{"apiVersion", "batch/v1"}, {"kind", "Job"}, {"metadata", {{"name", name_}}}, {"spec", spec}};
    auto created = client_->Send("POST", "/apis/batch/v1/namespaces/default/jobs", job);
    ASSERT_TRUE(created.ok()) << created.status().message();
  }
  // One sync, once the caches hold the Job and its pods as the server has them now (the real
  // controller gets there through its informers' events and its queue).
  void Sync() {
    auto job = client_->Get(Path());
    auto pods = client_->Get("/api/v1/namespaces/default/pods");
    ASSERT_TRUE(job.ok() && pods.ok());
    ASSERT_TRUE(Eventually([&] {
      auto cached = informers_->For("/apis/batch/v1/jobs").Get("default/" + name_);
      if (!cached || (*cached)["metadata"]["resourceVersion"] != (*job)["metadata"]["resourceVersion"]) return false;
      const client::Informer& cached_pods = informers_->For("/api/v1/pods");
      if (cached_pods.List().size() != (*pods)["items"].size()) return false;
      for (const Json& p : (*pods)["items"]) {
        auto c = cached_pods.Get(client::Informer::KeyOf(p));
        if (!c || (*c)["metadata"]["resourceVersion"] != p["metadata"]["resourceVersion"]) return false;
      }
      return true;
    })) << "the caches never caught up";
    Status s = controller_->Sync("default/" + name_);
    ASSERT_TRUE(s.ok()) << s.message();
  }
  // Syncs until the server's Job shows `pred` (a pod's outcome takes a sync to reach the
  // status and another to be counted once its finalizer is gone).
  Json SyncUntil(const std::function<bool(const Json&)>& pred) {
    Json job;
    for (int i = 0; i < 10; ++i) {
      Sync();
      job = *client_->Get(Path());
      if (pred(job)) return job;
    }
    ADD_FAILURE() << "the Job never got there: " << job["status"].dump();
    return job;
  }
  // The pods still running or about to: neither finished nor being deleted.
  std::vector<Json> ActivePods() {
    std::vector<Json> out;
    const Json pods = *client_->Get("/api/v1/namespaces/default/pods");
    for (const Json& p : pods["items"]) {
      const std::string phase = Member(p["status"], "phase").is_string() ? p["status"]["phase"].get<std::string>() : "";
      if (!p["metadata"].contains("deletionTimestamp") && phase != "Succeeded" && phase != "Failed") out.push_back(p);
    }
    return out;
  }
  // As the kubelet reports a container that exited: the pod's phase and the container's exit.
  void Finish(const Json& pod, int exit_code) {
    Json p = pod;
    const std::string ts = FormatRfc3339(now_);
    p["status"]["phase"] = exit_code == 0 ? "Succeeded" : "Failed";
    p["status"]["containerStatuses"] = {
        {{"name", "main"}, {"image", "x"}, {"imageID", ""}, {"ready", false}, {"restartCount", 0},
         {"state", {{"terminated", {{"exitCode", exit_code}, {"startedAt", ts}, {"finishedAt", ts}}}}}}};
    auto r = client_->Send("PUT", "/api/v1/namespaces/default/pods/" + p["metadata"]["name"].get<std::string>() + "/status", p);
    ASSERT_TRUE(r.ok()) << r.status().message();
  }
  static std::string ConditionReason(const Json& job, const std::string& type) {
    for (const Json& c : Member(Member(job, "status"), "conditions")) {
      if (c["type"] == type && c["status"] == "True") return c["reason"];
    }
    return "";
  }
  std::vector<std::string> EventReasons() {
    std::vector<std::string> out;
    const Json events = *client_->Get("/api/v1/namespaces/default/events");
    for (const Json& e : events["items"]) out.push_back(e["reason"]);
    return out;
  }

  mlkube::testing::InProcessApi api_{"job-test"};
  client::LocalClient* client_ = nullptr;
  client::SharedInformers* informers_ = nullptr;
  std::unique_ptr<JobController> controller_;
  const std::string name_ = "train";
  Time now_ = std::chrono::system_clock::now();
};

TEST_F(JobControllerTest, RetriesBackOffExponentiallyUntilTheBackoffLimit) {
  CreateJob({{"backoffLimit", 2}});
  Sync();
  ASSERT_EQ(ActivePods().size(), 1u);
  EXPECT_TRUE((*client_->Get(Path()))["status"].contains("startTime"));

  // The first failure waits 10 s before the retry, the second 20 s.
  for (auto backoff : {10s, 20s}) {
    Finish(ActivePods()[0], 1);
    const Time failed_at = now_;
    SyncUntil([](const Json& j) { return Member(j["status"], "uncountedTerminatedPods").empty(); });
    now_ = failed_at + backoff - 1s;
    Sync();
    EXPECT_TRUE(ActivePods().empty()) << "retried " << backoff.count() - 1 << " s after a failure";
    now_ = failed_at + backoff;
    Sync();
    ASSERT_EQ(ActivePods().size(), 1u) << "no retry " << backoff.count() << " s after a failure";
  }
  EXPECT_EQ((*client_->Get(Path()))["status"]["failed"], 2);

  // The third failure passes backoffLimit 2: Failed, with Kubernetes' reason and message.
  Finish(ActivePods()[0], 1);
  Json job = SyncUntil([](const Json& j) { return !ConditionReason(j, "Failed").empty(); });
  EXPECT_EQ(ConditionReason(job, "Failed"), "BackoffLimitExceeded");
  EXPECT_EQ(ConditionReason(job, "FailureTarget"), "BackoffLimitExceeded");
  EXPECT_EQ(job["status"]["failed"], 3);
  EXPECT_FALSE(job["status"].contains("active"));
  now_ += 1h;
  Sync();
  EXPECT_TRUE(ActivePods().empty()) << "a failed Job made another pod";
  auto reasons = EventReasons();
  EXPECT_NE(std::find(reasons.begin(), reasons.end(), "BackoffLimitExceeded"), reasons.end());
}

TEST_F(JobControllerTest, ActiveDeadlineStopsThePodsAndFailsTheJob) {
  CreateJob({{"parallelism", 2}, {"completions", 4}, {"activeDeadlineSeconds", 30}});
  const Time started = now_;
  Sync();
  ASSERT_EQ(ActivePods().size(), 2u);
  now_ = started + 29s;
  Sync();
  EXPECT_EQ(ActivePods().size(), 2u);
  EXPECT_TRUE(ConditionReason(*client_->Get(Path()), "FailureTarget").empty());

  now_ = started + 30s;
  Json job = SyncUntil([](const Json& j) { return !ConditionReason(j, "Failed").empty(); });
  EXPECT_EQ(ConditionReason(job, "Failed"), "DeadlineExceeded");
  for (const Json& c : job["status"]["conditions"]) {
    if (c["type"] == "Failed") {
      EXPECT_EQ(c["message"], "Job was active longer than specified deadline");
    }
  }
  EXPECT_TRUE(ActivePods().empty());
  // Pods stopped by the deadline count as failed, as Kubernetes counts them.
  EXPECT_EQ(job["status"]["failed"], 2);
}

TEST_F(JobControllerTest, PodFailurePolicyIgnoresOrFailsTheJobAtOnce) {
  CreateJob({{"backoffLimit", 0},
             {"podFailurePolicy",
              {{"rules",
                {{{"action", "Ignore"}, {"onExitCodes", {{"operator", "In"}, {"values", {137}}}}},
                 {{"action", "FailJob"}, {"onExitCodes", {{"containerName", "main"}, {"operator", "In"}, {"values", {42}}}}}}}}}});
  Sync();
  ASSERT_EQ(ActivePods().size(), 1u);

  // Ignored: not counted against backoffLimit 0, and replaced without back-off.
  Finish(ActivePods()[0], 137);
  Json job = SyncUntil([&](const Json&) { return ActivePods().size() == 1; });
  EXPECT_FALSE(job["status"].contains("failed"));
  EXPECT_TRUE(ConditionReason(job, "FailureTarget").empty());

  Finish(ActivePods()[0], 42);
  job = SyncUntil([](const Json& j) { return !ConditionReason(j, "Failed").empty(); });
  EXPECT_EQ(ConditionReason(job, "Failed"), "PodFailurePolicy");
  EXPECT_EQ(job["status"]["failed"], 1);
}

TEST_F(JobControllerTest, CompletesThenIsDeletedOnceItsTtlRunsOut) {
  CreateJob({{"completions", 2}, {"parallelism", 2}, {"ttlSecondsAfterFinished", 100}});
  Sync();
  ASSERT_EQ(ActivePods().size(), 2u);
  for (const Json& p : ActivePods()) Finish(p, 0);
  const Time finished = now_;
  Json job = SyncUntil([](const Json& j) { return !ConditionReason(j, "Complete").empty(); });
  EXPECT_EQ(ConditionReason(job, "Complete"), "CompletionsReached");
  EXPECT_EQ(job["status"]["succeeded"], 2);
  EXPECT_EQ(job["status"]["completionTime"], FormatRfc3339(finished));

  now_ = finished + 99s;
  Sync();
  EXPECT_TRUE(client_->Get(Path()).ok()) << "deleted before its TTL";
  now_ = finished + 100s;
  Sync();
  EXPECT_TRUE(Eventually([&] {
    auto g = client_->Get(Path());
    return !g.ok() && g.status().code() == Code::kNotFound;
  })) << "still there after its TTL";
}

TEST_F(JobControllerTest, SuspendStopsThePodsAndResumeRestartsTheDeadline) {
  CreateJob({{"parallelism", 2}, {"completions", 2}, {"activeDeadlineSeconds", 60}});
  Sync();
  ASSERT_EQ(ActivePods().size(), 2u);
  Json job = *client_->Get(Path());
  job["spec"]["suspend"] = true;
  ASSERT_TRUE(client_->Send("PUT", Path(), job).ok());
  job = SyncUntil([&](const Json& j) { return !ConditionReason(j, "Suspended").empty() && ActivePods().empty(); });
  EXPECT_EQ(ConditionReason(job, "Suspended"), "JobSuspended");

  EXPECT_FALSE(job["status"].contains("startTime"));

  // Suspended for longer than the deadline: the deadline counts from the resumption.
  now_ += 10min;
  Sync();
  job = *client_->Get(Path());
  EXPECT_TRUE(ConditionReason(job, "FailureTarget").empty()) << "a suspended Job ran out of time";
  job["spec"]["suspend"] = false;
  ASSERT_TRUE(client_->Send("PUT", Path(), job).ok());
  const Time resumed = now_;
  job = SyncUntil([&](const Json&) { return ActivePods().size() == 2; });
  EXPECT_TRUE(ConditionReason(job, "Suspended").empty());
  EXPECT_EQ(job["status"]["startTime"], FormatRfc3339(resumed));
  now_ = resumed + 59s;
  Sync();
  EXPECT_TRUE(ConditionReason(*client_->Get(Path()), "FailureTarget").empty());
}

}  // namespace
}  // namespace mlkube::controllers
