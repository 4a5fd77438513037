#include "agent/resolv_conf.h"

#include <algorithm>
#include <sstream>
#include <vector>

namespace mlkube::agent {

namespace {

struct ResolvConf {
  std::vector<std::string> nameservers, searches;
  std::vector<std::pair<std::string, std::string>> options;  // name, value ("" for none)

  void AddOption(const std::string& name, const std::string& value) {
    auto it = std::find_if(options.begin(), options.end(), [&](const auto& o) { return o.first == name; });
    if (it != options.end()) it->second = value;
    else options.emplace_back(name, value);
  }
  void AddSearch(const std::string& s) {
    if (!s.empty() && std::find(searches.begin(), searches.end(), s) == searches.end()) searches.push_back(s);
  }
};

ResolvConf Parse(const std::string& text) {
  ResolvConf c;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string key;
    words >> key;
    if (key.empty() || key[0] == '#' || key[0] == ';') continue;
    for (std::string w; words >> w;) {
      if (key == "nameserver") c.nameservers.push_back(w);
      if (key == "search" || key == "domain") c.AddSearch(w);
      if (key == "options") {
        const auto colon = w.find(':');
        c.AddOption(w.substr(0, colon), colon == std::string::npos ? "" : w.substr(colon + 1));
      }
    }
  }
  return c;
}

}  // namespace

std::string PodResolvConf(const Json& pod, const std::string& host_resolv_conf, const std::string& cluster_dns,
                          const std::string& cluster_domain) {
  const Json& spec = Member(pod, "spec");
  std::string policy = StringMember(spec, "dnsPolicy");
  if (policy.empty()) policy = "ClusterFirst";
  const bool host_network = Member(spec, "hostNetwork").is_boolean() && spec["hostNetwork"].get<bool>();
  if (policy == "ClusterFirst" && host_network) policy = "Default";
  const ResolvConf host = Parse(host_resolv_conf);
  ResolvConf c;
  if (policy == "Default") {
    c = host;
  } else if (policy != "None") {
    const std::string ns = StringMember(Member(pod, "metadata"), "namespace");
    if (!cluster_dns.empty()) c.nameservers = {cluster_dns};
    else c.nameservers = host.nameservers;  // no cluster DNS on this node
    for (const std::string& s : {ns + ".svc." + cluster_domain, "svc." + cluster_domain, cluster_domain}) c.AddSearch(s);
    for (const std::string& s : host.searches) c.AddSearch(s);
    c.AddOption("ndots", "5");
  }
  const Json& config = Member(spec, "dnsConfig");
  for (const Json& n : Member(config, "nameservers").is_array() ? config["nameservers"] : Json::array()) {
    if (n.is_string() && std::find(c.nameservers.begin(), c.nameservers.end(), n.get<std::string>()) == c.nameservers.end()) {
      c.nameservers.push_back(n.get<std::string>());
    }
  }
  for (const Json& s : Member(config, "searches").is_array() ? config["searches"] : Json::array()) {
    if (s.is_string()) c.AddSearch(s.get<std::string>());
  }
  for (const Json& o : Member(config, "options").is_array() ? config["options"] : Json::array()) {
    if (!StringMember(o, "name").empty()) c.AddOption(StringMember(o, "name"), StringMember(o, "value"));
  }
  if (c.nameservers.size() > 3) c.nameservers.resize(3);
  if (c.searches.size() > 32) c.searches.resize(32);

  std::string out;
  for (const std::string& n : c.nameservers) out += "nameserver " + n + "\n";
  if (!c.searches.empty()) {
    out += "search";
    for (const std::string& s : c.searches) out += " " + s;
    out += "\n";
  }
  if (!c.options.empty()) {
    out += "options";
    for (const auto& [name, value] : c.options) out += " " + name + (value.empty() ? "" : ":" + value);
    out += "\n";
  }
  return out;
}

}  // namespace mlkube::agent
