#pragma once
// An API server in the test's own process, on a fresh data directory, with a client and shared
// informers over it: what controller and proxy tests run against (no binary, TLS or agent).

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "apiserver/api_server.h"
#include "client/informer.h"
#include "client/local_client.h"

namespace mlkube::testing {

class InProcessApi {
 public:
  // `name` tells the data directory apart: <tmp>/mlkube-<name>-<pid>.
  explicit InProcessApi(const std::string& name)
      : dir_(std::filesystem::temp_directory_path() / ("mlkube-" + name + "-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(dir_);
    apiserver::ApiServer::Options o;
    o.data_dir = dir_;
    o.port = 0;
    auto server = apiserver::ApiServer::Start(o);
    if (!server.ok()) {
      ADD_FAILURE() << server.status().message();
      return;
    }
    server_ = std::move(*server);
    client_ = std::make_unique<client::LocalClient>(server_->LocalClient("test"));
    informers_ = std::make_unique<client::SharedInformers>(*client_);
  }
  ~InProcessApi() {
    if (informers_) informers_->Stop();
    if (server_) server_->Stop();
    std::filesystem::remove_all(dir_);
  }
  InProcessApi(const InProcessApi&) = delete;
  InProcessApi& operator=(const InProcessApi&) = delete;

  bool ok() const { return server_ != nullptr; }
  client::LocalClient& client() { return *client_; }
  // Informers made before StartInformers run once it is called (handlers first, as client-go).
  client::SharedInformers& informers() { return *informers_; }
  bool StartInformers() {
    informers_->Start();
    return informers_->WaitForSync(std::chrono::seconds(10));
  }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<apiserver::ApiServer> server_;
  std::unique_ptr<client::LocalClient> client_;
  std::unique_ptr<client::SharedInformers> informers_;
};

}  // namespace mlkube::testing
