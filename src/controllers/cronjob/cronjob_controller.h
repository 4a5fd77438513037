#pragma once
// The CronJob controller (Kubernetes' pkg/controller/cronjob, the v2 controller): creates a
// Job named <cronjob>-<minutes since the epoch> for the most recent schedule time not yet run
// (so schedules missed while the server was down are caught up once, within
// startingDeadlineSeconds), honours concurrencyPolicy Allow/Forbid/Replace and suspend, keeps
// successful/failedJobsHistoryLimit finished Jobs, and tracks active, lastScheduleTime and
// lastSuccessfulTime. It sleeps until the next schedule time rather than polling.
// Thread-safety: Start/Stop from the owner's thread; the rest runs on the controller's workers.

#include <functional>
#include <optional>
#include <string>

#include "api/cron.h"
#include "api/json.h"
#include "client/client.h"
#include "client/events.h"
#include "client/informer.h"
#include "controllers/common/controller.h"
#include "controllers/common/objects.h"

namespace mlkube::controllers {

// The latest activation of `schedule` in (earliest, now], and how many there were.
struct ScheduleTimes {
  std::optional<Time> most_recent;
  int64_t missed = 0;
};
ScheduleTimes MostRecentScheduleTime(const api::CronSchedule& schedule, const std::string& time_zone, Time earliest,
                                     Time now);

// The name of the Job for the activation at `scheduled`: <cronjob>-<minutes since the epoch>.
std::string ScheduledJobName(const std::string& cronjob, Time scheduled);

class CronJobController {
 public:
  CronJobController(const client::Client& client, client::SharedInformers& informers,
                    std::function<Time()> now = std::chrono::system_clock::now);
  void Start() { controller_.Start(); }
  void Stop() { controller_.Stop(); }
  Status Sync(const std::string& key);

 private:
  const client::Client& client_;
  client::Informer& cronjobs_;
  client::Informer& jobs_;
  client::EventRecorder events_;
  std::function<Time()> now_;
  Controller controller_;
};

}  // namespace mlkube::controllers
