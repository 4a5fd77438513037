// Rules for the batch group: Job and CronJob (batch/v1), as pkg/apis/batch/validation.

#include <algorithm>
#include <set>

#include "api/cron.h"
#include "api/validation.h"
#include "api/validation_internal.h"

namespace mlkube::api::internal {

namespace {

constexpr int64_t kMaxParallelismForIndexedJob = 100000;
constexpr int64_t kMaxFailedIndexes = 100000;
constexpr size_t kMaxPodFailurePolicyRules = 20;
constexpr size_t kMaxOnExitCodesValues = 255;
constexpr size_t kMaxOnPodConditionsPatterns = 20;

// Go's %q of a []string, as the "valid values" details print it.
std::string QuotedList(std::initializer_list<const char*> values) {
  std::string out = "[";
  bool first = true;
  for (const char* v : values) {
    out += (first ? "\"" : " \"") + std::string(v) + "\"";
    first = false;
  }
  return out + "]";
}

void ValidateExitCodes(const Json& req, const std::set<std::string>& containers, const Path& path,
                       ErrorList& errs) {
  std::string op = StringAt(req, "operator");
  if (op.empty()) {
    errs.push_back(
        Required(path.Child("operator"), "valid values: " + QuotedList({"In", "NotIn"})));
  } else if (op != "In" && op != "NotIn") {
    errs.push_back(NotSupported(path.Child("operator"), op, {"In", "NotIn"}));
  }
  if (const Json* name = Find(req, "containerName");
      name && name->is_string() && !containers.count(name->get<std::string>())) {
    errs.push_back(Invalid(path.Child("containerName"), *name,
                           "must be one of the container or initContainer names in the pod "
                           "template"));
  }
  const Json& values = ArrayAt(req, "values");
  Path vp = path.Child("values");
  if (values.empty()) {
    errs.push_back(Invalid(vp, values, "at least one value is required"));
  } else if (values.size() > kMaxOnExitCodesValues) {
    errs.push_back(TooMany(vp, values.size(), kMaxOnExitCodesValues));
  }
  bool ordered = true;
  std::set<int64_t> seen;
  std::optional<int64_t> previous;
  for (size_t j = 0; j < values.size(); ++j) {
    std::optional<int64_t> v = AsInt(values[j]);
    if (!v) continue;
    if (op == "In" && *v == 0) {
      errs.push_back(Invalid(vp.Index(j), *v, "must not be 0 for the In operator"));
    }
    if (!seen.insert(*v).second) errs.push_back(Duplicate(vp.Index(j), *v));
    if (previous && *previous > *v) ordered = false;
    previous = v;
  }
  if (!ordered) errs.push_back(Invalid(vp, values, "must be ordered"));
}

void ValidatePodConditionPatterns(const Json& patterns, const Path& path, ErrorList& errs) {
  if (patterns.size() > kMaxOnPodConditionsPatterns) {
    errs.push_back(TooMany(path, patterns.size(), kMaxOnPodConditionsPatterns));
  }
  for (size_t j = 0; j < patterns.size(); ++j) {
    Path p = path.Index(j);
    ValidateQualifiedName(StringAt(patterns[j], "type"), p.Child("type"), errs);
    std::string status = StringAt(patterns[j], "status");
    if (status.empty()) {
      errs.push_back(
          Required(p.Child("status"), "valid values: " + QuotedList({"False", "True", "Unknown"})));
    } else if (status != "True" && status != "False" && status != "Unknown") {
      errs.push_back(NotSupported(p.Child("status"), status, {"False", "True", "Unknown"}));
    }
  }
}

void ValidatePodFailurePolicy(const Json& spec, const Json& policy, const Path& path,
                              ErrorList& errs) {
  const Json& rules = ArrayAt(policy, "rules");
  Path rules_path = path.Child("rules");
  if (rules.size() > kMaxPodFailurePolicyRules) {
    errs.push_back(TooMany(rules_path, rules.size(), kMaxPodFailurePolicyRules));
  }
  std::set<std::string> containers;
  const Json& pod_spec = ObjectAt(ObjectAt(spec, "template"), "spec");
  for (const char* list : {"containers", "initContainers"}) {
    for (const Json& c : ArrayAt(pod_spec, list)) containers.insert(StringAt(c, "name"));
  }
  for (size_t i = 0; i < rules.size(); ++i) {
    const Json& rule = rules[i];
    Path rp = rules_path.Index(i);
    std::string action = StringAt(rule, "action");
    if (action.empty()) {
      errs.push_back(
          Required(rp.Child("action"),
                   "valid values: " + QuotedList({"Count", "FailIndex", "FailJob", "Ignore"})));
    } else if (action == "FailIndex") {
      if (!Find(spec, "backoffLimitPerIndex")) {
        errs.push_back(
            Invalid(rp.Child("action"), action, "requires the backoffLimitPerIndex to be set"));
      }
    } else if (action != "Count" && action != "FailJob" && action != "Ignore") {
      errs.push_back(
          NotSupported(rp.Child("action"), action, {"Count", "FailIndex", "FailJob", "Ignore"}));
    }
    const Json* exit_codes = Find(rule, "onExitCodes");
    const Json& conditions = ArrayAt(rule, "onPodConditions");
    if (exit_codes) ValidateExitCodes(*exit_codes, containers, rp.Child("onExitCodes"), errs);
    if (!conditions.empty()) {
      ValidatePodConditionPatterns(conditions, rp.Child("onPodConditions"), errs);
    }
    if (exit_codes && !conditions.empty()) {
      errs.push_back(
          Invalid(rp, nullptr, "specifying both OnExitCodes and OnPodConditions is not supported"));
    }
    if (!exit_codes && conditions.empty()) {
      errs.push_back(
          Invalid(rp, nullptr, "specifying one of OnExitCodes and OnPodConditions is required"));
    }
  }
}

void ValidateManagedBy(const Json& spec, const Path& path, ErrorList& errs) {
  const Json* managed = Find(spec, "managedBy");
  if (!managed || !managed->is_string()) return;
  std::string value = managed->get<std::string>();
  Path p = path.Child("managedBy");
  size_t slash = value.find('/');
  if (value.empty()) {
    errs.push_back(Required(p, ""));
  } else if (slash == std::string::npos || slash == 0 || slash + 1 == value.size()) {
    errs.push_back(Invalid(p, value, "must be a domain-prefixed path (such as \"acme.io/foo\")"));
  } else {
    std::string host = value.substr(0, slash);
    for (auto& msg : IsDNS1123Subdomain(host)) errs.push_back(Invalid(p, host, msg));
  }
  if (value.size() > 63) errs.push_back(TooLong(p, value, 63));
}

// The job spec rules shared by Jobs and CronJob job templates.
void ValidateJobSpecCommon(const Json& spec, const Path& path, ErrorList& errs) {
  for (const char* key : {"parallelism", "completions", "activeDeadlineSeconds", "backoffLimit",
                          "ttlSecondsAfterFinished", "backoffLimitPerIndex", "maxFailedIndexes"}) {
    ValidateNonnegativeAt(spec, key, path, errs);
  }
  std::optional<int64_t> completions = IntAt(spec, "completions");
  std::optional<int64_t> parallelism = IntAt(spec, "parallelism");
  std::optional<int64_t> max_failed = IntAt(spec, "maxFailedIndexes");
  const Json* per_index = Find(spec, "backoffLimitPerIndex");
  if (Find(spec, "maxFailedIndexes") && !per_index) {
    errs.push_back(
        Required(path.Child("backoffLimitPerIndex"), "when maxFailedIndexes is specified"));
  }
  ValidateManagedBy(spec, path, errs);
  std::string mode = StringAt(spec, "completionMode");
  if (Find(spec, "completionMode") && mode != "NonIndexed" && mode != "Indexed") {
    errs.push_back(NotSupported(path.Child("completionMode"), mode, {"NonIndexed", "Indexed"}));
  }
  if (mode == "Indexed") {
    if (!Find(spec, "completions")) {
      errs.push_back(Required(path.Child("completions"), "when completion mode is Indexed"));
    }
    if (parallelism && *parallelism > kMaxParallelismForIndexedJob) {
      errs.push_back(Invalid(path.Child("parallelism"), *parallelism,
                             "must be less than or equal to 100000 when completion mode is "
                             "Indexed"));
    }
    if (completions && max_failed && *max_failed > *completions) {
      errs.push_back(Invalid(path.Child("maxFailedIndexes"), *max_failed,
                             "must be less than or equal to completions"));
    }
    if (max_failed && *max_failed > kMaxFailedIndexes) {
      errs.push_back(Invalid(path.Child("maxFailedIndexes"), *max_failed,
                             "must be less than or equal to 100000"));
    }
  } else {
    if (per_index) {
      errs.push_back(Invalid(path.Child("backoffLimitPerIndex"), *per_index,
                             "requires indexed completion mode"));
    }
    if (const Json* mf = Find(spec, "maxFailedIndexes")) {
      errs.push_back(
          Invalid(path.Child("maxFailedIndexes"), *mf, "requires indexed completion mode"));
    }
  }
  const Json* failure_policy = Find(spec, "podFailurePolicy");
  if (failure_policy) {
    ValidatePodFailurePolicy(spec, *failure_policy, path.Child("podFailurePolicy"), errs);
  }
  if (const Json* success = Find(spec, "successPolicy"); success && mode != "Indexed") {
    errs.push_back(
        Invalid(path.Child("successPolicy"), *success, "requires indexed completion mode"));
  }
  if (const Json* replacement = Find(spec, "podReplacementPolicy");
      replacement && replacement->is_string()) {
    std::string v = replacement->get<std::string>();
    if (failure_policy) {
      if (v != "Failed") {
        errs.push_back(NotSupported(path.Child("podReplacementPolicy"), v, {"Failed"}));
      }
    } else if (v != "Failed" && v != "TerminatingOrFailed") {
      errs.push_back(
          NotSupported(path.Child("podReplacementPolicy"), v, {"Failed", "TerminatingOrFailed"}));
    }
  }
  const Json& tmpl = ObjectAt(spec, "template");
  ValidatePodTemplateSpec(tmpl, path.Child("template"), errs);
  // Pod defaulting fills restartPolicy with Always, so an unset one shows up as Always here.
  Path rp = path.Child("template").Child("spec").Child("restartPolicy");
  std::string restart_policy = StringAt(ObjectAt(tmpl, "spec"), "restartPolicy");
  if (restart_policy == "Always" || restart_policy.empty()) {
    errs.push_back(Required(rp, "valid values: \"OnFailure\", \"Never\""));
  } else if (restart_policy != "OnFailure" && restart_policy != "Never") {
    errs.push_back(NotSupported(rp, restart_policy, {"OnFailure", "Never"}));
  } else if (failure_policy && restart_policy != "Never") {
    errs.push_back(Invalid(rp, restart_policy,
                           "only \"Never\" is supported when podFailurePolicy is specified"));
  }
}

void ValidateJobSelector(const Json& spec, const Path& path, ErrorList& errs) {
  const Json* selector = Find(spec, "selector");
  if (!selector) {
    errs.push_back(Required(path.Child("selector"), ""));
  } else {
    ValidateLabelSelector(*selector, path.Child("selector"), errs);
  }
  const Json& labels = ObjectAt(ObjectAt(ObjectAt(spec, "template"), "metadata"), "labels");
  std::optional<bool> matches = SelectorMatches(selector, StringMap(labels));
  if (matches && !*matches) {
    errs.push_back(Invalid(path.Child("template").Child("metadata").Child("labels"), labels,
                           "`selector` does not match template `labels`"));
  }
}

void ValidateHasLabel(const Json& labels, const Path& path, const std::string& key,
                      const std::string& expected, ErrorList& errs) {
  const Json* actual = Find(labels, key);
  if (!actual) {
    errs.push_back(Required(path.Child("labels").Key(key), "must be '" + expected + "'"));
  } else if (*actual != expected) {
    errs.push_back(Invalid(path.Child("labels").Key(key), labels, "must be '" + expected + "'"));
  }
}

// Unless the user manages the selector, it must be the one generated from the Job's uid, and the
// template must carry the labels it selects.
void ValidateGeneratedSelector(const Json& obj, ErrorList& errs) {
  const Json& spec = ObjectAt(obj, "spec");
  const Json* selector = Find(spec, "selector");
  if (BoolAt(spec, "manualSelector") || !selector) return;
  const Json& meta = ObjectAt(obj, "metadata");
  std::string uid = StringAt(meta, "uid");
  std::string name = StringAt(meta, "name");
  if (uid.empty()) errs.push_back(Required(Path("metadata").Child("uid"), ""));
  Path tp = Path("spec").Child("template").Child("metadata");
  const Json& labels = ObjectAt(ObjectAt(ObjectAt(spec, "template"), "metadata"), "labels");
  ValidateHasLabel(labels, tp, "controller-uid", uid, errs);
  ValidateHasLabel(labels, tp, "job-name", name, errs);
  ValidateHasLabel(labels, tp, "batch.kubernetes.io/controller-uid", uid, errs);
  ValidateHasLabel(labels, tp, "batch.kubernetes.io/job-name", name, errs);
  Labels expected = {{"controller-uid", uid},
                     {"job-name", name},
                     {"batch.kubernetes.io/controller-uid", uid},
                     {"batch.kubernetes.io/job-name", name}};
  std::optional<bool> matches = SelectorMatches(selector, expected);
  if (matches && !*matches) {
    errs.push_back(
        Invalid(Path("spec").Child("selector"), *selector, "`selector` not auto-generated"));
  }
}

void ValidateJobUpdate(const Json& obj, const Json& old, ErrorList& errs) {
  const Json& spec = ObjectAt(obj, "spec");
  const Json& old_spec = ObjectAt(old, "spec");
  Path path("spec");
  // Indexed Jobs may scale completions together with parallelism (elastic Indexed Jobs).
  const Json* completions = Find(spec, "completions");
  const Json* old_completions = Find(old_spec, "completions");
  if (StringAt(spec, "completionMode") == "Indexed") {
    if (completions && !SemanticEqual(completions, old_completions) &&
        !SemanticEqual(completions, Find(spec, "parallelism"))) {
      errs.push_back(Invalid(path.Child("completions"), *completions,
                             "can only be modified in tandem with spec.parallelism"));
    }
  } else {
    ValidateImmutable(completions, old_completions, path.Child("completions"), errs);
  }
  ValidateImmutable(Find(spec, "selector"), Find(old_spec, "selector"), path.Child("selector"),
                    errs);
  // A suspended Job that never started may still be re-targeted: its scheduling directives
  // (and template metadata) may change, the rest of the template may not.
  Json old_template = ObjectAt(old_spec, "template");
  const Json& tmpl = ObjectAt(spec, "template");
  if (BoolAt(old_spec, "suspend") && !Find(ObjectAt(old, "status"), "startTime")) {
    Json& old_pod = EnsureObject(old_template, "spec");
    const Json& pod = ObjectAt(tmpl, "spec");
    for (const char* key : {"nodeSelector", "tolerations", "schedulingGates"}) {
      if (const Json* v = Find(pod, key)) {
        old_pod[key] = *v;
      } else {
        old_pod.erase(key);
      }
    }
    const Json* na = Find(ObjectAt(pod, "affinity"), "nodeAffinity");
    if (Find(pod, "affinity")) {
      Json& affinity = EnsureObject(old_pod, "affinity");
      if (na) {
        affinity["nodeAffinity"] = *na;
      } else {
        affinity.erase("nodeAffinity");
      }
    } else if (old_pod.contains("affinity") && old_pod["affinity"].is_object()) {
      old_pod["affinity"].erase("nodeAffinity");
      if (old_pod["affinity"].empty()) old_pod.erase("affinity");
    }
    Json& old_meta = EnsureObject(old_template, "metadata");
    const Json& meta = ObjectAt(tmpl, "metadata");
    for (const char* key : {"labels", "annotations"}) {
      if (const Json* v = Find(meta, key)) {
        old_meta[key] = *v;
      } else {
        old_meta.erase(key);
      }
    }
  }
  ValidateImmutable(Find(spec, "template"), old_template.empty() ? nullptr : &old_template,
                    path.Child("template"), errs);
  for (const char* key : {"completionMode", "podFailurePolicy", "backoffLimitPerIndex", "managedBy",
                          "successPolicy"}) {
    ValidateImmutable(Find(spec, key), Find(old_spec, key), path.Child(key), errs);
  }
}

void ValidateJob(const Json& obj, const Json* old, ErrorList& errs) {
  const Json& spec = ObjectAt(obj, "spec");
  Path path("spec");
  if (!old) {
    ValidateGeneratedSelector(obj, errs);
    std::optional<int64_t> completions = IntAt(spec, "completions");
    if (StringAt(spec, "completionMode") == "Indexed" && completions && *completions > 0) {
      // Pods of an Indexed Job are named <job>-<index>, which must stay a DNS label.
      std::string name = StringAt(ObjectAt(obj, "metadata"), "name");
      std::string hostname = name + "-" + std::to_string(*completions - 1);
      if (!IsDNS1123Label(hostname).empty()) {
        errs.push_back(Invalid(Path("metadata").Child("name"), name,
                               "will not able to create pod with invalid DNS label: " + hostname));
      }
    }
  }
  ValidateJobSpecCommon(spec, path, errs);
  ValidateJobSelector(spec, path, errs);
  if (old) ValidateJobUpdate(obj, *old, errs);
}

void ValidateJobStatus(const Json& obj, const Json&, ErrorList& errs) {
  const Json& status = ObjectAt(obj, "status");
  Path path("status");
  for (const char* key : {"active", "succeeded", "failed", "ready", "terminating"}) {
    ValidateNonnegativeAt(status, key, path, errs);
  }
  const Json& uncounted = ObjectAt(status, "uncountedTerminatedPods");
  std::set<std::string> seen;
  for (const char* list : {"succeeded", "failed"}) {
    const Json& uids = ArrayAt(uncounted, list);
    for (size_t i = 0; i < uids.size(); ++i) {
      Path p = path.Child("uncountedTerminatedPods").Child(list).Index(i);
      std::string uid = uids[i].is_string() ? uids[i].get<std::string>() : "";
      if (uid.empty()) {
        errs.push_back(Invalid(p, uid, "must not be empty"));
      } else if (!seen.insert(uid).second) {
        errs.push_back(Duplicate(p, uid));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// CronJob

void ValidateSchedule(const std::string& schedule, bool allow_tz, const Json* time_zone,
                      const Path& path, ErrorList& errs) {
  // CronSchedule::Parse understands robfig/cron's TZ=/CRON_TZ= prefix; CronJobs still refuse it
  // below in favour of spec.timeZone.
  Result<CronSchedule> parsed = CronSchedule::Parse(schedule);
  if (!parsed.ok()) errs.push_back(Invalid(path, schedule, parsed.status().message()));
  bool has_tz = schedule.find("TZ") != std::string::npos;
  if (allow_tz && has_tz && time_zone) {
    errs.push_back(
        Invalid(path, schedule, "cannot use both timeZone field and TZ or CRON_TZ in schedule"));
  } else if (!allow_tz && has_tz) {
    errs.push_back(Invalid(path, schedule,
                           "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"));
  }
}

void ValidateTimeZone(const Json& time_zone, const Path& path, ErrorList& errs) {
  if (!time_zone.is_string()) return;
  std::string tz = time_zone.get<std::string>();
  if (tz.empty()) {
    errs.push_back(Invalid(path, tz, "timeZone must be nil or non-empty string"));
    return;
  }
  const std::string unknown = "unknown time zone " + tz;
  size_t start = 0;
  while (true) {
    size_t slash = tz.find('/', start);
    std::string part =
        tz.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    bool chars_ok =
        !part.empty() && part.size() <= 14 && std::all_of(part.begin(), part.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ||
                 c == '+';
        });
    if (part == "." || part == ".." || part[0] == '-' || !chars_ok) {
      errs.push_back(Invalid(path, tz, unknown));
      return;
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  std::string lower = tz;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "local") {
    errs.push_back(Invalid(path, tz,
                           "timeZone must be an explicit time zone as defined in "
                           "https://www.iana.org/time-zones"));
    return;
  }
  if (!IsValidTimeZone(tz)) errs.push_back(Invalid(path, tz, unknown));
}

void ValidateCronJob(const Json& obj, const Json* old, ErrorList& errs) {
  const Json& spec = ObjectAt(obj, "spec");
  Path path("spec");
  const Json* old_spec = old ? &ObjectAt(*old, "spec") : nullptr;
  std::string schedule = StringAt(spec, "schedule");
  const Json* time_zone = Find(spec, "timeZone");
  if (schedule.empty()) {
    errs.push_back(Required(path.Child("schedule"), ""));
  } else {
    bool allow_tz = old_spec && StringAt(*old_spec, "schedule").find("TZ") != std::string::npos;
    ValidateSchedule(schedule, allow_tz, time_zone, path.Child("schedule"), errs);
  }
  ValidateNonnegativeAt(spec, "startingDeadlineSeconds", path, errs);
  if (time_zone && (!old_spec || !SemanticEqual(time_zone, Find(*old_spec, "timeZone")))) {
    ValidateTimeZone(*time_zone, path.Child("timeZone"), errs);
  }
  std::string policy = StringAt(spec, "concurrencyPolicy");
  if (policy.empty()) {
    errs.push_back(Required(path.Child("concurrencyPolicy"), ""));
  } else if (policy != "Allow" && policy != "Forbid" && policy != "Replace") {
    errs.push_back(
        NotSupported(path.Child("concurrencyPolicy"), policy, {"Allow", "Forbid", "Replace"}));
  }
  const Json& job_spec = ObjectAt(ObjectAt(spec, "jobTemplate"), "spec");
  Path jp = path.Child("jobTemplate").Child("spec");
  ValidateJobSpecCommon(job_spec, jp, errs);
  if (const Json* selector = Find(job_spec, "selector")) {
    errs.push_back(Invalid(jp.Child("selector"), *selector, "`selector` will be auto-generated"));
  }
  if (BoolAt(job_spec, "manualSelector")) {
    errs.push_back(NotSupported(jp.Child("manualSelector"), true, {"nil", "false"}));
  }
  ValidateNonnegativeAt(spec, "successfulJobsHistoryLimit", path, errs);
  ValidateNonnegativeAt(spec, "failedJobsHistoryLimit", path, errs);
  std::string name = StringAt(ObjectAt(obj, "metadata"), "name");
  // Jobs are named <cronjob>-<11-character timestamp> and must fit 63 characters; existing
  // longer names stay updatable.
  if (!old && name.size() > 52) {
    errs.push_back(
        Invalid(Path("metadata").Child("name"), name, "must be no more than 52 characters"));
  }
}

const KindRules kBatchRules[] = {
    {"batch", "Job", Scope::kNamespaced, NameIsDNSSubdomain, ValidateJob, ValidateJobStatus},
    {"batch", "CronJob", Scope::kNamespaced, NameIsDNSSubdomain, ValidateCronJob, nullptr},
};

}  // namespace

const KindRules* FindBatchRules(std::string_view kind) {
  for (const KindRules& r : kBatchRules) {
    if (r.kind == kind) return &r;
  }
  return nullptr;
}

}  // namespace mlkube::api::internal
