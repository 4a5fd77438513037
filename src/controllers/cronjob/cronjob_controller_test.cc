// The CronJob controller against a real in-process API server, on a fake clock: the test
// decides what time it is and calls Sync, so minute schedules take no minutes.

#include "controllers/cronjob/cronjob_controller.h"

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

Time At(const char* rfc3339) { return *ParseRfc3339(rfc3339); }

TEST(CronJobScheduleTest, MostRecentUnrunTimeAndHowManyWereMissed) {
  auto every_minute = api::CronSchedule::Parse("*/1 * * * *");
  ASSERT_TRUE(every_minute.ok());
  auto t = MostRecentScheduleTime(*every_minute, "", At("2026-01-01T10:00:30Z"), At("2026-01-01T10:00:59Z"));
  EXPECT_FALSE(t.most_recent);
  t = MostRecentScheduleTime(*every_minute, "", At("2026-01-01T10:00:30Z"), At("2026-01-01T10:05:10Z"));
  EXPECT_EQ(t.most_recent, At("2026-01-01T10:05:00Z"));
  EXPECT_EQ(t.missed, 5);
  auto nightly = api::CronSchedule::Parse("0 2 * * *");
  t = MostRecentScheduleTime(*nightly, "Europe/Paris", At("2026-01-01T00:00:00Z"), At("2026-01-03T12:00:00Z"));
  EXPECT_EQ(t.most_recent, At("2026-01-03T01:00:00Z"));  // 02:00 in Paris, UTC+1 in winter
  EXPECT_EQ(t.missed, 3);
  EXPECT_EQ(ScheduledJobName("retrain", At("2026-01-01T10:05:00Z")), "retrain-29454365");
}

class CronJobControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(api_.ok());
    client_ = &api_.client();
    informers_ = &api_.informers();
    controller_ = std::make_unique<CronJobController>(*client_, *informers_, [this] { return now_; });
    ASSERT_TRUE(api_.StartInformers());
  }
  // The informers stop before the controller their handlers call goes.
  void TearDown() override {
    if (informers_) informers_->Stop();
  }

  // Waits for the informers to show `pred` true of the cluster (they trail the writes a little).
  static bool Eventually(const std::function<bool()>& pred) {
    return mlkube::testing::WaitFor(pred, std::chrono::milliseconds(2000), 10ms);
  }
  // One sync, once the cache has the CronJob as the server has it (a stale copy is a conflict,
  // which the controller's queue would retry).
  void SyncOk() {
    auto live = client_->Get("/apis/batch/v1/namespaces/default/cronjobs/retrain");
    ASSERT_TRUE(live.ok());
    ASSERT_TRUE(Eventually([&] { return CronJob()["metadata"]["resourceVersion"] == (*live)["metadata"]["resourceVersion"]; }));
    Status s = controller_->Sync("default/retrain");
    ASSERT_TRUE(s.ok()) << s.message();
  }
  std::vector<Json> Jobs() { return informers_->For("/apis/batch/v1/jobs").List(); }
  Json CronJob() { return *informers_->For("/apis/batch/v1/cronjobs").Get("default/retrain"); }
  void Complete(const std::string& job_name) {
    auto job = client_->Get("/apis/batch/v1/namespaces/default/jobs/" + job_name);
    ASSERT_TRUE(job.ok());
    const std::string ts = FormatRfc3339(now_);
    (*job)["status"] = {{"startTime", ts}, {"completionTime", ts}, {"succeeded", 1},
                        {"conditions", {{{"type", "Complete"}, {"status", "True"}, {"lastTransitionTime", ts}}}}};
    ASSERT_TRUE(client_->Send("PUT", "/apis/batch/v1/namespaces/default/jobs/" + job_name + "/status", *job).ok());
    ASSERT_TRUE(Eventually([&] {
      auto j = informers_->For("/apis/batch/v1/jobs").Get("default/" + job_name);
      return j && Member(*j, "status").contains("completionTime");
    }));
  }
  std::vector<std::string> EventReasons() {
    auto events = client_->Get("/api/v1/namespaces/default/events");
    std::vector<std::string> out;
    for (const Json& e : (*events)["items"]) out.push_back(e["reason"]);
    return out;
  }

  mlkube::testing::InProcessApi api_{"cronjob-test"};
  client::LocalClient* client_ = nullptr;
  client::SharedInformers* informers_ = nullptr;
  std::unique_ptr<CronJobController> controller_;
  Time now_ = std::chrono::system_clock::now();
};

TEST_F(CronJobControllerTest, RunsEachMinuteForbidsOverlapKeepsHistoryAndCatchesUpOnce) {
  Json cj = {{"apiVersion", "batch/v1"},
             {"kind", "CronJob"},
             {"metadata", {{"name", "retrain"}}},
             {"spec",
              {{"schedule", "*/1 * * * *"},
               {"concurrencyPolicy", "Forbid"},
               {"successfulJobsHistoryLimit", 1},
               {"jobTemplate",
                {{"spec", {{"template", {{"spec", {{"restartPolicy", "Never"}, {"containers", {{{"name", "m"}, {"image", "x"}}}}}}}}}}}}}}};
  auto created = client_->Send("POST", "/apis/batch/v1/namespaces/default/cronjobs", cj);
  ASSERT_TRUE(created.ok()) << created.status().message();
  ASSERT_TRUE(Eventually([&] { return informers_->For("/apis/batch/v1/cronjobs").Get("default/retrain") != nullptr; }));
  const Time first = *api::CronSchedule::Parse("*/1 * * * *")->Next(*ParseRfc3339(std::string((*created)["metadata"]["creationTimestamp"])));

  now_ = first - 1s;
  SyncOk();
  EXPECT_TRUE(Jobs().empty()) << "nothing is due before the first minute";

  now_ = first + 1s;
  SyncOk();
  const std::string job1 = ScheduledJobName("retrain", first);
  ASSERT_TRUE(Eventually([&] { return Jobs().size() == 1 && CronJob()["status"].contains("active"); }));
  EXPECT_EQ(Jobs()[0]["metadata"]["name"], job1);
  EXPECT_EQ(Jobs()[0]["metadata"]["ownerReferences"][0]["kind"], "CronJob");
  EXPECT_EQ(CronJob()["status"]["lastScheduleTime"], FormatRfc3339(first));

  // A minute later the first run is still going: Forbid skips.
  now_ = first + 61s;
  SyncOk();
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(Jobs().size(), 1u);
  auto reasons = EventReasons();
  EXPECT_NE(std::find(reasons.begin(), reasons.end(), "JobAlreadyActive"), reasons.end());

  // Once it finishes, the due run starts, and history keeps one finished Job.
  Complete(job1);
  SyncOk();
  const std::string job2 = ScheduledJobName("retrain", first + 60s);
  ASSERT_TRUE(Eventually([&] { return informers_->For("/apis/batch/v1/jobs").Get("default/" + job2) != nullptr; }))
      << Json(Jobs()).dump() << "\n" << CronJob().dump();
  Complete(job2);
  now_ = first + 121s;
  ASSERT_TRUE(Eventually([&] { return CronJob()["status"]["lastScheduleTime"] == FormatRfc3339(first + 60s); }));
  SyncOk();
  const std::string job3 = ScheduledJobName("retrain", first + 120s);
  ASSERT_TRUE(Eventually([&] {
    std::set<std::string> names;
    for (const Json& j : Jobs()) names.insert(j["metadata"]["name"]);
    return names == std::set<std::string>{job2, job3};  // job1 pruned: one successful kept
  }));
  reasons = EventReasons();
  for (const char* r : {"SuccessfulCreate", "SawCompletedJob", "SuccessfulDelete"}) {
    EXPECT_NE(std::find(reasons.begin(), reasons.end(), r), reasons.end()) << r;
  }

  // Ten minutes of downtime: one run, for the latest missed time, not ten.
  Complete(job3);
  ASSERT_TRUE(Eventually([&] { return CronJob()["status"]["lastScheduleTime"] == FormatRfc3339(first + 120s); }));
  now_ = first + 720s + 5s;
  SyncOk();
  const std::string job4 = ScheduledJobName("retrain", first + 720s);
  ASSERT_TRUE(Eventually([&] { return informers_->For("/apis/batch/v1/jobs").Get("default/" + job4) != nullptr; }));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(Jobs().size(), 2u);  // job3 (kept) and job4
}

}  // namespace
}  // namespace mlkube::controllers
