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
// is missing (files 0600, the directory 0700; DIR/pki/.lock serializes concurrent starts). The
// serving certificate's SANs cover `hosts` (IP addresses and DNS names; "localhost", 127.0.0.1
// and ::1 always); it is re-issued, keeping its earlier names, when a host is missing from it,
// when it no longer chains to the CA or matches its key, or within 30 days of expiry. A CA that
// is unreadable, mismatched or expired is replaced. Keys are ECDSA P-256; the CA lives 10 years,
// the serving certificate 1 year. An existing non-empty token file is kept as the operator's.
// BadRequest for a host that is neither an IP address nor a DNS name.
Result<Credentials> EnsureCredentials(const std::filesystem::path& data_dir,
                                      const std::vector<std::string>& hosts);

// Writes a kubeconfig (0600) with one cluster ("mlkube": server URL and CA data), one user
// ("admin": the token) and a current context "mlkube".
Status WriteKubeconfig(const std::filesystem::path& file, const std::string& server_url,
                       const Credentials& creds);

struct ServingCertificate {
  std::string cert_pem;
  std::string key_pem;
};

// A self-signed serving certificate for a node agent (which holds no CA key), kept as
// DIR/NAME.crt and DIR/NAME.key as the kubelet keeps its own, covering `hosts` and re-issued
// on the terms above. The API server trusts it by its fingerprint (CertSha256), which the agent
// publishes on its Node.
Result<ServingCertificate> EnsureSelfSignedCertificate(const std::filesystem::path& dir,
                                                       const std::string& common_name,
                                                       const std::vector<std::string>& hosts);

// The SHA-256 of a PEM certificate's DER form, in lower-case hex; "" when it does not parse.
std::string CertSha256(const std::string& cert_pem);

}  // namespace mlkube::apiserver
