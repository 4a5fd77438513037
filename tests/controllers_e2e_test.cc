// The workload controllers end to end: `mlkube server` with its scheduler and local agent,
// driven by the real kubectl; Deployments, Jobs and CronJobs make real pods that run as
// processes (root, as in CI).

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "api/json.h"
#include "e2e_util.h"

namespace mlkube::testing {
namespace {

using namespace std::chrono_literals;

class ControllersE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new ServerProcess("controllers", /*agent=*/true, /*scheduler=*/true);
    ASSERT_TRUE(server_->Start()) << server_->log();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  static CmdResult K(const std::string& args, const std::string& input = "") { return server_->Kubectl(args, input); }
  static std::string Jsonpath(const std::string& what, const std::string& path) {
    return K("get " + what + " -o jsonpath='" + path + "'").out;
  }
  static Json GetJson(const std::string& what) {
    auto r = K("get " + what + " -o json");
    return Json::parse(r.out, nullptr, false);
  }
  static bool WaitFor(const std::function<bool()>& ok, std::chrono::seconds limit = 60s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (ok()) return true;
      std::this_thread::sleep_for(200ms);
    }
    return ok();
  }
  static CmdResult Apply(const std::string& yaml) { return K("apply -f -", yaml); }
  // A directory of the host shared with pods at /host.
  static std::string HostDir(const std::string& name) {
    std::string dir = (server_->dir() / name).string();
    std::filesystem::create_directories(dir);
    return dir;
  }
  // Pods that are Ready and not on their way out: the ones a Service would send traffic to.
  static int ServingPods(const std::string& selector) {
    Json pods = GetJson("pods -l " + selector);
    int n = 0;
    for (const Json& p : pods.value("items", Json::array())) {
      if (p["metadata"].contains("deletionTimestamp")) continue;
      for (const Json& c : p["status"].value("conditions", Json::array())) {
        if (c.value("type", "") == "Ready" && c.value("status", "") == "True") ++n;
      }
    }
    return n;
  }
  static std::string DeploymentYaml(const std::string& name, int replicas, const std::string& command,
                                    const std::string& extra_spec = "") {
    return "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: " + name + "}\nspec:\n  replicas: " +
           std::to_string(replicas) + "\n  selector: {matchLabels: {app: " + name + "}}\n" + extra_spec +
           "  template:\n    metadata: {labels: {app: " + name + "}}\n    spec:\n      terminationGracePeriodSeconds: 1\n"
           "      containers:\n      - name: main\n        image: busybox\n        command: [sh, -c, \"" + command + "\"]\n"
           "        readinessProbe: {exec: {command: [test, -f, /tmp/ready]}, periodSeconds: 1}\n";
  }

  static ServerProcess* server_;
};

ServerProcess* ControllersE2E::server_ = nullptr;

constexpr const char* kServe = "sleep 0.5; touch /tmp/ready; exec sleep 1000";

TEST_F(ControllersE2E, DeploymentRecoversRollsWithoutDowntimeAndUndoes) {
  ASSERT_EQ(Apply(DeploymentYaml("web", 3, kServe,
                                 "  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 1}}\n"))
                .code,
            0);
  auto status = K("rollout status deploy/web --timeout=60s");
  ASSERT_EQ(status.code, 0) << status.out << status.err;
  EXPECT_NE(status.out.find("deployment \"web\" successfully rolled out"), std::string::npos) << status.out;
  EXPECT_EQ(Jsonpath("deploy web", "{.status.readyReplicas}/{.status.updatedReplicas}/{.status.availableReplicas}"), "3/3/3");

  // A pod that dies is replaced.
  const std::string victim = Jsonpath("pods -l app=web", "{.items[0].metadata.name}");
  ASSERT_EQ(K("delete pod " + victim + " --wait=false").code, 0);
  ASSERT_TRUE(WaitFor([&] {
    std::string names = Jsonpath("pods -l app=web", "{.items[*].metadata.name}");
    return ServingPods("app=web") == 3 && names.find(victim) == std::string::npos;
  })) << K("get pods -l app=web").out;

  // A rolling update keeps at least replicas - maxUnavailable pods serving throughout.
  std::atomic<bool> done{false};
  std::atomic<int> lowest{3}, samples{0};
  std::thread sampler([&] {
    while (!done) {
      lowest = std::min(lowest.load(), ServingPods("app=web"));
      ++samples;
    }
  });
  ASSERT_EQ(K("set env deploy/web MODEL_VERSION=2").code, 0);
  status = K("rollout status deploy/web --timeout=90s");
  done = true;
  sampler.join();
  ASSERT_EQ(status.code, 0) << status.out << status.err;
  EXPECT_GE(lowest.load(), 2) << "over " << samples.load() << " samples";
  EXPECT_GT(samples.load(), 5);
  EXPECT_EQ(Jsonpath("rs -l app=web", "{range .items[*]}{.spec.replicas} {end}").size(), 4u) << "two ReplicaSets";
  auto history = K("rollout history deploy/web");
  EXPECT_NE(history.out.find("1 "), std::string::npos) << history.out;
  EXPECT_NE(history.out.find("2 "), std::string::npos) << history.out;
  EXPECT_EQ(Jsonpath("deploy web", "{.metadata.annotations.deployment\\.kubernetes\\.io/revision}"), "2");

  // Undo returns to the first template (its ReplicaSet, now revision 3).
  ASSERT_EQ(K("rollout undo deploy/web").code, 0);
  status = K("rollout status deploy/web --timeout=90s");
  ASSERT_EQ(status.code, 0) << status.out << status.err;
  EXPECT_EQ(Jsonpath("deploy web", "{.spec.template.spec.containers[0].env}"), "");
  EXPECT_EQ(Jsonpath("rs -l app=web", "{range .items[*]}{.spec.replicas} {end}"), "3 0 " ) << K("get rs").out;
  EXPECT_EQ(Jsonpath("deploy web", "{.metadata.annotations.deployment\\.kubernetes\\.io/revision}"), "3");
  auto events = K("get events --field-selector involvedObject.name=web,reason=ScalingReplicaSet -o jsonpath='{.items[*].message}'");
  EXPECT_NE(events.out.find("Scaled up replica set web-"), std::string::npos) << events.out;
  EXPECT_NE(events.out.find("Scaled down replica set web-"), std::string::npos) << events.out;

  // kubectl scale goes through the scale subresource.
  ASSERT_EQ(K("scale deploy/web --replicas=1").code, 0);
  ASSERT_TRUE(WaitFor([&] { return Jsonpath("pods -l app=web", "{.items[*].metadata.name}").find(' ') == std::string::npos &&
                                   ServingPods("app=web") == 1; }));
  K("delete deploy web");
}

TEST_F(ControllersE2E, ACrashingRolloutStallsAtItsDeadlineWhileOldPodsServe) {
  ASSERT_EQ(Apply(DeploymentYaml("stall", 2, kServe, "  progressDeadlineSeconds: 6\n")).code, 0);
  ASSERT_EQ(K("rollout status deploy/stall --timeout=60s").code, 0);
  // The new template crashes: its pods never become ready.
  ASSERT_EQ(Apply(DeploymentYaml("stall", 2, "exit 1", "  progressDeadlineSeconds: 6\n")).code, 0);
  auto status = K("rollout status deploy/stall --timeout=60s");
  EXPECT_NE(status.code, 0);
  EXPECT_NE(status.err.find("deployment \"stall\" exceeded its progress deadline"), std::string::npos) << status.out << status.err;
  EXPECT_EQ(Jsonpath("deploy stall", "{.status.conditions[?(@.type==\"Progressing\")].reason}"), "ProgressDeadlineExceeded");
  EXPECT_EQ(ServingPods("app=stall"), 2) << "the old pods keep serving";
  EXPECT_EQ(Jsonpath("deploy stall", "{.status.availableReplicas}"), "2");
  K("delete deploy stall");
}

TEST_F(ControllersE2E, DeletionPropagationLeavesWhatKubernetesWould) {
  for (const char* name : {"bg", "fg", "orphan"}) {
    ASSERT_EQ(Apply(DeploymentYaml(name, 2, kServe)).code, 0);
  }
  for (const char* name : {"bg", "fg", "orphan"}) {
    ASSERT_EQ(K(std::string("rollout status deploy/") + name + " --timeout=60s").code, 0);
  }
  auto count = [&](const std::string& kind, const std::string& app) {
    std::string names = Jsonpath(kind + " -l app=" + app, "{.items[*].metadata.name}");
    return names.empty() ? 0 : static_cast<int>(std::count(names.begin(), names.end(), ' ')) + 1;
  };
  // Background: the Deployment goes at once, its ReplicaSet and pods follow.
  ASSERT_EQ(K("delete deploy bg --cascade=background").code, 0);
  EXPECT_TRUE(WaitFor([&] { return count("rs", "bg") == 0 && count("pods", "bg") == 0; })) << K("get rs,pods").out;
  // Foreground: kubectl returns once the dependents are gone and then the Deployment.
  auto fg = K("delete deploy fg --cascade=foreground --timeout=60s");
  ASSERT_EQ(fg.code, 0) << fg.err;
  EXPECT_EQ(count("rs", "fg"), 0);
  EXPECT_NE(K("get deploy fg").code, 0);
  EXPECT_TRUE(WaitFor([&] { return count("pods", "fg") == 0; }));
  // Orphan: the ReplicaSet and its pods stay, owned by no one.
  ASSERT_EQ(K("delete deploy orphan --cascade=orphan").code, 0);
  ASSERT_TRUE(WaitFor([&] { return Jsonpath("rs -l app=orphan", "{.items[0].metadata.ownerReferences}").empty(); }));
  std::this_thread::sleep_for(2s);
  EXPECT_EQ(count("rs", "orphan"), 1);
  EXPECT_EQ(ServingPods("app=orphan"), 2);
  K("delete rs -l app=orphan");
}

TEST_F(ControllersE2E, JobRunsTenCompletionsAtMostThreeAtATime) {
  const std::string dir = HostDir("job-log");
  ASSERT_EQ(Apply("apiVersion: batch/v1\nkind: Job\nmetadata: {name: batch}\nspec:\n  completions: 10\n  parallelism: 3\n"
                  "  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: main\n        image: busybox\n"
                  "        command: [sh, -c, 'echo start $(date +%s.%N) >> /host/log; sleep 0.4; echo end $(date +%s.%N) >> /host/log']\n"
                  "        volumeMounts: [{name: host, mountPath: /host}]\n"
                  "      volumes: [{name: host, hostPath: {path: " + dir + "}}]\n")
                .code,
            0);
  auto wait = K("wait --for=condition=complete job/batch --timeout=90s");
  ASSERT_EQ(wait.code, 0) << wait.err << K("get job batch -o yaml").out;
  EXPECT_EQ(Jsonpath("job batch", "{.status.succeeded}"), "10");
  // Replay the pods' own start and end times: never more than three ran at once.
  std::vector<std::pair<double, int>> edges;
  std::istringstream log(ReadFile(dir + "/log"));
  for (std::string what; log >> what;) {
    double t;
    log >> t;
    edges.emplace_back(t, what == "start" ? 1 : -1);
  }
  std::sort(edges.begin(), edges.end());
  int running = 0, most = 0, starts = 0;
  for (auto [t, d] : edges) {
    running += d;
    most = std::max(most, running);
    starts += d > 0;
  }
  EXPECT_EQ(starts, 10);
  EXPECT_LE(most, 3);
  EXPECT_GE(most, 2) << "the pods ran in parallel";
  auto events = K("get events --field-selector involvedObject.name=batch -o jsonpath='{.items[*].reason}'").out;
  EXPECT_NE(events.find("SuccessfulCreate"), std::string::npos) << events;
  EXPECT_NE(events.find("Completed"), std::string::npos) << events;
  K("delete job batch");
}

TEST_F(ControllersE2E, IndexedJobRunsEachIndexExactlyOnce) {
  ASSERT_EQ(Apply("apiVersion: batch/v1\nkind: Job\nmetadata: {name: shards}\nspec:\n  completions: 6\n  parallelism: 3\n"
                  "  completionMode: Indexed\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n"
                  "      - name: main\n        image: busybox\n        command: [sh, -c, 'echo shard $JOB_COMPLETION_INDEX on $(hostname)']\n")
                .code,
            0);
  ASSERT_EQ(K("wait --for=condition=complete job/shards --timeout=90s").code, 0) << K("get job shards -o yaml").out;
  EXPECT_EQ(Jsonpath("job shards", "{.status.completedIndexes}"), "0-5");
  std::multiset<std::string> lines;
  for (const std::string& pod : [&] {
         std::vector<std::string> v;
         std::istringstream in(Jsonpath("pods -l job-name=shards", "{.items[*].metadata.name}"));
         for (std::string p; in >> p;) v.push_back(p);
         return v;
       }()) {
    std::string out = K("logs " + pod).out;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    lines.insert(out);
  }
  std::multiset<std::string> want;
  for (int i = 0; i < 6; ++i) want.insert("shard " + std::to_string(i) + " on shards-" + std::to_string(i));
  EXPECT_EQ(lines, want);
  EXPECT_EQ(Jsonpath("pods -l batch.kubernetes.io/job-completion-index=4", "{.items[0].metadata.annotations.batch\\.kubernetes\\.io/job-completion-index}"), "4");
  K("delete job shards");
}

TEST_F(ControllersE2E, FailingJobStopsAtItsBackoffLimit) {
  ASSERT_EQ(Apply("apiVersion: batch/v1\nkind: Job\nmetadata: {name: broken}\nspec:\n  backoffLimit: 1\n"
                  "  template:\n    spec:\n      restartPolicy: Never\n      containers:\n"
                  "      - {name: main, image: busybox, command: [sh, -c, 'exit 3']}\n")
                .code,
            0);
  auto wait = K("wait --for=condition=failed job/broken --timeout=90s");
  ASSERT_EQ(wait.code, 0) << wait.err << K("get job broken -o yaml").out;
  EXPECT_EQ(Jsonpath("job broken", "{.status.conditions[?(@.type==\"Failed\")].reason}"), "BackoffLimitExceeded");
  EXPECT_EQ(Jsonpath("job broken", "{.status.conditions[?(@.type==\"Failed\")].message}"), "Job has reached the specified backoff limit");
  EXPECT_EQ(Jsonpath("job broken", "{.status.failed}"), "2");
  EXPECT_EQ(Jsonpath("pods -l job-name=broken", "{.items[*].metadata.finalizers}"), "") << "outcomes recorded, pods let go";
  // The retry waited for the back-off (10 s after the first failure).
  Json pods = GetJson("pods -l job-name=broken");
  ASSERT_EQ(pods["items"].size(), 2u);
  std::vector<std::string> created;
  for (const Json& p : pods["items"]) created.push_back(p["metadata"]["creationTimestamp"]);
  std::sort(created.begin(), created.end());
  auto seconds_of_day = [](const std::string& ts) {
    return std::stoi(ts.substr(11, 2)) * 3600 + std::stoi(ts.substr(14, 2)) * 60 + std::stoi(ts.substr(17, 2));
  };
  EXPECT_GE((seconds_of_day(created[1]) - seconds_of_day(created[0]) + 86400) % 86400, 9) << created[0] << " " << created[1];
  K("delete job broken");
}

TEST_F(ControllersE2E, PodFailurePolicyIgnoresAndFailsAsTold) {
  const std::string dir = HostDir("policy");
  // The first attempt fails with 42 (ignored: not counted against backoffLimit 0), the second succeeds.
  ASSERT_EQ(Apply("apiVersion: batch/v1\nkind: Job\nmetadata: {name: flaky}\nspec:\n  backoffLimit: 0\n"
                  "  podFailurePolicy:\n    rules:\n    - {action: Ignore, onExitCodes: {operator: In, values: [42]}}\n"
                  "  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: main\n        image: busybox\n"
                  "        command: [sh, -c, 'test -f /host/tried && exit 0; touch /host/tried; exit 42']\n"
                  "        volumeMounts: [{name: host, mountPath: /host}]\n"
                  "      volumes: [{name: host, hostPath: {path: " + dir + "}}]\n")
                .code,
            0);
  ASSERT_EQ(K("wait --for=condition=complete job/flaky --timeout=60s").code, 0) << K("get job flaky -o yaml").out;
  EXPECT_EQ(Jsonpath("job flaky", "{.status.failed}"), "");
  EXPECT_EQ(Jsonpath("job flaky", "{.status.succeeded}"), "1");
  // FailJob ends the Job at the first matching failure, whatever the backoffLimit.
  ASSERT_EQ(Apply("apiVersion: batch/v1\nkind: Job\nmetadata: {name: fatal}\nspec:\n  backoffLimit: 6\n"
                  "  podFailurePolicy:\n    rules:\n    - {action: FailJob, onExitCodes: {containerName: main, operator: In, values: [7]}}\n"
                  "  template:\n    spec:\n      restartPolicy: Never\n      containers:\n"
                  "      - {name: main, image: busybox, command: [sh, -c, 'exit 7']}\n")
                .code,
            0);
  ASSERT_EQ(K("wait --for=condition=failed job/fatal --timeout=60s").code, 0) << K("get job fatal -o yaml").out;
  EXPECT_EQ(Jsonpath("job fatal", "{.status.conditions[?(@.type==\"Failed\")].reason}"), "PodFailurePolicy");
  EXPECT_NE(Jsonpath("job fatal", "{.status.conditions[?(@.type==\"Failed\")].message}").find("failed with exit code 7 matching FailJob rule at index 0"),
            std::string::npos);
  EXPECT_EQ(Jsonpath("job fatal", "{.status.failed}"), "1");
  K("delete job flaky fatal");
}

TEST_F(ControllersE2E, JobSuspendDeadlineAndTtl) {
  // Suspended: no pods until resumed.
  ASSERT_EQ(Apply("apiVersion: batch/v1\nkind: Job\nmetadata: {name: later}\nspec:\n  suspend: true\n"
                  "  template:\n    spec:\n      restartPolicy: Never\n      containers:\n"
                  "      - {name: main, image: busybox, command: [sh, -c, 'echo ran']}\n")
                .code,
            0);
  ASSERT_TRUE(WaitFor([&] { return Jsonpath("job later", "{.status.conditions[?(@.type==\"Suspended\")].status}") == "True"; }));
  EXPECT_EQ(Jsonpath("pods -l job-name=later", "{.items[*].metadata.name}"), "");
  ASSERT_EQ(K("patch job later --type=merge -p '{\"spec\":{\"suspend\":false}}'").code, 0);
  ASSERT_EQ(K("wait --for=condition=complete job/later --timeout=60s").code, 0);
  EXPECT_EQ(Jsonpath("job later", "{.status.conditions[?(@.type==\"Suspended\")].reason}"), "JobResumed");

  // activeDeadlineSeconds ends a Job that runs too long, and stops its pods.
  ASSERT_EQ(Apply("apiVersion: batch/v1\nkind: Job\nmetadata: {name: slow}\nspec:\n  activeDeadlineSeconds: 2\n"
                  "  template:\n    spec:\n      restartPolicy: Never\n      terminationGracePeriodSeconds: 1\n      containers:\n"
                  "      - {name: main, image: busybox, command: [sh, -c, 'trap exit TERM; sleep 100 & wait']}\n")
                .code,
            0);
  ASSERT_EQ(K("wait --for=condition=failed job/slow --timeout=60s").code, 0) << K("get job slow -o yaml").out;
  EXPECT_EQ(Jsonpath("job slow", "{.status.conditions[?(@.type==\"Failed\")].reason}"), "DeadlineExceeded");
  EXPECT_EQ(Jsonpath("job slow", "{.status.active}"), "");

  // ttlSecondsAfterFinished: the finished Job and its pods are removed.
  ASSERT_EQ(Apply("apiVersion: batch/v1\nkind: Job\nmetadata: {name: brief}\nspec:\n  ttlSecondsAfterFinished: 1\n"
                  "  template:\n    spec:\n      restartPolicy: Never\n      containers:\n"
                  "      - {name: main, image: busybox, command: [sh, -c, 'true']}\n")
                .code,
            0);
  EXPECT_TRUE(WaitFor([&] { return K("get job brief").code != 0 && Jsonpath("pods -l job-name=brief", "{.items[*].metadata.name}").empty(); }))
      << K("get job brief -o yaml").out;
  K("delete job later slow");
}

TEST_F(ControllersE2E, CronJobRunsOnDemandFromItsTemplate) {
  ASSERT_EQ(Apply("apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: nightly}\nspec:\n  schedule: '0 2 * * *'\n"
                  "  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n          containers:\n"
                  "          - {name: main, image: busybox, command: [sh, -c, 'echo retrained']}\n")
                .code,
            0);
  ASSERT_EQ(K("create job manual-run --from=cronjob/nightly").code, 0);
  ASSERT_EQ(K("wait --for=condition=complete job/manual-run --timeout=60s").code, 0);
  EXPECT_EQ(K("logs job/manual-run").out, "retrained\n");
  EXPECT_EQ(Jsonpath("job manual-run", "{.metadata.ownerReferences[0].kind}"), "CronJob");
  // Deleting the CronJob takes its Jobs and their pods along.
  ASSERT_EQ(K("delete cronjob nightly").code, 0);
  EXPECT_TRUE(WaitFor([&] { return K("get job manual-run").code != 0 && Jsonpath("pods -l job-name=manual-run", "{.items[*].metadata.name}").empty(); }))
      << K("get jobs,pods").out;
}

TEST_F(ControllersE2E, DeletingANamespaceDeletesEverythingInIt) {
  ASSERT_EQ(K("create namespace scratch").code, 0);
  ASSERT_EQ(K("-n scratch apply -f -", DeploymentYaml("svc", 2, kServe)).code, 0);
  ASSERT_EQ(K("-n scratch create job once --image=busybox -- sh -c 'trap exit TERM; sleep 1000 & wait'").code, 0);
  ASSERT_EQ(K("-n scratch rollout status deploy/svc --timeout=60s").code, 0);
  auto del = K("delete namespace scratch --timeout=90s");
  ASSERT_EQ(del.code, 0) << del.err;
  EXPECT_NE(K("get namespace scratch").code, 0);
  EXPECT_EQ(K("get pods -A -o jsonpath='{.items[?(@.metadata.namespace==\"scratch\")].metadata.name}'").out, "");
}

// The default StorageClass provisions a directory for each claim; Delete removes it with the
// claim, Retain keeps it; a class another provisioner serves waits for it.
TEST_F(ControllersE2E, ClaimsGetLocalPathVolumesThatFollowTheirReclaimPolicy) {
  const std::string classes = K("get storageclass").out;
  EXPECT_NE(classes.find("local-path (default)"), std::string::npos) << classes;
  EXPECT_NE(classes.find("mlkube.io/local-path"), std::string::npos) << classes;
  ASSERT_EQ(K("apply -f -",
              "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: keep}\n"
              "provisioner: mlkube.io/local-path\nreclaimPolicy: Retain\n---\n"
              "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: nfs}\nprovisioner: example.com/nfs\n---\n"
              "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data}\nspec:\n"
              "  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 2Gi}}\n---\n"
              "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: kept}\nspec:\n  storageClassName: keep\n"
              "  accessModes: [ReadWriteMany]\n  resources: {requests: {storage: 1Gi}}\n---\n"
              "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: remote}\nspec:\n  storageClassName: nfs\n"
              "  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 1Gi}}\n")
                .code,
            0);
  ASSERT_TRUE(WaitFor([] {
    return Jsonpath("pvc data", "{.status.phase}") == "Bound" && Jsonpath("pvc kept", "{.status.phase}") == "Bound";
  }, 30s)) << K("describe pvc").out;
  EXPECT_EQ(Jsonpath("pvc data", "{.spec.storageClassName}/{.status.capacity.storage}/{.status.accessModes[0]}"),
            "local-path/2Gi/ReadWriteOnce");
  const std::string volume = Jsonpath("pvc data", "{.spec.volumeName}");
  EXPECT_EQ(volume, "pvc-" + Jsonpath("pvc data", "{.metadata.uid}"));
  EXPECT_EQ(Jsonpath("pv " + volume, "{.status.phase}/{.spec.persistentVolumeReclaimPolicy}/{.spec.claimRef.name}"),
            "Bound/Delete/data");
  const std::string path = Jsonpath("pv " + volume, "{.spec.hostPath.path}");
  EXPECT_EQ(std::filesystem::path(path).parent_path(), std::filesystem::absolute(server_->dir() / "data" / "volumes"));
  EXPECT_TRUE(std::filesystem::is_directory(path)) << path;
  std::ofstream(std::filesystem::path(path) / "checkpoint") << "epoch 3";
  EXPECT_NE(K("get events --field-selector involvedObject.name=data -o jsonpath={.items[*].reason}").out.find(
                "ProvisioningSucceeded"),
            std::string::npos);
  const std::string kept_volume = Jsonpath("pvc kept", "{.spec.volumeName}");
  const std::string kept_path = Jsonpath("pv " + kept_volume, "{.spec.hostPath.path}");

  // Another provisioner's class: the claim waits, and says for what.
  EXPECT_TRUE(WaitFor([] {
    return K("get events --field-selector involvedObject.name=remote -o jsonpath={.items[*].message}")
               .out.find("Waiting for a volume to be created either by the external provisioner 'example.com/nfs'") !=
           std::string::npos;
  }, 30s));
  EXPECT_EQ(Jsonpath("pvc remote", "{.status.phase}"), "Pending");

  // Delete: the volume and its directory go with the claim. Retain: both stay, Released.
  ASSERT_EQ(K("delete pvc data kept remote").code, 0);
  EXPECT_TRUE(WaitFor([&] { return K("get pv " + volume).code != 0 && !std::filesystem::exists(path); }, 30s))
      << K("get pv").out;
  EXPECT_TRUE(WaitFor([&] { return Jsonpath("pv " + kept_volume, "{.status.phase}") == "Released"; }, 30s))
      << K("get pv").out;
  EXPECT_TRUE(std::filesystem::is_directory(kept_path));
  ASSERT_EQ(K("delete pv " + kept_volume).code, 0);
  ASSERT_EQ(K("delete storageclass keep nfs").code, 0);
}

TEST_F(ControllersE2E, BadWorkloadsAreRejectedWithCauses) {
  auto r = Apply("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: mismatch}\nspec:\n  selector: {matchLabels: {app: a}}\n"
                 "  template:\n    metadata: {labels: {app: b}}\n    spec: {containers: [{name: m, image: x}]}\n");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("spec.template.metadata.labels: Invalid value: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("`selector` does not match template `labels`"),
            std::string::npos) << r.err;
  r = Apply("apiVersion: batch/v1\nkind: Job\nmetadata: {name: negative}\nspec:\n  parallelism: -1\n"
            "  template: {spec: {restartPolicy: Never, containers: [{name: m, image: x}]}}\n");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("spec.parallelism: Invalid value: -1: must be greater than or equal to 0"), std::string::npos) << r.err;
  r = Apply("apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: garbled}\nspec:\n  schedule: 'every night'\n"
            "  jobTemplate: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: m, image: x}]}}}}\n");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("spec.schedule: Invalid value: \"every night\""), std::string::npos) << r.err;
  EXPECT_EQ(K("get deploy,jobs,cronjobs -o name").out, "") << "nothing half-made";
  EXPECT_EQ(server_->log().find("crash"), std::string::npos);
}

}  // namespace
}  // namespace mlkube::testing
