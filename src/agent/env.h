#pragma once
// A container's environment and command line, resolved as the kubelet resolves them: envFrom
// then env (later wins), valueFrom (fieldRef, resourceFieldRef, configMapKeyRef,
// secretKeyRef), and $(VAR) references expanded in values, command and args.

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/json.h"
#include "common/status.h"

namespace mlkube::agent {

struct EnvInputs {
  const Json* pod = nullptr;
  const Json* container = nullptr;
  std::string pod_ip, host_ip;
  // Node allocatable, for resourceFieldRef of a limit the container does not set.
  int64_t node_cpu_milli = 0, node_memory_bytes = 0;
  // Variables that come before the container's own (service links, the runtime's defaults).
  std::vector<std::pair<std::string, std::string>> base;
  // Fetches a ConfigMap or Secret ("ConfigMap"/"Secret", name) of the pod's namespace.
  std::function<Result<Json>(const std::string& kind, const std::string& name)> lookup;
};

using EnvList = std::vector<std::pair<std::string, std::string>>;

// A downward API value (env vars and downwardAPI volumes share them). metadata.labels and
// metadata.annotations as a whole print as `key="value"` lines, as in downwardAPI volumes.
Result<std::string> FieldRefValue(const EnvInputs& in, const Json& ref);
Result<std::string> ResourceFieldRefValue(const EnvInputs& in, const Json& ref);

// The Docker-link style variables Kubernetes gives every container for each Service of its
// namespace that has a cluster IP (enableServiceLinks): FOO_SERVICE_HOST, FOO_SERVICE_PORT,
// FOO_PORT_80_TCP_ADDR... `services` is a ServiceList's items.
std::vector<std::pair<std::string, std::string>> ServiceLinkEnv(const Json& services);

// The environment, in order, without duplicates. An error is what the kubelet reports as
// CreateContainerConfigError ("configmap \"x\" not found").
Result<EnvList> ResolveEnv(const EnvInputs& in);
// Expands $(NAME) from `vars`; $$ escapes, unknown references stay as written.
std::string ExpandVars(std::string_view s, const std::map<std::string, std::string>& vars);
// command + args with references expanded; empty when the container sets no command.
std::vector<std::string> CommandLine(const Json& container, const EnvList& env);

}  // namespace mlkube::agent
