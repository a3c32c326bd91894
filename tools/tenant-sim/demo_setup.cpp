// demo-setup (see demo_setup.hpp). Certificates are made with OpenSSL 3's X509 APIs so the demo
// needs no openssl command line.
#include "demo_setup.hpp"

#include "crypto.hpp"
#include "tenant_sim.hpp"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <filesystem>
#include <stdexcept>

namespace aic::sim {
namespace {

namespace json = boost::json;

constexpr long validity_seconds = 30L * 24 * 3600;

struct x509_deleter {
    void operator()(X509* x) const noexcept { X509_free(x); }
};
using x509_ptr = std::unique_ptr<X509, x509_deleter>;

void check(int ok, char const* what) {
    if (ok != 1) throw std::runtime_error(std::string{"demo-setup: "} + what + " failed");
}

// Files holding keys or secrets are created 0600 from the start, never chmod-ed afterwards.
void write_file(std::filesystem::path const& path, std::string const& text, mode_t mode) {
    int const fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) throw std::runtime_error("demo-setup: cannot create " + path.string());
    ::fchmod(fd, mode);  // an existing file keeps its old mode through O_CREAT
    std::size_t done = 0;
    while (done < text.size()) {
        auto const n = ::write(fd, text.data() + done, text.size() - done);
        if (n <= 0) {
            ::close(fd);
            throw std::runtime_error("demo-setup: cannot write " + path.string());
        }
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
}

std::string pem_of_key(EVP_PKEY* key) {
    BIO* bio = BIO_new(BIO_s_mem());
    check(PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr),
          "PEM_write_bio_PrivateKey");
    char* data = nullptr;
    long const len = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<std::size_t>(len));
    BIO_free(bio);
    return out;
}

std::string pem_of_cert(X509* cert) {
    BIO* bio = BIO_new(BIO_s_mem());
    check(PEM_write_bio_X509(bio, cert), "PEM_write_bio_X509");
    char* data = nullptr;
    long const len = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<std::size_t>(len));
    BIO_free(bio);
    return out;
}

void add_ext(X509* cert, X509* issuer, int nid, char const* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (!ext) throw std::runtime_error("demo-setup: bad certificate extension");
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

x509_ptr new_cert(EVP_PKEY* key, char const* common_name) {
    x509_ptr cert{X509_new()};
    check(X509_set_version(cert.get(), 2), "X509_set_version");
    BIGNUM* serial = BN_new();
    BN_rand(serial, 128, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY);
    BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert.get()));
    BN_free(serial);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), validity_seconds);
    check(X509_set_pubkey(cert.get(), key), "X509_set_pubkey");
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<unsigned char const*>(common_name),
                               -1, -1, 0);
    return cert;
}

}  // namespace

void demo_setup(std::string const& dir_text, std::uint16_t port) {
    std::filesystem::path const dir = std::filesystem::absolute(dir_text);
    std::filesystem::create_directories(dir);

    auto ca_key = generate_rsa(2048);
    auto ca = new_cert(ca_key.get(), "aic-proxy demo CA");
    check(X509_set_issuer_name(ca.get(), X509_get_subject_name(ca.get())), "X509_set_issuer_name");
    add_ext(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE");
    add_ext(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
    add_ext(ca.get(), ca.get(), NID_subject_key_identifier, "hash");
    if (X509_sign(ca.get(), ca_key.get(), EVP_sha256()) <= 0)
        throw std::runtime_error("demo-setup: signing the CA");

    auto leaf_key = generate_rsa(2048);
    auto leaf = new_cert(leaf_key.get(), "localhost");
    check(X509_set_issuer_name(leaf.get(), X509_get_subject_name(ca.get())), "X509_set_issuer_name");
    add_ext(leaf.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
    add_ext(leaf.get(), ca.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment");
    add_ext(leaf.get(), ca.get(), NID_ext_key_usage, "serverAuth");
    add_ext(leaf.get(), ca.get(), NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
    add_ext(leaf.get(), ca.get(), NID_authority_key_identifier, "keyid");
    if (X509_sign(leaf.get(), ca_key.get(), EVP_sha256()) <= 0)
        throw std::runtime_error("demo-setup: signing");

    write_file(dir / "ca.pem", pem_of_cert(ca.get()), 0644);
    write_file(dir / "ca.key", pem_of_key(ca_key.get()), 0600);
    write_file(dir / "localhost.pem", pem_of_cert(leaf.get()), 0644);
    write_file(dir / "localhost.key", pem_of_key(leaf_key.get()), 0600);

    std::string const sa_id = random_uuid();
    std::string const sa_jwk = generate_rsa_key_jwk(2048);
    std::string const iga_secret = random_token();
    std::string const logs_secret = random_token();
    write_file(dir / "sa.jwk", sa_jwk, 0600);
    write_file(dir / "iga.secret", iga_secret, 0600);
    write_file(dir / "logs.secret", logs_secret, 0600);

    // Every scope the built-in route table asks for, so the demo proxy becomes ready.
    json::array sa_scopes{"fr:am:*",
                          "fr:idm:*",
                          "fr:idc:esv:*",
                          "fr:idc:esv:read",
                          "fr:idc:esv:update",
                          "fr:idc:esv:restart",
                          "fr:idc:ws:admin",
                          "fr:idc:certificate:*",
                          "fr:idc:custom-domain:*",
                          "fr:idc:cookie-domain:*",
                          "fr:idc:content-security-policy:*",
                          "fr:idc:promotion:*",
                          "fr:idc:release:*",
                          "fr:idc:sso-cookie:*",
                          "fr:idc:proxy-connect:*"};
    json::object sim;
    sim["public_host"] = "localhost";
    sim["service_accounts"] = json::array{json::object{
        {"id", sa_id}, {"public_jwk", json::parse(public_jwk_of(sa_jwk))}, {"scopes", sa_scopes}}};
    sim["clients"] = json::array{json::object{{"client_id", "iga-demo"},
                                              {"secret", iga_secret},
                                              {"realm", "alpha"},
                                              {"scopes", json::array{"fr:idm:*", "fr:iga:*"}}}};
    sim["api_keys"] = json::array{json::object{{"key_id", "logs-demo"}, {"secret", logs_secret}}};
    sim["expires_in_service_account"] = 899;
    sim["expires_in_client"] = 3600;
    write_file(dir / "sim.json", json::serialize(sim) + "\n", 0600);

    json::object demo;
    demo["listen"] = json::array{"127.0.0.1:8080"};
    demo["tenant"] = "https://localhost:" + std::to_string(port);
    demo["tls"] = json::object{{"ca_file", (dir / "ca.pem").string()}};
    demo["credentials"] =
        json::object{{"sa", json::object{{"type", "service_account"},
                                         {"account_id", sa_id},
                                         {"key_file", (dir / "sa.jwk").string()}}},
                     {"iga", json::object{{"type", "client_credentials"},
                                          {"client_id", "iga-demo"},
                                          {"client_secret_file", (dir / "iga.secret").string()}}},
                     {"logs", json::object{{"type", "api_key"},
                                           {"key_id", "logs-demo"},
                                           {"secret_file", (dir / "logs.secret").string()}}}};
    write_file(dir / "demo.json", json::serialize(demo) + "\n", 0644);
}

}  // namespace aic::sim
