#pragma once
// First-start credentials: a CA, a serving certificate signed by it, and an admin bearer token,
// kept in the data directory and reused on later starts; and the kubeconfig that points kubectl
// at the server with them.

#include <filesystem>
#include <string>
#include <vector>

#include "common/status.h"

namespace mlkube::apiserver {

struct Credentials {
  std::string ca_cert_pem;
  std::string server_cert_pem;
  std::string server_key_pem;
  std::string admin_token;  // opaque random token (hex, 64 chars)
};

// Loads DIR/pki/{ca.crt,ca.key,server.crt,server.key} and DIR/pki/admin.token, creating whatever
// is missing (files 0600, the directory 0700). The serving certificate's SANs cover `hosts`
// (IP addresses and DNS names; "localhost" and 127.0.0.1 always); it is re-issued when a host is
// missing from it. Keys are ECDSA P-256; the CA lives 10 years, the serving certificate 1 year.
Result<Credentials> EnsureCredentials(const std::filesystem::path& data_dir,
                                      const std::vector<std::string>& hosts);

// Writes a kubeconfig (0600) with one cluster ("mlkube": server URL and CA data), one user
// ("admin": the token) and a current context "mlkube".
Status WriteKubeconfig(const std::filesystem::path& file, const std::string& server_url,
                       const Credentials& creds);

}  // namespace mlkube::apiserver
