#pragma once
// nftables through libnftables (Debian's libnftables1): the same language as `nft -f`, run
// in-process, so a rules update costs a netlink transaction and no fork/exec.
// Thread-safety: internally locked.

#include <memory>
#include <mutex>
#include <string>

#include "common/status.h"

struct nft_ctx;

namespace mlkube::proxy {

class Nftables {
 public:
  static Result<std::unique_ptr<Nftables>> Open();
  ~Nftables();
  // Runs a script as one transaction: all of it applies, or none.
  Status Run(const std::string& script);
  // `list table ip NAME`; empty when there is no such table.
  std::string ListTable(const std::string& name);

 private:
  explicit Nftables(nft_ctx* ctx) : ctx_(ctx) {}
  std::mutex mu_;
  nft_ctx* ctx_;
};

}  // namespace mlkube::proxy
