#include "proxy/nftables.h"

#include <nftables/libnftables.h>

namespace mlkube::proxy {

Result<std::unique_ptr<Nftables>> Nftables::Open() {
  nft_ctx* ctx = nft_ctx_new(NFT_CTX_DEFAULT);
  if (!ctx) return Status(Code::kInternal, "nftables: cannot create a context");
  nft_ctx_buffer_output(ctx);
  nft_ctx_buffer_error(ctx);
  return std::unique_ptr<Nftables>(new Nftables(ctx));
}

Nftables::~Nftables() { nft_ctx_free(ctx_); }

Status Nftables::Run(const std::string& script) {
  std::lock_guard lock(mu_);
  if (nft_run_cmd_from_buffer(ctx_, script.c_str()) != 0) {
    std::string err = nft_ctx_get_error_buffer(ctx_);
    while (!err.empty() && err.back() == '\n') err.pop_back();
    return Status(Code::kInternal, "nftables: " + err);
  }
  return Status::Ok();
}

std::string Nftables::ListTable(const std::string& name) {
  std::lock_guard lock(mu_);
  if (nft_run_cmd_from_buffer(ctx_, ("list table ip " + name).c_str()) != 0) {
    nft_ctx_get_error_buffer(ctx_);  // drains it
    return "";
  }
  return nft_ctx_get_output_buffer(ctx_);
}

}  // namespace mlkube::proxy
