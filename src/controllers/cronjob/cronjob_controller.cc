#include "controllers/cronjob/cronjob_controller.h"

#include <algorithm>

#include "common/time.h"
#include "controllers/deployment/rollout.h"

namespace mlkube::controllers {

namespace {

std::string JobsPath(const std::string& ns, const std::string& name = "") {
  return "/apis/batch/v1/namespaces/" + ns + "/jobs" + (name.empty() ? "" : "/" + name);
}

// "Complete" or "Failed" once the Job has finished; empty while it runs.
std::string FinishedAs(const Json& job) {
  for (const char* type : {"Complete", "Failed"}) {
    const Json* c = FindCondition(Member(job, "status"), type);
    if (c && StringMember(*c, "status") == "True") return type;
  }
  return "";
}

}  // namespace

ScheduleTimes MostRecentScheduleTime(const api::CronSchedule& schedule, const std::string& time_zone, Time earliest,
                                     Time now) {
  ScheduleTimes out;
  for (auto t = schedule.Next(earliest, time_zone); t && *t <= now; t = schedule.Next(*t, time_zone)) {
    out.most_recent = t;
    // Past a year of minutes, counting on is pointless: the answer is "too many".
    if (++out.missed > 525600) break;
  }
  return out;
}

std::string ScheduledJobName(const std::string& cronjob, Time scheduled) {
  const auto minutes = std::chrono::duration_cast<std::chrono::minutes>(scheduled.time_since_epoch()).count();
  return cronjob + "-" + std::to_string(minutes);
}

CronJobController::CronJobController(const client::Client& client, client::SharedInformers& informers,
                                     std::function<Time()> now)
    : client_(client),
      cronjobs_(informers.For("/apis/batch/v1/cronjobs")),
      jobs_(informers.For("/apis/batch/v1/jobs")),
      events_(client, "cronjob-controller"),
      now_(std::move(now)),
      controller_("cronjob-controller", [this](const std::string& key) { return Sync(key); }, 2) {
  auto enqueue = [this](const Json& cj) { controller_.Enqueue(client::Informer::KeyOf(cj)); };
  cronjobs_.AddHandlers({enqueue, [enqueue](const Json&, const Json& cj) { enqueue(cj); }, nullptr});
  auto on_job = [this](const Json& job) {
    if (auto key = ControllerKey(job, "CronJob")) controller_.Enqueue(*key);
  };
  jobs_.AddHandlers({on_job, [on_job](const Json&, const Json& job) { on_job(job); }, on_job});
}

Status CronJobController::Sync(const std::string& key) {
  auto cached = cronjobs_.Get(key);
  if (!cached) return Status::Ok();
  Json cj = std::move(*cached);
  const Json& spec = cj["spec"];
  const std::string ns = NamespaceOf(cj), name = NameOf(cj), uid = UidOf(cj);
  const Time now = now_();
  Json status = cj["status"].is_object() ? cj["status"] : Json::object();

  std::vector<Json> jobs = jobs_.List([&](const Json& j) {
    const Json* ref = ControllerRefOf(j);
    return NamespaceOf(j) == ns && ref && StringMember(*ref, "uid") == uid;
  });
  // Active: the unfinished Jobs; finished ones leave the list with a SawCompletedJob event.
  Json active = Json::array();
  std::vector<const Json*> succeeded, failed;
  std::set<std::string> was_active;
  for (const Json& ref : Member(status, "active")) was_active.insert(StringMember(ref, "uid"));
  auto last_success = TimeField(status, "lastSuccessfulTime");
  for (const Json& job : jobs) {
    const std::string finished = FinishedAs(job);
    if (finished.empty()) {
      if (!IsDeleting(job)) {
        active.push_back({{"apiVersion", "batch/v1"}, {"kind", "Job"}, {"name", NameOf(job)}, {"namespace", ns},
                          {"uid", UidOf(job)}, {"resourceVersion", StringMember(Member(job, "metadata"), "resourceVersion")}});
      }
      continue;
    }
    (finished == "Complete" ? succeeded : failed).push_back(&job);
    if (was_active.count(UidOf(job))) {
      events_.Record(cj, "Normal", "SawCompletedJob", "Saw completed job: " + NameOf(job) + ", status: " + finished);
    }
    if (auto done = TimeField(Member(job, "status"), "completionTime"); done && finished == "Complete" &&
                                                                         (!last_success || *done > *last_success)) {
      last_success = done;
    }
  }
  if (last_success) status["lastSuccessfulTime"] = FormatRfc3339(*last_success);
  // History: the oldest finished Jobs beyond each limit go.
  auto prune = [&](std::vector<const Json*>& finished, const char* limit_field, int64_t fallback) -> Status {
    const Json& l = Member(spec, limit_field);
    const int64_t limit = l.is_number_integer() ? l.get<int64_t>() : fallback;
    if (static_cast<int64_t>(finished.size()) <= limit) return Status::Ok();
    std::stable_sort(finished.begin(), finished.end(), [](const Json* a, const Json* b) {
      auto ta = TimeField(Member(*a, "status"), "startTime"), tb = TimeField(Member(*b, "status"), "startTime");
      if (!ta) ta = TimeField(Member(*a, "metadata"), "creationTimestamp");
      if (!tb) tb = TimeField(Member(*b, "metadata"), "creationTimestamp");
      return ta && tb && *ta < *tb;
    });
    for (size_t i = 0; i + limit < finished.size(); ++i) {
      if (IsDeleting(*finished[i])) continue;
      const Json options = {{"propagationPolicy", "Background"}};
      auto r = client_.Do("DELETE", JobsPath(ns, NameOf(*finished[i])), options.dump());
      if (!r.ok()) return r.status();
      if (r->status / 100 == 2) events_.Record(cj, "Normal", "SuccessfulDelete", "Deleted job " + NameOf(*finished[i]));
    }
    return Status::Ok();
  };
  RETURN_IF_ERROR(prune(succeeded, "successfulJobsHistoryLimit", 3));
  RETURN_IF_ERROR(prune(failed, "failedJobsHistoryLimit", 1));

  auto write_status = [&]() -> Status {
    if (active.empty()) status.erase("active");
    else status["active"] = active;
    if (status == Member(cj, "status")) return Status::Ok();
    Json updated = cj;
    updated["status"] = status;
    auto r = client_.Send("PUT", "/apis/batch/v1/namespaces/" + ns + "/cronjobs/" + name + "/status", updated);
    if (!r.ok() && r.status().code() != Code::kNotFound) return r.status();
    return Status::Ok();
  };
  const bool suspended = Member(spec, "suspend").is_boolean() && spec["suspend"].get<bool>();
  if (IsDeleting(cj) || suspended) return write_status();

  auto schedule = api::CronSchedule::Parse(StringMember(spec, "schedule"));
  if (!schedule.ok()) {
    events_.Record(cj, "Warning", "UnparseableSchedule",
                   "unparseable schedule: \"" + StringMember(spec, "schedule") + "\" : " + schedule.status().message());
    return write_status();
  }
  const std::string tz = StringMember(spec, "timeZone");
  auto requeue_next = [&] {
    if (auto next = schedule->Next(now, tz)) controller_.queue().AddAfter(key, *next - now + std::chrono::milliseconds(100));
  };
  Time earliest = TimeField(status, "lastScheduleTime")
                      .value_or(TimeField(Member(cj, "metadata"), "creationTimestamp").value_or(now));
  const Json& deadline = Member(spec, "startingDeadlineSeconds");
  if (deadline.is_number_integer()) earliest = std::max(earliest, now - std::chrono::seconds(deadline.get<int64_t>()));
  const ScheduleTimes times = MostRecentScheduleTime(*schedule, tz, earliest, now);
  if (times.missed > 100) {
    events_.Record(cj, "Warning", "TooManyMissedTimes",
                   "too many missed start times: " + std::to_string(times.missed) +
                       ". Set or decrease .spec.startingDeadlineSeconds or check clock skew");
  }
  requeue_next();
  if (!times.most_recent) return write_status();
  const Time scheduled = *times.most_recent;
  if (deadline.is_number_integer() && scheduled + std::chrono::seconds(deadline.get<int64_t>()) < now) {
    events_.Record(cj, "Warning", "MissSchedule", "Missed scheduled time to start a job: " + FormatRfc1123z(scheduled));
    return write_status();
  }
  const std::string job_name = ScheduledJobName(name, scheduled);
  if (std::any_of(jobs.begin(), jobs.end(), [&](const Json& j) { return NameOf(j) == job_name; })) return write_status();

  const std::string policy = StringMember(spec, "concurrencyPolicy");
  if (policy == "Forbid" && !active.empty()) {
    events_.Record(cj, "Normal", "JobAlreadyActive",
                   "Not starting job because prior execution is running and concurrency policy is Forbid");
    return write_status();
  }
  if (policy == "Replace") {
    for (const Json& ref : active) {
      const Json options = {{"propagationPolicy", "Background"}};
      auto r = client_.Do("DELETE", JobsPath(ns, StringMember(ref, "name")), options.dump());
      if (!r.ok()) return r.status();
      if (r->status / 100 == 2) events_.Record(cj, "Normal", "SuccessfulDelete", "Deleted job " + StringMember(ref, "name"));
    }
    active = Json::array();
  }
  const Json& tmpl = Member(spec, "jobTemplate");
  Json job = {{"apiVersion", "batch/v1"},
              {"kind", "Job"},
              {"metadata",
               {{"name", job_name},
                {"namespace", ns},
                {"ownerReferences", Json::array({ControllerRef(cj, "batch/v1", "CronJob")})}}},
              {"spec", Member(tmpl, "spec")}};
  for (const char* k : {"labels", "annotations"}) {
    if (const Json& v = Member(Member(tmpl, "metadata"), k); v.is_object()) job["metadata"][k] = v;
  }
  job["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"] = FormatRfc3339(scheduled);
  auto created = client_.Send("POST", JobsPath(ns), job);
  if (!created.ok() && created.status().code() != Code::kAlreadyExists) {
    events_.Record(cj, "Warning", "FailedCreate", "Error creating job: " + created.status().message());
    return created.status();
  }
  if (created.ok()) {
    events_.Record(cj, "Normal", "SuccessfulCreate", "Created job " + job_name);
    active.push_back({{"apiVersion", "batch/v1"}, {"kind", "Job"}, {"name", job_name}, {"namespace", ns},
                      {"uid", UidOf(*created)}, {"resourceVersion", StringMember((*created)["metadata"], "resourceVersion")}});
  }
  status["lastScheduleTime"] = FormatRfc3339(scheduled);
  return write_status();
}

}  // namespace mlkube::controllers
