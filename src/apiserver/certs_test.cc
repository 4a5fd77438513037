#include "apiserver/certs.h"

#include "common/base64.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

namespace mlkube::apiserver {
namespace {

namespace fs = std::filesystem;

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;

X509Ptr Cert(const std::string& pem) {
  std::unique_ptr<BIO, Deleter<BIO_free>> bio(BIO_new_mem_buf(pem.data(), pem.size()));
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

mode_t Mode(const fs::path& p) {
  struct stat st;
  if (stat(p.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

std::string CommonName(X509* cert) {
  char buf[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof(buf));
  return buf;
}

int LifetimeDays(X509* cert) {
  int days = 0, secs = 0;
  ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(cert), X509_get0_notAfter(cert));
  return days;
}

// Chain and name check as a TLS client does it: X509_verify_cert against the CA, for one host
// name or IP address.
bool VerifiesFor(const Credentials& creds, const std::string& host, bool is_ip) {
  X509Ptr ca = Cert(creds.ca_cert_pem);
  X509Ptr leaf = Cert(creds.server_cert_pem);
  if (!ca || !leaf) return false;
  StorePtr store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), ca.get());
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), nullptr);
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_SERVER);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  // The strict profile Python 3.13 enables by default.
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_X509_STRICT);
  if (is_ip) {
    X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
  } else {
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
  }
  int ok = X509_verify_cert(ctx.get());
  if (ok != 1) {
    ADD_FAILURE() << "verify " << host << ": "
                  << X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
  }
  return ok == 1;
}

bool NameCovered(const Credentials& creds, const std::string& host, bool is_ip) {
  X509Ptr leaf = Cert(creds.server_cert_pem);
  if (is_ip) return X509_check_ip_asc(leaf.get(), host.c_str(), 0) == 1;
  return X509_check_host(leaf.get(), host.c_str(), host.size(), 0, nullptr) == 1;
}

class CertsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mlkube-certs-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  Credentials Ensure(const std::vector<std::string>& hosts) {
    Result<Credentials> r = EnsureCredentials(dir_, hosts);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? *r : Credentials{};
  }

  fs::path Pki(const char* name) const { return dir_ / "pki" / name; }

  fs::path dir_;
};

TEST_F(CertsTest, FirstStartCreatesPrivateFiles) {
  Credentials creds = Ensure({"10.1.2.3", "mlkube.example.com"});
  EXPECT_EQ(Mode(dir_ / "pki"), 0700u);
  for (const char* f : {"ca.crt", "ca.key", "server.crt", "server.key", "admin.token"}) {
    ASSERT_TRUE(fs::exists(Pki(f))) << f;
    EXPECT_EQ(Mode(Pki(f)), 0600u) << f;
  }
  EXPECT_EQ(ReadFile(Pki("ca.crt")), creds.ca_cert_pem);
  EXPECT_EQ(ReadFile(Pki("server.crt")), creds.server_cert_pem);
  EXPECT_EQ(ReadFile(Pki("server.key")), creds.server_key_pem);
  EXPECT_NE(creds.server_key_pem.find("BEGIN PRIVATE KEY"), std::string::npos);
  ASSERT_EQ(creds.admin_token.size(), 64u);
  EXPECT_EQ(creds.admin_token.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(ReadFile(Pki("admin.token")), creds.admin_token + "\n");
  // Nothing half-written is left behind.
  for (const auto& entry : fs::directory_iterator(dir_ / "pki")) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos);
  }
}

TEST_F(CertsTest, CertificatesHaveTheRightShape) {
  Credentials creds = Ensure({});
  X509Ptr ca = Cert(creds.ca_cert_pem);
  X509Ptr leaf = Cert(creds.server_cert_pem);
  ASSERT_TRUE(ca && leaf);

  EXPECT_EQ(CommonName(ca.get()), "mlkube-ca");
  EXPECT_EQ(X509_check_ca(ca.get()), 1);
  int idx = X509_get_ext_by_NID(ca.get(), NID_basic_constraints, -1);
  ASSERT_GE(idx, 0);
  EXPECT_EQ(X509_EXTENSION_get_critical(X509_get_ext(ca.get(), idx)), 1);
  EXPECT_EQ(X509_get_key_usage(ca.get()) & (KU_KEY_CERT_SIGN | KU_CRL_SIGN),
            static_cast<uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  EXPECT_NEAR(LifetimeDays(ca.get()), 3650, 1);

  EXPECT_EQ(CommonName(leaf.get()), "mlkube-apiserver");
  EXPECT_EQ(X509_check_ca(leaf.get()), 0);
  EXPECT_TRUE(X509_get_extension_flags(leaf.get()) & EXFLAG_XKUSAGE);
  EXPECT_EQ(X509_get_extended_key_usage(leaf.get()), static_cast<uint32_t>(XKU_SSL_SERVER));
  EXPECT_NEAR(LifetimeDays(leaf.get()), 365, 1);
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(ca.get()), X509_get0_serialNumber(leaf.get())),
            0);

  EVP_PKEY* pub = X509_get0_pubkey(leaf.get());
  ASSERT_NE(pub, nullptr);
  EXPECT_TRUE(EVP_PKEY_is_a(pub, "EC"));
  char group[64] = {};
  size_t len = 0;
  ASSERT_EQ(EVP_PKEY_get_group_name(pub, group, sizeof(group), &len), 1);
  EXPECT_STREQ(group, "prime256v1");

  // The key file holds the serving certificate's key.
  std::unique_ptr<BIO, Deleter<BIO_free>> bio(
      BIO_new_mem_buf(creds.server_key_pem.data(), creds.server_key_pem.size()));
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  ASSERT_TRUE(key);
  EXPECT_EQ(X509_check_private_key(leaf.get(), key.get()), 1);
}

TEST_F(CertsTest, ServingCertificateVerifiesForEveryName) {
  Credentials creds = Ensure({"10.1.2.3", "MLKube.Example.com", "fd00::7", " "});
  EXPECT_TRUE(VerifiesFor(creds, "127.0.0.1", true));
  EXPECT_TRUE(VerifiesFor(creds, "::1", true));
  EXPECT_TRUE(VerifiesFor(creds, "localhost", false));
  EXPECT_TRUE(VerifiesFor(creds, "10.1.2.3", true));
  EXPECT_TRUE(VerifiesFor(creds, "fd00::7", true));
  EXPECT_TRUE(VerifiesFor(creds, "mlkube.example.com", false));
  EXPECT_FALSE(NameCovered(creds, "evil.example.com", false));
  EXPECT_FALSE(NameCovered(creds, "10.9.9.9", true));
}

TEST_F(CertsTest, SelfSignedAgentCertificateIsKeptAndPinnable) {
  auto first = EnsureSelfSignedCertificate(dir_ / "pki", "kubelet", {"10.1.2.3", "node-1"});
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(Mode(dir_ / "pki" / "kubelet.key"), 0600u);
  X509Ptr cert = Cert(first->cert_pem);
  ASSERT_TRUE(cert);
  EXPECT_EQ(CommonName(cert.get()), "kubelet");
  EXPECT_EQ(X509_verify(cert.get(), X509_get0_pubkey(cert.get())), 1);  // signed by its own key
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "10.1.2.3", 0), 1);
  EXPECT_EQ(X509_check_host(cert.get(), "node-1", 6, 0, nullptr), 1);
  // A restart keeps it (its fingerprint is what the API server pins); a new name re-issues it.
  auto again = EnsureSelfSignedCertificate(dir_ / "pki", "kubelet", {"10.1.2.3", "node-1"});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->cert_pem, first->cert_pem);
  auto moved = EnsureSelfSignedCertificate(dir_ / "pki", "kubelet", {"10.1.2.4", "node-1"});
  ASSERT_TRUE(moved.ok());
  EXPECT_NE(moved->cert_pem, first->cert_pem);
  // The fingerprint is the DER's SHA-256, as `openssl x509 -fingerprint -sha256` prints it.
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  ASSERT_EQ(X509_digest(cert.get(), EVP_sha256(), md, &n), 1);
  char hex[3];
  std::string want;
  for (unsigned int i = 0; i < n; ++i) {
    std::snprintf(hex, sizeof hex, "%02x", md[i]);
    want += hex;
  }
  EXPECT_EQ(CertSha256(first->cert_pem), want);
  EXPECT_EQ(want.size(), 64u);
  EXPECT_EQ(CertSha256("not a certificate"), "");
}

TEST_F(CertsTest, RestartReusesEverything) {
  Credentials first = Ensure({"10.1.2.3"});
  Credentials second = Ensure({"10.1.2.3"});
  EXPECT_EQ(second.ca_cert_pem, first.ca_cert_pem);
  EXPECT_EQ(second.server_cert_pem, first.server_cert_pem);
  EXPECT_EQ(second.server_key_pem, first.server_key_pem);
  EXPECT_EQ(second.admin_token, first.admin_token);
  // Hosts that are always present need no re-issue either.
  Credentials third = Ensure({"localhost", "127.0.0.1", "[::1]"});
  EXPECT_EQ(third.server_cert_pem, first.server_cert_pem);
}

TEST_F(CertsTest, NewHostReissuesOnlyTheServingCertificate) {
  Credentials first = Ensure({"10.1.2.3"});
  Credentials second = Ensure({"10.1.2.3", "gpu-box.local"});
  EXPECT_EQ(second.ca_cert_pem, first.ca_cert_pem);
  EXPECT_EQ(second.admin_token, first.admin_token);
  EXPECT_NE(second.server_cert_pem, first.server_cert_pem);
  EXPECT_NE(second.server_key_pem, first.server_key_pem);
  EXPECT_TRUE(VerifiesFor(second, "gpu-box.local", false));
  EXPECT_TRUE(VerifiesFor(second, "10.1.2.3", true));
  // A host dropped from the request keeps working: names are only ever added.
  Credentials third = Ensure({"gpu-box.local"});
  EXPECT_EQ(third.server_cert_pem, second.server_cert_pem);
  EXPECT_TRUE(VerifiesFor(third, "10.1.2.3", true));
}

TEST_F(CertsTest, DamagedFilesAreReplaced) {
  Credentials first = Ensure({});
  // A serving key that does not match its certificate (a crash between the two writes).
  fs::copy_file(Pki("ca.key"), Pki("server.key"), fs::copy_options::overwrite_existing);
  Credentials second = Ensure({});
  EXPECT_EQ(second.ca_cert_pem, first.ca_cert_pem);
  EXPECT_NE(second.server_cert_pem, first.server_cert_pem);
  EXPECT_TRUE(VerifiesFor(second, "localhost", false));

  // Garbage where the certificate was.
  std::ofstream(Pki("server.crt")) << "not a certificate";
  Credentials third = Ensure({});
  EXPECT_NE(third.server_cert_pem, second.server_cert_pem);
  EXPECT_TRUE(VerifiesFor(third, "127.0.0.1", true));

  // Losing the CA key means a new CA and a serving certificate under it; the token survives.
  fs::remove(Pki("ca.key"));
  Credentials fourth = Ensure({});
  EXPECT_NE(fourth.ca_cert_pem, first.ca_cert_pem);
  EXPECT_EQ(fourth.admin_token, first.admin_token);
  EXPECT_TRUE(VerifiesFor(fourth, "localhost", false));
}

TEST_F(CertsTest, TokenFileRules) {
  Credentials first = Ensure({});
  // Loose permissions are tightened, the token is kept.
  fs::permissions(Pki("admin.token"), fs::perms::owner_read | fs::perms::owner_write |
                                          fs::perms::group_read | fs::perms::others_read);
  Credentials second = Ensure({});
  EXPECT_EQ(second.admin_token, first.admin_token);
  EXPECT_EQ(Mode(Pki("admin.token")), 0600u);
  // An operator's own token is respected.
  std::ofstream(Pki("admin.token")) << "  my-own-token\n";
  EXPECT_EQ(Ensure({}).admin_token, "my-own-token");
  // An empty file gets a fresh random token.
  std::ofstream(Pki("admin.token")) << "\n";
  std::string fresh = Ensure({}).admin_token;
  EXPECT_EQ(fresh.size(), 64u);
  EXPECT_NE(fresh, first.admin_token);
}

TEST_F(CertsTest, RejectsHostsThatCannotBeNames) {
  Result<Credentials> r = EnsureCredentials(dir_, {"bad,host"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kBadRequest);
  r = EnsureCredentials(dir_, {"a b"});
  EXPECT_FALSE(r.ok());
}

TEST_F(CertsTest, KubeconfigParsesWithTheStandardFields) {
  Credentials creds = Ensure({});
  fs::path file = dir_ / "home" / ".kube" / "config";
  ASSERT_TRUE(WriteKubeconfig(file, "https://127.0.0.1:6443", creds).ok());
  EXPECT_EQ(Mode(file), 0600u);

  YAML::Node doc = YAML::LoadFile(file.string());
  EXPECT_EQ(doc["apiVersion"].as<std::string>(), "v1");
  EXPECT_EQ(doc["kind"].as<std::string>(), "Config");
  EXPECT_EQ(doc["current-context"].as<std::string>(), "mlkube");
  ASSERT_TRUE(doc["clusters"].IsSequence());
  ASSERT_EQ(doc["clusters"].size(), 1u);
  EXPECT_EQ(doc["clusters"][0]["name"].as<std::string>(), "mlkube");
  EXPECT_EQ(doc["clusters"][0]["cluster"]["server"].as<std::string>(), "https://127.0.0.1:6443");
  EXPECT_EQ(
      Base64Decode(doc["clusters"][0]["cluster"]["certificate-authority-data"].as<std::string>()).value_or(""),
      creds.ca_cert_pem);
  ASSERT_EQ(doc["users"].size(), 1u);
  EXPECT_EQ(doc["users"][0]["name"].as<std::string>(), "admin");
  EXPECT_EQ(doc["users"][0]["user"]["token"].as<std::string>(), creds.admin_token);
  ASSERT_EQ(doc["contexts"].size(), 1u);
  EXPECT_EQ(doc["contexts"][0]["name"].as<std::string>(), "mlkube");
  EXPECT_EQ(doc["contexts"][0]["context"]["cluster"].as<std::string>(), "mlkube");
  EXPECT_EQ(doc["contexts"][0]["context"]["user"].as<std::string>(), "admin");
}

TEST_F(CertsTest, KubeconfigRewriteIsAtomicAndQuotesValues) {
  Credentials creds = Ensure({});
  fs::path file = dir_ / "kubeconfig";
  ASSERT_TRUE(WriteKubeconfig(file, "https://127.0.0.1:6443", creds).ok());
  creds.admin_token = "tok: #not-a-comment";
  ASSERT_TRUE(WriteKubeconfig(file, "https://[::1]:6443/prefix?x=1#frag", creds).ok());
  YAML::Node doc = YAML::LoadFile(file.string());
  EXPECT_EQ(doc["clusters"][0]["cluster"]["server"].as<std::string>(),
            "https://[::1]:6443/prefix?x=1#frag");
  EXPECT_EQ(doc["users"][0]["user"]["token"].as<std::string>(), "tok: #not-a-comment");
  int entries = 0;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    (void)entry;
    ++entries;
  }
  EXPECT_EQ(entries, 2);  // pki/ and kubeconfig; no temporary files
}

TEST_F(CertsTest, KubeconfigReportsUnwritableTargets) {
  Credentials creds = Ensure({});
  // A directory where the file should go cannot be replaced by rename.
  fs::create_directories(dir_ / "taken");
  std::ofstream(dir_ / "taken" / "x") << "x";
  Status st = WriteKubeconfig(dir_ / "taken", "https://127.0.0.1:6443", creds);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Code::kInternal);
}

}  // namespace
}  // namespace mlkube::apiserver
