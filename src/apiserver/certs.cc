#include "apiserver/certs.h"

#include "common/base64.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string_view>
#include <system_error>
#include <utility>

#include "api/json.h"

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
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES_free>>;

constexpr long kDay = 24 * 60 * 60;
constexpr long kCaLifetime = 10 * 365 * kDay;
constexpr long kServingLifetime = 365 * kDay;
// Certificates start an hour in the past so clients with a lagging clock accept them at once.
constexpr long kBackdate = 60 * 60;
// A serving certificate this close to expiry is replaced at start rather than left to lapse.
constexpr long kRenewBefore = 30 * kDay;

constexpr const char* kCaCommonName = "mlkube-ca";
constexpr const char* kServingCommonName = "mlkube-apiserver";

// Drains OpenSSL's thread-local error queue into a message so later calls start clean.
Status SslError(std::string_view what) {
  std::string msg(what);
  unsigned long e;
  bool first = true;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    msg += first ? ": " : "; ";
    msg += buf;
    first = false;
  }
  return Internal(msg);
}

Status ErrnoError(std::string_view what, const fs::path& path, int err) {
  return Internal(std::string(what) + " " + path.string() + ": " + std::strerror(err));
}

// ---------------------------------------------------------------------------------------------
// Files.

// nullopt when the file does not exist; an error when it exists but cannot be read.
Result<std::optional<std::string>> ReadIfExists(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    if (ec) return ErrnoError("stat", path, ec.value());
    return std::optional<std::string>();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return ErrnoError("open", path, errno);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return ErrnoError("read", path, errno);
  return std::optional<std::string>(ss.str());
}

// Writes through a 0600 temporary file in the same directory and renames it into place, so
// readers see the old contents or the new, never a torn file, and secrets are never readable by
// others even for an instant.
Status WriteFileAtomic(const fs::path& path, std::string_view contents) {
  std::string tmpl = path.string() + ".tmp.XXXXXX";
  int fd = mkstemp(tmpl.data());  // creates the file 0600
  if (fd < 0) return ErrnoError("create temporary file for", path, errno);
  const fs::path tmp(tmpl);
  auto fail = [&](std::string_view what) {
    int err = errno;
    close(fd);
    unlink(tmpl.c_str());
    return ErrnoError(what, path, err);
  };
  if (fchmod(fd, 0600) != 0) return fail("chmod");
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = write(fd, contents.data() + done, contents.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write");
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) return fail("fsync");
  if (close(fd) != 0) {
    int err = errno;
    unlink(tmpl.c_str());
    return ErrnoError("close", path, err);
  }
  if (rename(tmpl.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(tmpl.c_str());
    return ErrnoError("rename into", path, err);
  }
  // Makes the rename itself durable.
  fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return Status::Ok();
}

// Tightens a file that exists with looser permissions (for instance restored from a backup).
Status EnsureMode0600(const fs::path& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return ErrnoError("stat", path, errno);
  if ((st.st_mode & 07777) != 0600 && chmod(path.c_str(), 0600) != 0) {
    return ErrnoError("chmod", path, errno);
  }
  return Status::Ok();
}

// Serializes first starts of several processes on one data directory, which would otherwise
// each mint a different CA. Released when the descriptor closes.
class DirLock {
 public:
  static Result<std::unique_ptr<DirLock>> Acquire(const fs::path& dir) {
    fs::path file = dir / ".lock";
    int fd = open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return ErrnoError("open", file, errno);
    while (flock(fd, LOCK_EX) != 0) {
      if (errno != EINTR) {
        int err = errno;
        close(fd);
        return ErrnoError("lock", file, err);
      }
    }
    return std::unique_ptr<DirLock>(new DirLock(fd));
  }
  ~DirLock() { close(fd_); }
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_;
};

// ---------------------------------------------------------------------------------------------
// PEM.

Result<std::string> BioContents(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  if (len < 0 || (len > 0 && data == nullptr)) return Internal("empty PEM buffer");
  return std::string(data, static_cast<size_t>(len));
}

Result<std::string> CertPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return SslError("encode certificate");
  return BioContents(bio.get());
}

Result<std::string> KeyPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  // PKCS#8 ("BEGIN PRIVATE KEY"), which Go, Python and OpenSSL all read.
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return SslError("encode private key");
  }
  return BioContents(bio.get());
}

X509Ptr ParseCert(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  ERR_clear_error();
  return cert;
}

PkeyPtr ParseKey(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  // An empty passphrase callback result keeps OpenSSL from prompting on a terminal.
  PkeyPtr key(bio ? PEM_read_bio_PrivateKey(
                        bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr)
                  : nullptr);
  ERR_clear_error();
  return key;
}

// ---------------------------------------------------------------------------------------------
// Subject alternative names.

struct San {
  bool is_ip = false;
  std::string value;  // a lower-case DNS name, or the 4 or 16 address bytes
};

std::optional<San> ParseIp(std::string_view host) {
  std::string h(host);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  unsigned char buf[16];
  if (inet_pton(AF_INET, h.c_str(), buf) == 1) {
    return San{true, std::string(reinterpret_cast<char*>(buf), 4)};
  }
  if (inet_pton(AF_INET6, h.c_str(), buf) == 1) {
    return San{true, std::string(reinterpret_cast<char*>(buf), 16)};
  }
  return std::nullopt;
}

// "localhost", 127.0.0.1 and ::1 always, then the requested hosts, without duplicates.
Result<std::vector<San>> RequiredSans(const std::vector<std::string>& hosts) {
  std::vector<San> sans;
  auto add = [&](const San& s) {
    for (const San& have : sans) {
      if (have.is_ip == s.is_ip && have.value == s.value) return;
    }
    sans.push_back(s);
  };
  add(San{false, "localhost"});
  add(*ParseIp("127.0.0.1"));
  add(*ParseIp("::1"));
  for (const std::string& raw : hosts) {
    // Hosts often come from comma-separated flags; stray spaces are not part of a name.
    size_t b = raw.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) continue;
    std::string host = raw.substr(b, raw.find_last_not_of(" \t\r\n") - b + 1);
    if (std::optional<San> ip = ParseIp(host); ip.has_value()) {
      add(*ip);
      continue;
    }
    std::string name;
    for (char c : host) {
      unsigned char u = static_cast<unsigned char>(c);
      if (!std::isalnum(u) && c != '-' && c != '.' && c != '*' && c != '_') {
        return BadRequest("invalid host for the serving certificate: \"" + host + "\"");
      }
      name.push_back(static_cast<char>(std::tolower(u)));
    }
    add(San{false, name});
  }
  return sans;
}

// The names a certificate carries, in the same normalized form.
std::vector<San> CertSans(X509* cert) {
  std::vector<San> out;
  GeneralNamesPtr names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
    if (gn->type == GEN_DNS) {
      const ASN1_IA5STRING* s = gn->d.dNSName;
      std::string name(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                       static_cast<size_t>(ASN1_STRING_length(s)));
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.push_back(San{false, name});
    } else if (gn->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* s = gn->d.iPAddress;
      out.push_back(San{true, std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                          static_cast<size_t>(ASN1_STRING_length(s)))});
    }
  }
  ERR_clear_error();
  return out;
}

bool CoversAll(X509* cert, const std::vector<San>& wanted) {
  std::vector<San> have = CertSans(cert);
  for (const San& w : wanted) {
    bool found = std::any_of(have.begin(), have.end(), [&](const San& h) {
      return h.is_ip == w.is_ip && h.value == w.value;
    });
    if (!found) return false;
  }
  return true;
}

Result<GeneralNamesPtr> BuildSans(const std::vector<San>& sans) {
  GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
  if (!names) return SslError("allocate subjectAltName");
  for (const San& s : sans) {
    GENERAL_NAME* gn = GENERAL_NAME_new();
    ASN1_STRING* value = s.is_ip ? ASN1_OCTET_STRING_new() : ASN1_IA5STRING_new();
    if (gn == nullptr || value == nullptr ||
        ASN1_STRING_set(value, s.value.data(), static_cast<int>(s.value.size())) != 1) {
      GENERAL_NAME_free(gn);
      ASN1_STRING_free(value);
      return SslError("build subjectAltName");
    }
    GENERAL_NAME_set0_value(gn, s.is_ip ? GEN_IPADD : GEN_DNS, value);
    if (sk_GENERAL_NAME_push(names.get(), gn) <= 0) {
      GENERAL_NAME_free(gn);
      return SslError("build subjectAltName");
    }
  }
  return names;
}

// ---------------------------------------------------------------------------------------------
// Keys and certificates.

Result<PkeyPtr> GenerateKey() {
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return SslError("generate P-256 key");
  return key;
}

// 126 random bits from the CSPRNG: unique without bookkeeping, and with the top bit clear and
// the next one set the DER integer is always positive, non-zero and 16 bytes long.
Status SetRandomSerial(X509* cert) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) return SslError("random serial");
  bytes[0] = static_cast<unsigned char>((bytes[0] & 0x3f) | 0x40);
  BignumPtr bn(BN_bin2bn(bytes, sizeof(bytes), nullptr));
  if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr) {
    return SslError("set serial");
  }
  return Status::Ok();
}

Status AddExtension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  ExtensionPtr ext(X509V3_EXT_nconf_nid(nullptr, ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return SslError(std::string("add extension ") + OBJ_nid2sn(nid) + "=" + value);
  }
  return Status::Ok();
}

struct CertRequest {
  const char* common_name;
  long lifetime_seconds;
  bool is_ca;
  const std::vector<San>* sans;  // serving certificates only
};

// Issues a certificate for `key`, signed by `issuer_key` under `issuer` (null: self-signed).
Result<X509Ptr> Issue(const CertRequest& req, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key) {
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1) return SslError("new certificate");
  RETURN_IF_ERROR(SetRandomSerial(cert.get()));
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kBackdate) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), req.lifetime_seconds) == nullptr) {
    return SslError("set validity");
  }
  X509_NAME* subject = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>(req.common_name), -1, -1,
                                 0) != 1) {
    return SslError("set subject");
  }
  X509_NAME* issuer_name = issuer != nullptr ? X509_get_subject_name(issuer) : subject;
  if (X509_set_issuer_name(cert.get(), issuer_name) != 1 || X509_set_pubkey(cert.get(), key) != 1) {
    return SslError("set issuer");
  }

  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer != nullptr ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  if (req.is_ca) {
    RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE"));
    RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_key_usage,
                                 "critical,digitalSignature,keyCertSign,cRLSign"));
    RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_subject_key_identifier, "hash"));
  } else {
    RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE"));
    RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature"));
    RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_ext_key_usage, "serverAuth"));
    RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_subject_key_identifier, "hash"));
    // Strict verifiers (Python 3.13's default context) insist on the authority key id.
    RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always"));
    ASSIGN_OR_RETURN(GeneralNamesPtr names, BuildSans(*req.sans));
    if (X509_add1_ext_i2d(cert.get(), NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) !=
        1) {
      return SslError("add subjectAltName");
    }
  }
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) <= 0) return SslError("sign certificate");
  return cert;
}

// True when the certificate is still valid `margin` seconds from now.
bool ValidFor(X509* cert, long margin) {
  time_t now = time(nullptr);
  time_t later = now + margin;
  return X509_cmp_time(X509_get0_notBefore(cert), &now) <= 0 &&
         X509_cmp_time(X509_get0_notAfter(cert), &later) > 0;
}

struct Pair {
  X509Ptr cert;
  PkeyPtr key;
  std::string cert_pem;
  std::string key_pem;
};

// Reads a certificate and its key; nullopt if either is missing, unreadable as PEM, or they do
// not belong together (for example after a crash between writing the two).
Result<std::optional<Pair>> LoadPair(const fs::path& cert_file, const fs::path& key_file) {
  ASSIGN_OR_RETURN(std::optional<std::string> cert_pem, ReadIfExists(cert_file));
  ASSIGN_OR_RETURN(std::optional<std::string> key_pem, ReadIfExists(key_file));
  if (!cert_pem.has_value() || !key_pem.has_value()) return std::optional<Pair>();
  Pair p{ParseCert(*cert_pem), ParseKey(*key_pem), *cert_pem, *key_pem};
  if (!p.cert || !p.key || X509_check_private_key(p.cert.get(), p.key.get()) != 1) {
    ERR_clear_error();
    return std::optional<Pair>();
  }
  RETURN_IF_ERROR(EnsureMode0600(cert_file));
  RETURN_IF_ERROR(EnsureMode0600(key_file));
  return std::optional<Pair>(std::move(p));
}

// Key first: a crash before the certificate lands leaves a mismatched pair, which the next start
// detects and replaces.
Result<Pair> StorePair(X509Ptr cert, PkeyPtr key, const fs::path& cert_file,
                       const fs::path& key_file) {
  ASSIGN_OR_RETURN(std::string cert_pem, CertPem(cert.get()));
  ASSIGN_OR_RETURN(std::string key_pem, KeyPem(key.get()));
  RETURN_IF_ERROR(WriteFileAtomic(key_file, key_pem));
  RETURN_IF_ERROR(WriteFileAtomic(cert_file, cert_pem));
  return Pair{std::move(cert), std::move(key), std::move(cert_pem), std::move(key_pem)};
}

bool UsableCa(const Pair& ca) {
  bool ok = X509_check_ca(ca.cert.get()) == 1 && ValidFor(ca.cert.get(), 0);
  ERR_clear_error();
  return ok;
}

bool UsableServing(const Pair& serving, const Pair& ca, const std::vector<San>& sans) {
  bool ok = X509_verify(serving.cert.get(), X509_get0_pubkey(ca.cert.get())) == 1 &&
            X509_check_issued(ca.cert.get(), serving.cert.get()) == X509_V_OK &&
            ValidFor(serving.cert.get(), kRenewBefore) && CoversAll(serving.cert.get(), sans);
  ERR_clear_error();
  return ok;
}

std::string Hex(const unsigned char* bytes, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 0xf]);
  }
  return out;
}

Result<std::string> RandomToken() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) return SslError("random token");
  return Hex(bytes, sizeof bytes);
}

// An operator may have put a token of their own in the file; any single printable word is kept.
std::optional<std::string> UsableToken(const std::string& contents) {
  size_t b = contents.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return std::nullopt;
  size_t e = contents.find_last_not_of(" \t\r\n");
  std::string token = contents.substr(b, e - b + 1);
  for (char c : token) {
    if (c < 0x21 || c > 0x7e) return std::nullopt;
  }
  return token;
}

Result<Credentials> EnsureCredentialsLocked(const fs::path& pki,
                                            const std::vector<std::string>& hosts) {
  ASSIGN_OR_RETURN(std::vector<San> sans, RequiredSans(hosts));

  ASSIGN_OR_RETURN(std::optional<Pair> ca, LoadPair(pki / "ca.crt", pki / "ca.key"));
  if (!ca.has_value() || !UsableCa(*ca)) {
    ASSIGN_OR_RETURN(PkeyPtr key, GenerateKey());
    CertRequest req{kCaCommonName, kCaLifetime, true, nullptr};
    ASSIGN_OR_RETURN(X509Ptr cert, Issue(req, key.get(), nullptr, key.get()));
    ASSIGN_OR_RETURN(Pair stored,
                     StorePair(std::move(cert), std::move(key), pki / "ca.crt", pki / "ca.key"));
    ca = std::move(stored);
  }

  ASSIGN_OR_RETURN(std::optional<Pair> serving, LoadPair(pki / "server.crt", pki / "server.key"));
  if (!serving.has_value() || !UsableServing(*serving, *ca, sans)) {
    // Keeps the names the old certificate already served alongside the new ones, so adding a
    // host never breaks clients that reach the server by an earlier name.
    std::vector<San> all = sans;
    if (serving.has_value()) {
      for (const San& s : CertSans(serving->cert.get())) {
        bool known = std::any_of(all.begin(), all.end(), [&](const San& a) {
          return a.is_ip == s.is_ip && a.value == s.value;
        });
        if (!known) all.push_back(s);
      }
    }
    ASSIGN_OR_RETURN(PkeyPtr key, GenerateKey());
    CertRequest req{kServingCommonName, kServingLifetime, false, &all};
    ASSIGN_OR_RETURN(X509Ptr cert, Issue(req, key.get(), ca->cert.get(), ca->key.get()));
    ASSIGN_OR_RETURN(Pair stored, StorePair(std::move(cert), std::move(key), pki / "server.crt",
                                            pki / "server.key"));
    serving = std::move(stored);
  }

  const fs::path token_file = pki / "admin.token";
  ASSIGN_OR_RETURN(std::optional<std::string> token_contents, ReadIfExists(token_file));
  std::optional<std::string> token;
  if (token_contents.has_value()) token = UsableToken(*token_contents);
  if (token.has_value()) {
    RETURN_IF_ERROR(EnsureMode0600(token_file));
  } else {
    ASSIGN_OR_RETURN(std::string fresh, RandomToken());
    RETURN_IF_ERROR(WriteFileAtomic(token_file, fresh + "\n"));
    token = std::move(fresh);
  }

  return Credentials{ca->cert_pem, serving->cert_pem, serving->key_pem, *token};
}

// A node agent's pair: self-signed (the agent holds no CA key), re-issued on the same terms as
// the API server's.
Result<ServingCertificate> EnsureSelfSignedLocked(const fs::path& dir, const std::string& common_name,
                                                   const std::vector<std::string>& hosts) {
  ASSIGN_OR_RETURN(std::vector<San> sans, RequiredSans(hosts));
  const fs::path cert_file = dir / (common_name + ".crt"), key_file = dir / (common_name + ".key");
  ASSIGN_OR_RETURN(std::optional<Pair> pair, LoadPair(cert_file, key_file));
  const bool usable = pair.has_value() && X509_verify(pair->cert.get(), X509_get0_pubkey(pair->cert.get())) == 1 &&
                      ValidFor(pair->cert.get(), kRenewBefore) && CoversAll(pair->cert.get(), sans);
  ERR_clear_error();
  if (!usable) {
    ASSIGN_OR_RETURN(PkeyPtr key, GenerateKey());
    CertRequest req{common_name.c_str(), kServingLifetime, false, &sans};
    ASSIGN_OR_RETURN(X509Ptr cert, Issue(req, key.get(), nullptr, key.get()));
    ASSIGN_OR_RETURN(Pair stored, StorePair(std::move(cert), std::move(key), cert_file, key_file));
    pair = std::move(stored);
  }
  return ServingCertificate{pair->cert_pem, pair->key_pem};
}

Result<Credentials> EnsureCredentialsImpl(const fs::path& data_dir,
                                          const std::vector<std::string>& hosts) {
  const fs::path pki = data_dir / "pki";
  std::error_code ec;
  fs::create_directories(pki, ec);
  if (ec) return ErrnoError("create directory", pki, ec.value());
  if (chmod(pki.c_str(), 0700) != 0) return ErrnoError("chmod", pki, errno);
  ASSIGN_OR_RETURN(std::unique_ptr<DirLock> lock, DirLock::Acquire(pki));
  return EnsureCredentialsLocked(pki, hosts);
}

// A YAML double-quoted scalar. JSON string syntax is a subset of it, and escaping every value
// keeps a URL or name with ':' or '#' from changing the document's structure.
std::string Quote(const std::string& s) {
  return Json(s).dump(-1, ' ', false, Json::error_handler_t::replace);
}

Status WriteKubeconfigImpl(const fs::path& file, const std::string& server_url,
                           const Credentials& creds) {
  const std::string ca_data = Base64Encode(creds.ca_cert_pem);
  std::string yaml;
  yaml += "apiVersion: v1\n";
  yaml += "kind: Config\n";
  yaml += "clusters:\n";
  yaml += "- name: mlkube\n";
  yaml += "  cluster:\n";
  yaml += "    server: " + Quote(server_url) + "\n";
  yaml += "    certificate-authority-data: " + ca_data + "\n";
  yaml += "users:\n";
  yaml += "- name: admin\n";
  yaml += "  user:\n";
  yaml += "    token: " + Quote(creds.admin_token) + "\n";
  yaml += "contexts:\n";
  yaml += "- name: mlkube\n";
  yaml += "  context:\n";
  yaml += "    cluster: mlkube\n";
  yaml += "    user: admin\n";
  yaml += "current-context: mlkube\n";
  yaml += "preferences: {}\n";

  if (fs::path parent = file.parent_path(); !parent.empty()) {
    std::error_code ec;
    fs::create_directories(parent, ec);
    if (ec) return ErrnoError("create directory", parent, ec.value());
  }
  return WriteFileAtomic(file, yaml);
}

}  // namespace

Result<Credentials> EnsureCredentials(const std::filesystem::path& data_dir,
                                      const std::vector<std::string>& hosts) {
  try {
    return EnsureCredentialsImpl(data_dir, hosts);
  } catch (const std::exception& e) {
    // Only allocation and the filesystem library throw here; neither may escape the module.
    return Internal(std::string("credentials: ") + e.what());
  }
}

Result<ServingCertificate> EnsureSelfSignedCertificate(const std::filesystem::path& dir,
                                                       const std::string& common_name,
                                                       const std::vector<std::string>& hosts) {
  try {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return ErrnoError("create directory", dir, ec.value());
    if (chmod(dir.c_str(), 0700) != 0) return ErrnoError("chmod", dir, errno);
    ASSIGN_OR_RETURN(std::unique_ptr<DirLock> lock, DirLock::Acquire(dir));
    return EnsureSelfSignedLocked(dir, common_name, hosts);
  } catch (const std::exception& e) {
    return Internal(std::string("certificate: ") + e.what());
  }
}

std::string CertSha256(const std::string& cert_pem) {
  X509Ptr cert = ParseCert(cert_pem);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!cert || X509_digest(cert.get(), EVP_sha256(), md, &n) != 1) {
    ERR_clear_error();
    return "";
  }
  return Hex(md, n);
}

Status WriteKubeconfig(const std::filesystem::path& file, const std::string& server_url,
                       const Credentials& creds) {
  try {
    return WriteKubeconfigImpl(file, server_url, creds);
  } catch (const std::exception& e) {
    return Internal(std::string("kubeconfig: ") + e.what());
  }
}

}  // namespace mlkube::apiserver
