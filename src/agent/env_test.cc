#include "agent/env.h"

#include <gtest/gtest.h>

namespace mlkube::agent {
namespace {

Json Pod() {
  return Json::parse(R"({
    "metadata": {"name": "train-0", "namespace": "ml", "uid": "u-1",
                 "labels": {"app": "trainer"}, "annotations": {"team": "vision"}},
    "spec": {"nodeName": "gpu-1", "serviceAccountName": "default"}})");
}

Result<Json> Lookup(const std::string& kind, const std::string& name) {
  if (kind == "ConfigMap" && name == "cfg") return Json::parse(R"({"data": {"LR": "0.01", "EPOCHS": "5"}})");
  if (kind == "Secret" && name == "creds") return Json::parse(R"({"data": {"TOKEN": "czNjcjN0"}})");
  return Status(Code::kNotFound, "not found");
}

EnvList Resolve(const std::string& container_json, std::string* error = nullptr) {
  Json pod = Pod();
  Json c = Json::parse(container_json);
  EnvInputs in;
  in.pod = &pod;
  in.container = &c;
  in.pod_ip = "10.88.0.5";
  in.host_ip = "192.168.1.2";
  in.node_cpu_milli = 2000;
  in.node_memory_bytes = int64_t{8} << 30;
  in.base = {{"PATH", "/usr/bin:/bin"}};
  in.lookup = Lookup;
  auto env = ResolveEnv(in);
  if (!env.ok()) {
    if (error) *error = env.status().message();
    return {};
  }
  return *env;
}

std::string Value(const EnvList& env, const std::string& name) {
  for (const auto& [n, v] : env) {
    if (n == name) return v;
  }
  return "<unset>";
}

TEST(EnvTest, ValuesFieldsResourcesConfigMapsSecrets) {
  EnvList env = Resolve(R"J({
    "resources": {"limits": {"memory": "2Gi"}, "requests": {"cpu": "250m"}},
    "envFrom": [{"configMapRef": {"name": "cfg"}, "prefix": "CFG_"}],
    "env": [
      {"name": "NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
      {"name": "APP", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
      {"name": "TEAM", "valueFrom": {"fieldRef": {"fieldPath": "metadata.annotations['team']"}}},
      {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
      {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
      {"name": "MEM_MI", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1Mi"}}},
      {"name": "CPU_REQ", "valueFrom": {"resourceFieldRef": {"resource": "requests.cpu", "divisor": "1m"}}},
      {"name": "CPU_LIM", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu"}}},
      {"name": "LR", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "LR"}}},
      {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "TOKEN"}}},
      {"name": "GREETING", "value": "hello $(NAME) on $(NODE), $$(NAME) $(UNKNOWN)"},
      {"name": "CFG_LR", "value": "override"}
    ]})J");
  EXPECT_EQ(Value(env, "PATH"), "/usr/bin:/bin");
  EXPECT_EQ(Value(env, "NAME"), "train-0");
  EXPECT_EQ(Value(env, "APP"), "trainer");
  EXPECT_EQ(Value(env, "TEAM"), "vision");
  EXPECT_EQ(Value(env, "POD_IP"), "10.88.0.5");
  EXPECT_EQ(Value(env, "NODE"), "gpu-1");
  EXPECT_EQ(Value(env, "MEM_MI"), "2048");
  EXPECT_EQ(Value(env, "CPU_REQ"), "250");
  EXPECT_EQ(Value(env, "CPU_LIM"), "2");  // unset limit: the node's allocatable
  EXPECT_EQ(Value(env, "LR"), "0.01");
  EXPECT_EQ(Value(env, "TOKEN"), "s3cr3t");
  EXPECT_EQ(Value(env, "CFG_EPOCHS"), "5");
  EXPECT_EQ(Value(env, "CFG_LR"), "override");  // env wins over envFrom
  EXPECT_EQ(Value(env, "GREETING"), "hello train-0 on gpu-1, $(NAME) $(UNKNOWN)");
  int cfg_lr = 0;
  for (const auto& [n, v] : env) cfg_lr += n == "CFG_LR";
  EXPECT_EQ(cfg_lr, 1);
}

TEST(EnvTest, MissingReferencesFailUnlessOptional) {
  std::string error;
  Resolve(R"({"env": [{"name": "X", "valueFrom": {"configMapKeyRef": {"name": "nope", "key": "k"}}}]})", &error);
  EXPECT_EQ(error, "configmap \"nope\" not found");
  Resolve(R"({"env": [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "missing"}}}]})", &error);
  EXPECT_EQ(error, "couldn't find key missing in Secret ml/creds");
  Resolve(R"({"envFrom": [{"secretRef": {"name": "gone"}}]})", &error);
  EXPECT_EQ(error, "secret \"gone\" not found");
  error.clear();
  EnvList env = Resolve(R"({"env": [{"name": "X", "valueFrom": {"configMapKeyRef": {"name": "nope", "key": "k", "optional": true}}}],
                            "envFrom": [{"secretRef": {"name": "gone", "optional": true}}]})", &error);
  EXPECT_EQ(error, "");
  EXPECT_EQ(Value(env, "X"), "<unset>");
}

TEST(EnvTest, CommandLineExpandsReferences) {
  Json c = Json::parse(R"J({"command": ["python3", "train.py"], "args": ["--lr=$(LR)", "$$(LR)"]})J");
  EXPECT_EQ(CommandLine(c, {{"LR", "0.1"}}), (std::vector<std::string>{"python3", "train.py", "--lr=0.1", "$(LR)"}));
  EXPECT_TRUE(CommandLine(Json::parse(R"({"args": ["x"]})"), {}).empty());
}

TEST(EnvTest, ServiceLinksAsKubernetesWritesThem) {
  Json services = Json::parse(R"({"items": [
    {"metadata": {"name": "model-service"}, "spec": {"clusterIP": "10.96.0.20",
      "ports": [{"name": "http", "port": 80, "protocol": "TCP"}, {"name": "grpc", "port": 9000}]}},
    {"metadata": {"name": "headless"}, "spec": {"clusterIP": "None", "ports": [{"port": 80}]}},
    {"metadata": {"name": "pending"}, "spec": {"ports": [{"port": 80}]}}]})")["items"];
  EnvList env = ServiceLinkEnv(services);
  EXPECT_EQ(Value(env, "MODEL_SERVICE_SERVICE_HOST"), "10.96.0.20");
  EXPECT_EQ(Value(env, "MODEL_SERVICE_SERVICE_PORT"), "80");
  EXPECT_EQ(Value(env, "MODEL_SERVICE_SERVICE_PORT_GRPC"), "9000");
  EXPECT_EQ(Value(env, "MODEL_SERVICE_PORT"), "tcp://10.96.0.20:80");
  EXPECT_EQ(Value(env, "MODEL_SERVICE_PORT_9000_TCP_ADDR"), "10.96.0.20");
  EXPECT_EQ(Value(env, "MODEL_SERVICE_PORT_80_TCP_PROTO"), "tcp");
  EXPECT_EQ(Value(env, "HEADLESS_SERVICE_HOST"), "<unset>");
  EXPECT_EQ(Value(env, "PENDING_SERVICE_HOST"), "<unset>");
}

}  // namespace
}  // namespace mlkube::agent
