// `mlkube apply|get|describe|delete|logs`: thin kubectl-like verbs over the HTTP client, for
// machines without kubectl. They read the same kubeconfig and print what kubectl prints for the
// common cases; anything fancier is kubectl's job.

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "api/json.h"
#include "api/registry.h"
#include "api/yaml.h"
#include "cli/commands.h"
#include "client/http_client.h"

namespace mlkube::cli {

namespace {

struct Common {
  std::string kubeconfig;
  std::string ns;
  bool all_namespaces = false;
};

client::HttpClient Connect(const Common& c) {
  auto cfg = client::LoadKubeconfig(c.kubeconfig.empty() ? client::DefaultKubeconfigPath()
                                                         : c.kubeconfig);
  if (!cfg.ok()) Die(cfg.status());
  return client::HttpClient(*cfg);
}

std::string Namespace(const Common& c, const client::HttpClient& client) {
  return c.ns.empty() ? client.config().ns : c.ns;
}

// "pods", "po", "pod", "deployments.apps", "deploy" -> the resource type.
const api::ResourceType* Resolve(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char ch) { return std::tolower(ch); });
  std::string group;
  if (auto dot = name.find('.'); dot != std::string::npos) {
    group = name.substr(dot + 1);
    name = name.substr(0, dot);
  }
  for (const auto& r : api::AllResources()) {
    if ((!group.empty() && r.group != group) || (group.empty() && !r.stored)) continue;
    if (r.plural == name || r.Singular() == name ||
        std::find(r.short_names.begin(), r.short_names.end(), name) != r.short_names.end()) {
      return &r;
    }
  }
  Die(Status(Code::kNotFound, "the server doesn't have a resource type \"" + name + "\""));
}

std::string CollectionPath(const api::ResourceType& r, const std::string& ns) { return r.Path(ns); }

std::string Query(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

// kubectl's `Error from server (Reason): message`, then exit 1.
[[noreturn]] void ServerError(const client::HttpResult& r, const std::string& context = "") {
  Json j = Json::parse(r.body, nullptr, false);
  std::string reason = j.is_object() ? j.value("reason", "") : "";
  std::string msg = j.is_object() ? j.value("message", r.body) : r.body;
  std::fprintf(stderr, "Error from server (%s): %s%s\n", reason.c_str(), context.c_str(), msg.c_str());
  std::exit(1);
}

client::HttpResult Must(Result<client::HttpResult> r) {
  if (!r.ok()) Die(r.status());
  return std::move(r).value();
}

std::string Qualified(const api::ResourceType& r) {
  return r.group.empty() ? r.Singular() : r.Singular() + "." + r.group;
}

void PrintTable(const Json& table, bool wide, bool with_namespace) {
  std::vector<size_t> cols;
  std::vector<std::string> headers;
  const Json& defs = table["columnDefinitions"];
  for (size_t i = 0; i < defs.size(); ++i) {
    if (!wide && defs[i].value("priority", 0) > 0) continue;
    cols.push_back(i);
    std::string h = defs[i].value("name", "");
    std::transform(h.begin(), h.end(), h.begin(), [](unsigned char c) { return std::toupper(c); });
    headers.push_back(h);
  }
  std::vector<std::vector<std::string>> rows;
  if (with_namespace) headers.insert(headers.begin(), "NAMESPACE");
  rows.push_back(headers);
  for (const auto& row : table["rows"]) {
    std::vector<std::string> cells;
    if (with_namespace) cells.push_back(row["object"]["metadata"].value("namespace", ""));
    for (size_t i : cols) {
      const Json& c = row["cells"][i];
      cells.push_back(c.is_string() ? c.get<std::string>() : c.is_null() ? "" : c.dump());
    }
    rows.push_back(std::move(cells));
  }
  std::vector<size_t> width(headers.size(), 0);
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 3, ' ');
    }
    std::puts(line.c_str());
  }
}

std::string ReadSource(const std::string& file) {
  std::stringstream ss;
  if (file == "-") {
    ss << std::cin.rdbuf();
  } else {
    std::ifstream f(file);
    if (!f) Die(Status(Code::kNotFound, "the path \"" + file + "\" does not exist"));
    ss << f.rdbuf();
  }
  return ss.str();
}

// Every object in the files (directories: their .yaml/.yml/.json files), Lists flattened.
std::vector<Json> ReadManifests(const std::vector<std::string>& files) {
  std::vector<Json> out;
  for (const auto& f : files) {
    std::vector<std::string> paths;
    if (f != "-" && std::filesystem::is_directory(f)) {
      for (const auto& e : std::filesystem::directory_iterator(f)) {
        auto ext = e.path().extension();
        if (ext == ".yaml" || ext == ".yml" || ext == ".json") paths.push_back(e.path());
      }
      std::sort(paths.begin(), paths.end());
    } else {
      paths.push_back(f);
    }
    for (const auto& p : paths) {
      auto docs = api::YamlDocumentsToJson(ReadSource(p));
      if (!docs.ok()) Die(Status(Code::kInvalid, "error parsing " + p + ": " + docs.status().message()));
      for (auto& d : *docs) {
        if (d.is_object() && d.value("kind", "").ends_with("List") && d.contains("items")) {
          for (auto& item : d["items"]) out.push_back(item);
        } else {
          out.push_back(std::move(d));
        }
      }
    }
  }
  return out;
}

const api::ResourceType& TypeOf(const Json& obj) {
  std::string gv = obj.value("apiVersion", "");
  std::string group = gv.find('/') == std::string::npos ? "" : gv.substr(0, gv.find('/'));
  const api::ResourceType* r = api::FindResourceByKind(group, obj.value("kind", ""));
  if (!r) {
    Die(Status(Code::kNotFound, "no matches for kind \"" + obj.value("kind", "") +
                                    "\" in version \"" + gv + "\""));
  }
  return *r;
}

std::string ObjectPath(const api::ResourceType& r, const std::string& ns, const std::string& name) {
  return CollectionPath(r, r.namespaced ? ns : "") + "/" + name;
}

// Whether `live` has every field `manifest` sets, with the same values (lists element by element).
bool Holds(const Json& live, const Json& manifest) {
  if (manifest.is_object()) {
    if (!live.is_object()) return false;
    for (const auto& [k, v] : manifest.items()) {
      auto it = live.find(k);
      if (it == live.end() || !Holds(*it, v)) return false;
    }
    return true;
  }
  if (manifest.is_array()) {
    if (!live.is_array() || live.size() != manifest.size()) return false;
    for (size_t i = 0; i < manifest.size(); ++i) {
      if (!Holds(live[i], manifest[i])) return false;
    }
    return true;
  }
  return live == manifest;
}

void AddApply(CLI::App& app, std::shared_ptr<Common> c) {
  auto* cmd = app.add_subcommand("apply", "Apply a configuration to resources (server-side apply)");
  auto files = std::make_shared<std::vector<std::string>>();
  cmd->add_option("-f,--filename", *files, "Files, directories or - for stdin")->required();
  cmd->callback([c, files] {
    auto client = Connect(*c);
    for (auto& obj : ReadManifests(*files)) {
      const auto& r = TypeOf(obj);
      std::string ns = obj["metadata"].value("namespace", Namespace(*c, client));
      std::string name = obj["metadata"].value("name", "");
      std::string path = ObjectPath(r, ns, name);
      auto before = Must(client.Do("GET", path));
      auto res = Must(client.Do("PATCH", path + "?fieldManager=mlkube&force=true", obj.dump(),
                                "application/apply-patch+yaml"));
      if (res.status >= 300) ServerError(res, "error when applying \"" + name + "\": ");
      std::string verb = "created";
      if (before.status == 200) {
        // As kubectl decides it: unchanged when the object already held everything the manifest
        // says (controllers may have written other fields, such as status, meanwhile).
        verb = Holds(Json::parse(before.body, nullptr, false), obj) ? "unchanged" : "configured";
      }
      std::printf("%s/%s %s\n", Qualified(r).c_str(), name.c_str(), verb.c_str());
    }
  });
}

void AddGet(CLI::App& app, std::shared_ptr<Common> c) {
  auto* cmd = app.add_subcommand("get", "Display one or many resources");
  auto args = std::make_shared<std::vector<std::string>>();
  auto output = std::make_shared<std::string>();
  auto selector = std::make_shared<std::string>();
  cmd->add_option("resource", *args, "TYPE [NAME]")->required();
  cmd->add_option("-o,--output", *output, "json|yaml|name|wide");
  cmd->add_option("-l,--selector", *selector, "Label selector");
  cmd->callback([c, args, output, selector] {
    auto client = Connect(*c);
    const auto& r = *Resolve((*args)[0]);
    std::string ns = c->all_namespaces ? "" : Namespace(*c, client);
    std::string path = args->size() > 1 ? ObjectPath(r, ns, (*args)[1]) : CollectionPath(r, ns);
    if (!selector->empty()) path += "?labelSelector=" + Query(*selector);
    bool table = output->empty() || *output == "wide";
    auto res = Must(client.Do("GET", path, "", "",
                              table ? "application/json;as=Table;v=v1;g=meta.k8s.io" : "application/json"));
    if (res.status >= 300) ServerError(res);
    Json j = Json::parse(res.body);
    if (table) {
      if (j["rows"].empty()) {
        std::fprintf(stderr, "No resources found%s.\n",
                     r.namespaced && !c->all_namespaces ? (" in " + ns + " namespace").c_str() : "");
        return;
      }
      PrintTable(j, *output == "wide", c->all_namespaces && r.namespaced);
    } else if (*output == "json") {
      std::puts(j.dump(4).c_str());
    } else if (*output == "yaml") {
      std::fputs(api::JsonToYaml(j).c_str(), stdout);
    } else if (*output == "name") {
      auto print = [&](const Json& o) { std::printf("%s/%s\n", Qualified(r).c_str(), o["metadata"].value("name", "").c_str()); };
      if (j.contains("items")) {
        for (const auto& o : j["items"]) print(o);
      } else {
        print(j);
      }
    } else {
      Die(Status(Code::kInvalid, "unable to match a printer suitable for the output format \"" + *output + "\""));
    }
  });
}

void AddDescribe(CLI::App& app, std::shared_ptr<Common> c) {
  auto* cmd = app.add_subcommand("describe", "Show details of a resource and its events");
  auto args = std::make_shared<std::vector<std::string>>();
  cmd->add_option("resource", *args, "TYPE NAME")->required()->expected(2);
  cmd->callback([c, args] {
    auto client = Connect(*c);
    const auto& r = *Resolve((*args)[0]);
    std::string ns = Namespace(*c, client);
    auto res = Must(client.Do("GET", ObjectPath(r, ns, (*args)[1])));
    if (res.status >= 300) ServerError(res);
    Json obj = Json::parse(res.body);
    obj["metadata"].erase("managedFields");
    std::fputs(api::JsonToYaml(obj).c_str(), stdout);
    std::string sel = "involvedObject.name=" + (*args)[1] + ",involvedObject.uid=" +
                      obj["metadata"].value("uid", "");
    auto ev = Must(client.Do("GET", "/api/v1/namespaces/" + (r.namespaced ? ns : "default") +
                                        "/events?fieldSelector=" + Query(sel)));
    Json events = Json::parse(ev.body, nullptr, false);
    std::puts("Events:");
    if (!events.is_object() || events["items"].empty()) {
      std::puts("  <none>");
      return;
    }
    std::printf("  %-8s %-20s %-24s %s\n", "Type", "Reason", "From", "Message");
    for (const auto& e : events["items"]) {
      std::printf("  %-8s %-20s %-24s %s\n", e.value("type", "").c_str(), e.value("reason", "").c_str(),
                  e.value("source", Json::object()).value("component", "").c_str(),
                  e.value("message", "").c_str());
    }
  });
}

void AddDelete(CLI::App& app, std::shared_ptr<Common> c) {
  auto* cmd = app.add_subcommand("delete", "Delete resources by name or by file");
  auto args = std::make_shared<std::vector<std::string>>();
  auto files = std::make_shared<std::vector<std::string>>();
  cmd->add_option("resource", *args, "TYPE NAME...");
  cmd->add_option("-f,--filename", *files, "Files, directories or - for stdin");
  cmd->callback([c, args, files] {
    auto client = Connect(*c);
    std::vector<std::tuple<const api::ResourceType*, std::string, std::string>> targets;
    for (auto& obj : ReadManifests(*files)) {
      targets.emplace_back(&TypeOf(obj), obj["metadata"].value("namespace", Namespace(*c, client)),
                           obj["metadata"].value("name", ""));
    }
    if (!args->empty()) {
      const auto* r = Resolve((*args)[0]);
      for (size_t i = 1; i < args->size(); ++i) targets.emplace_back(r, Namespace(*c, client), (*args)[i]);
    }
    if (targets.empty()) Die(Status(Code::kInvalid, "You must provide one or more resources by argument or filename."));
    for (const auto& [r, ns, name] : targets) {
      auto res = Must(client.Do("DELETE", ObjectPath(*r, ns, name), R"({"propagationPolicy":"Background"})"));
      if (res.status >= 300) ServerError(res);
      std::printf("%s \"%s\" deleted\n", Qualified(*r).c_str(), name.c_str());
    }
  });
}

void AddLogs(CLI::App& app, std::shared_ptr<Common> c) {
  auto* cmd = app.add_subcommand("logs", "Print the logs of a container in a pod");
  auto pod = std::make_shared<std::string>();
  auto container = std::make_shared<std::string>();
  auto follow = std::make_shared<bool>(false);
  cmd->add_option("pod", *pod, "POD")->required();
  cmd->add_option("-c,--container", *container, "Container name");
  cmd->add_flag("-f,--follow", *follow, "Stream the logs");
  cmd->callback([c, pod, container, follow] {
    auto client = Connect(*c);
    std::string path = "/api/v1/namespaces/" + Namespace(*c, client) + "/pods/" + *pod + "/log?";
    if (!container->empty()) path += "container=" + Query(*container) + "&";
    if (*follow) path += "follow=true";
    auto res = Must(client.Do("GET", path, "", "", "text/plain"));
    if (res.status >= 300) ServerError(res);
    std::fputs(res.body.c_str(), stdout);
  });
}

}  // namespace

void AddClientCommands(CLI::App& app) {
  auto c = std::make_shared<Common>();
  app.add_option("--kubeconfig", c->kubeconfig, "Path to the kubeconfig file")->envname("KUBECONFIG");
  app.add_option("-n,--namespace", c->ns, "Namespace");
  app.add_flag("-A,--all-namespaces", c->all_namespaces, "All namespaces");
  AddApply(app, c);
  AddGet(app, c);
  AddDescribe(app, c);
  AddDelete(app, c);
  AddLogs(app, c);
}

}  // namespace mlkube::cli
