#include "api/protobuf.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>

namespace mlkube::api {
namespace {

// A minimal protobuf encoder, enough to write the bodies kubectl sends by hand.
std::string Varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
  return out;
}
std::string Tag(int number, int wire_type) { return Varint(uint64_t(number) << 3 | wire_type); }
std::string Int(int number, int64_t v) { return Tag(number, 0) + Varint(uint64_t(v)); }
std::string Bytes(int number, const std::string& payload) {
  return Tag(number, 2) + Varint(payload.size()) + payload;
}
std::string Msg(int number, std::initializer_list<std::string> fields) {
  std::string payload;
  for (const std::string& f : fields) payload += f;
  return Bytes(number, payload);
}
// A map<string, V> entry: {key = 1, value = 2}.
std::string Entry(int number, const std::string& key, const std::string& value_field) {
  return Msg(number, {Bytes(1, key), value_field});
}
std::string StrEntry(int number, const std::string& key, const std::string& value) {
  return Entry(number, key, Bytes(2, value));
}
std::string Quantity(int number, const std::string& q) { return Msg(number, {Bytes(1, q)}); }
std::string IntOrStr(int number, int v) { return Msg(number, {Int(1, 0), Int(2, v)}); }
std::string IntOrStr(int number, const std::string& s) {
  return Msg(number, {Int(1, 1), Bytes(3, s)});
}

// The runtime.Unknown envelope behind the "k8s\0" magic.
std::string Body(const std::string& api_version, const std::string& kind, const std::string& raw) {
  return std::string("k8s\0", 4) + Msg(1, {Bytes(1, api_version), Bytes(2, kind)}) + Bytes(2, raw) +
         Bytes(3, "") + Bytes(4, "");
}

Json Decoded(const std::string& body) {
  Result<Json> r = DecodeProtobuf(body);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : Json();
}

std::string DecodeError(const std::string& body) {
  Result<Json> r = DecodeProtobuf(body);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kBadRequest);
  return r.status().message();
}

// ObjectMeta as Go marshals it: every non-pointer field, empty or not.
std::string Meta(const std::string& name, std::initializer_list<std::string> extra = {}) {
  std::string payload =
      Bytes(1, name) + Bytes(2, "") + Bytes(3, "") + Bytes(6, "") + Int(7, 0) + Bytes(8, "");
  for (const std::string& f : extra) payload += f;
  return Bytes(1, payload);
}

TEST(ProtobufTest, ConfigMap) {
  std::string raw =
      Meta("cm", {StrEntry(11, "app", "web")}) + StrEntry(2, "x", "1") + StrEntry(2, "y", "two") +
      Entry(3, "bin", Bytes(2, std::string("\x00\xff\x10", 3))) + Entry(3, "empty", "") + Int(4, 0);
  EXPECT_EQ(Decoded(Body("v1", "ConfigMap", raw)), Json::parse(R"({
    "apiVersion": "v1", "kind": "ConfigMap",
    "metadata": {"name": "cm", "creationTimestamp": null, "labels": {"app": "web"}},
    "data": {"x": "1", "y": "two"},
    "binaryData": {"bin": "AP8Q", "empty": ""},
    "immutable": false
  })"));
}

TEST(ProtobufTest, DeploymentWithZeroReplicas) {
  std::string container = Msg(
      2,
      {
          Bytes(1, "nginx"),
          Bytes(2, "nginx:1.27"),
          Bytes(3, "nginx"),
          Bytes(3, "-g"),
          Msg(6, {Bytes(1, "http"), Int(3, 80), Bytes(4, "TCP")}),
          Msg(7, {Bytes(1, "MODE"), Bytes(2, "prod")}),
          Msg(8, {Entry(1, "cpu", Quantity(2, "500m")), Entry(2, "memory", Quantity(2, "64Mi"))}),
          Msg(10, {Msg(1, {Msg(2, {Bytes(1, "/healthz"), IntOrStr(2, "http")})}), Int(4, 5)}),
      });
  std::string spec =
      Int(1, 0) +  // replicas: 0, present on the wire
      Msg(2, {StrEntry(1, "app", "d")}) +
      Msg(3, {Meta("", {StrEntry(11, "app", "d")}),
              Msg(2, {container, Int(4, -1), Bytes(3, "Always")})}) +
      Msg(4, {Bytes(1, "RollingUpdate"), Msg(2, {IntOrStr(1, 1), IntOrStr(2, "25%")})}) +
      Int(9, 600);
  std::string raw = Meta("d", {Msg(8, {Int(1, 1700000000), Int(2, 999)})}) + Msg(2, {spec});
  Json got = Decoded(Body("apps/v1", "Deployment", raw));
  EXPECT_EQ(got["apiVersion"], "apps/v1");
  EXPECT_EQ(got["kind"], "Deployment");
  EXPECT_EQ(got["metadata"]["creationTimestamp"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(got["spec"]["replicas"], 0);
  EXPECT_EQ(got["spec"]["progressDeadlineSeconds"], 600);
  EXPECT_EQ(got["spec"]["selector"], Json::parse(R"({"matchLabels": {"app": "d"}})"));
  EXPECT_EQ(got["spec"]["strategy"], Json::parse(R"({
    "type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": "25%"}})"));
  const Json& pod = got["spec"]["template"]["spec"];
  EXPECT_EQ(pod["terminationGracePeriodSeconds"], -1);
  EXPECT_EQ(pod["restartPolicy"], "Always");
  EXPECT_EQ(pod["containers"], Json::parse(R"([{
    "name": "nginx", "image": "nginx:1.27", "command": ["nginx", "-g"],
    "ports": [{"name": "http", "containerPort": 80, "protocol": "TCP"}],
    "env": [{"name": "MODE", "value": "prod"}],
    "resources": {"limits": {"cpu": "500m"}, "requests": {"memory": "64Mi"}},
    "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 5}
  }])"));
  EXPECT_FALSE(got.contains("status"));
}

TEST(ProtobufTest, ServiceTargetPorts) {
  std::string spec = Msg(1, {Bytes(1, "web"), Bytes(2, "TCP"), Int(3, 80), IntOrStr(4, 8080)}) +
                     Msg(1, {Int(3, 443), IntOrStr(4, "https")}) + StrEntry(2, "app", "web") +
                     Bytes(4, "ClusterIP");
  Json got = Decoded(Body("v1", "Service", Meta("svc") + Msg(2, {spec})));
  EXPECT_EQ(got["spec"], Json::parse(R"({
    "ports": [{"name": "web", "protocol": "TCP", "port": 80, "targetPort": 8080},
              {"port": 443, "targetPort": "https"}],
    "selector": {"app": "web"}, "type": "ClusterIP"})"));
}

// Go-embedded structs that protobuf nests (Volume's VolumeSource, EphemeralContainer's
// EphemeralContainerCommon, ConfigMapKeySelector's LocalObjectReference) land inline, as in JSON.
TEST(ProtobufTest, EmbeddedStructsAreInlined) {
  std::string volume =
      Msg(1, {Bytes(1, "cfg"), Msg(2, {Msg(19, {Msg(1, {Bytes(1, "cm")}), Int(3, 420)})})});
  std::string ephemeral =
      Msg(34, {Msg(1, {Bytes(1, "debug"), Bytes(2, "busybox")}), Bytes(2, "app")});
  std::string env =
      Msg(7, {Bytes(1, "KEY"), Msg(3, {Msg(3, {Msg(1, {Bytes(1, "cm")}), Bytes(2, "k")})})});
  std::string spec = volume + Msg(2, {Bytes(1, "app"), env}) + ephemeral +
                     Msg(14, {Int(4, 1), Int(4, 2), Bytes(4, Varint(3) + Varint(4))}) +
                     Bytes(99, "a field from a newer Kubernetes");
  Json got = Decoded(Body("v1", "Pod", Meta("p") + Msg(2, {spec})));
  EXPECT_EQ(got["spec"], Json::parse(R"({
    "volumes": [{"name": "cfg", "configMap": {"name": "cm", "defaultMode": 420}}],
    "containers": [{"name": "app",
                    "env": [{"name": "KEY",
                             "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "k"}}}]}],
    "ephemeralContainers": [{"name": "debug", "image": "busybox", "targetContainerName": "app"}],
    "securityContext": {"supplementalGroups": [1, 2, 3, 4]}})"));
}

TEST(ProtobufTest, TimesRawJsonAndQuantities) {
  // Lease's MicroTime keeps microseconds; an empty Time message is Go's zero time (null).
  std::string lease_spec = Bytes(1, "node-1") + Int(2, 40) +
                           Msg(4, {Int(1, 1700000000), Int(2, 123456789)}) + Msg(3, {});
  Json lease = Decoded(Body("coordination.k8s.io/v1", "Lease", Meta("l") + Msg(2, {lease_spec})));
  EXPECT_EQ(lease["spec"], Json::parse(R"({"holderIdentity": "node-1",
    "leaseDurationSeconds": 40, "renewTime": "2023-11-14T22:13:20.123456Z",
    "acquireTime": null})"));

  std::string managed = Msg(
      17, {Bytes(1, "kubectl"), Bytes(2, "Update"), Msg(7, {Bytes(1, R"({"f:data":{".":{}}})")})});
  Json cm = Decoded(Body("v1", "ConfigMap", Meta("cm", {managed})));
  EXPECT_EQ(cm["metadata"]["managedFields"], Json::parse(R"([{"manager": "kubectl",
    "operation": "Update", "fieldsV1": {"f:data": {".": {}}}}])"));

  // HPA v2's tolerance is a Quantity; an empty Quantity is Go's zero, "0".
  std::string rules = Msg(1, {Int(3, 0), Msg(4, {})});
  Json hpa = Decoded(Body("autoscaling/v2", "HorizontalPodAutoscaler",
                          Meta("h") + Msg(2, {Int(3, 5), Msg(5, {rules})})));
  EXPECT_EQ(hpa["spec"], Json::parse(R"({"maxReplicas": 5,
    "behavior": {"scaleUp": {"stabilizationWindowSeconds": 0, "tolerance": "0"}}})"));
}

// What `kubectl autoscale` sends.
TEST(ProtobufTest, AutoscalingV1HorizontalPodAutoscaler) {
  std::string spec =
      Msg(1, {Bytes(1, "Deployment"), Bytes(2, "d"), Bytes(3, "apps/v1")}) + Int(3, 5) + Int(4, 70);
  Json got = Decoded(Body("autoscaling/v1", "HorizontalPodAutoscaler",
                          Meta("d") + Msg(2, {spec}) + Msg(3, {Int(3, 0), Int(4, 0)})));
  EXPECT_EQ(got["spec"], Json::parse(R"({
    "scaleTargetRef": {"kind": "Deployment", "name": "d", "apiVersion": "apps/v1"},
    "maxReplicas": 5, "targetCPUUtilizationPercentage": 70})"));
  EXPECT_EQ(got["status"], Json::parse(R"({"currentReplicas": 0, "desiredReplicas": 0})"));
}

TEST(ProtobufTest, PriorityClassAndNamespace) {
  Json pc = Decoded(Body("scheduling.k8s.io/v1", "PriorityClass",
                         Meta("pc") + Int(2, 1000) + Int(3, 0) + Bytes(4, "")));
  EXPECT_EQ(pc["value"], 1000);
  // Zeros of non-pointer fields are left out, as Go's JSON (omitempty) leaves them out.
  EXPECT_FALSE(pc.contains("globalDefault"));
  EXPECT_FALSE(pc["metadata"].contains("generateName"));
  Json ns = Decoded(Body("v1", "Namespace", Meta("n") + Msg(2, {}) + Msg(3, {Bytes(1, "")})));
  EXPECT_EQ(ns["spec"], Json::object());
  EXPECT_EQ(ns["status"], Json::object());
}

TEST(ProtobufTest, Errors) {
  const std::string magic("k8s\0", 4);
  EXPECT_NE(DecodeError("k8s").find("prefix"), std::string::npos);
  EXPECT_NE(DecodeError("{\"kind\":\"Pod\"}").find("prefix"), std::string::npos);
  EXPECT_NE(DecodeError(magic + "\x0a\x80").find("truncated varint"), std::string::npos);
  EXPECT_NE(DecodeError(magic + std::string(11, '\xff')).find("longer than 10 bytes"),
            std::string::npos);
  EXPECT_NE(DecodeError(magic + "\x12\x05" + "ab").find("past the end"), std::string::npos);
  EXPECT_NE(DecodeError(magic + "\x0b").find("unsupported wire type 3"), std::string::npos);
  EXPECT_NE(DecodeError(magic).find("no apiVersion or kind"), std::string::npos);
  EXPECT_EQ(DecodeError(Body("v1", "Bogus", "")),
            "protobuf: no kind \"Bogus\" is registered for version \"v1\"");
  EXPECT_NE(DecodeError(Body("apps/v2", "Deployment", "")).find("no kind"), std::string::npos);
  // Field-level errors name the field.
  EXPECT_EQ(DecodeError(Body("apps/v1", "Deployment", Msg(2, {Bytes(1, "3")}))),
            "protobuf: spec.replicas: wire type length-delimited, want varint");
  EXPECT_EQ(DecodeError(Body("v1", "ConfigMap", Int(2, 1))),
            "protobuf: data: wire type varint, want length-delimited");
  EXPECT_EQ(DecodeError(Body("v1", "ConfigMap", Meta("\xff"))),
            "protobuf: metadata.name: string is not valid UTF-8");
  EXPECT_NE(DecodeError(Body("v1", "ConfigMap", Bytes(1, "\x0a\x09short"))).find("past the end"),
            std::string::npos);
  std::string gce =
      Msg(1, {Bytes(1, "pd"), Msg(2, {Msg(3, {Bytes(1, "disk"), Bytes(2, "ext4")})})});
  EXPECT_EQ(DecodeError(Body("v1", "Pod", Msg(2, {gce}))),
            "protobuf: spec.volumes[0].gcePersistentDisk: this field cannot be decoded from "
            "protobuf; send the object as JSON");
  EXPECT_NE(DecodeError(Body("v1", "Pod", Meta("p", {Msg(8, {Int(1, INT64_MAX)})})))
                .find("outside years 1 to 9999"),
            std::string::npos);
}

// The decoder faces the network: no prefix or single-byte corruption of a real body may crash
// it or make it read out of bounds (run under the sanitizers to see the latter).
TEST(ProtobufTest, SurvivesCorruption) {
  std::string spec =
      Int(1, 3) + Msg(2, {StrEntry(1, "app", "d")}) +
      Msg(3, {Msg(2, {Msg(2, {Bytes(1, "c"), Bytes(2, "img"), Msg(6, {Int(3, 80)})})})});
  std::string body = Body("apps/v1", "Deployment", Meta("d") + Msg(2, {spec}));
  ASSERT_TRUE(DecodeProtobuf(body).ok());
  for (size_t n = 0; n < body.size(); ++n) (void)DecodeProtobuf(body.substr(0, n));
  for (size_t i = 4; i < body.size(); ++i) {
    for (int b : {0x00, 0x01, 0x02, 0x05, 0x07, 0x7f, 0x80, 0xff}) {
      std::string mutated = body;
      mutated[i] = static_cast<char>(b);
      (void)DecodeProtobuf(mutated);
    }
  }
}

}  // namespace
}  // namespace mlkube::api
