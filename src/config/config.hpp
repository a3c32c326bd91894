// The daemon's configuration as plain structs with defaults. Filled by load_config()
// (config/loader.hpp); every other module takes the sub-struct it needs, never the whole config.
#pragma once

#include "core/secret.hpp"
#include "core/url.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace aic::config {

using std::chrono::milliseconds;
using std::chrono::seconds;

struct listen_address {
    enum class kind { tcp, unix_socket };
    kind type = kind::tcp;
    std::string host;        // tcp: IPv4/IPv6 literal or name, without brackets
    std::uint16_t port = 0;  // tcp
    std::string path;        // unix_socket: filesystem path
    unsigned mode = 0660;    // unix_socket: file mode
    std::string group;       // unix_socket: optional owning group
    std::string text;        // as written in the config, for logs

    bool operator==(listen_address const&) const = default;
};

struct tls_settings {
    std::string ca_file;  // empty: the system's default verify paths

    bool operator==(tls_settings const&) const = default;
};

enum class credential_type { service_account, client_credentials, api_key };
enum class client_auth_method { basic, post };

struct credential {
    std::string name;  // the key under "credentials"
    credential_type type = credential_type::service_account;

    // service_account
    std::string account_id;
    std::string key_file;  // resolved path (after $CREDENTIALS_DIRECTORY)
    secret key_material;   // the file's text: a JWK JSON document or a PEM private key

    // client_credentials
    std::string client_id;
    std::string client_secret_file;  // resolved path, empty when given as "${ENV}"
    secret client_secret;
    client_auth_method auth_method = client_auth_method::basic;
    std::string realm = "alpha";

    // api_key (the log API: X-API-Key / X-API-Secret)
    std::string key_id;
    std::string secret_file;
    secret api_secret;

    // Token endpoint: "token_endpoint" from the config, else the flow's default on the tenant
    // (service account: <tenant>/am/oauth2/access_token; client credentials:
    // <tenant>/am/oauth2/realms/root/realms/<realm>/access_token). Unused for api_key.
    https_url token_endpoint;
};

struct route {
    std::string prefix;               // "/openidm": no trailing '/', matched on segment boundary
    std::string credential;           // name of a credential
    std::vector<std::string> scopes;  // sorted, unique; empty for api_key routes
    std::vector<std::pair<std::string, std::string>> headers;  // fixed extra request headers
    std::vector<std::string> methods;                          // allow-list (upper case); empty = all methods
    std::optional<https_url> upstream;                         // overrides the tenant for this route
};

// The server takes timeouts and limits once, at start, so most of them take a restart:
// app/restart_only.cpp says which, and a new field needs its JSON path named there.
struct timeouts {
    milliseconds connect{5000};             // upstream TCP connect
    milliseconds tls_handshake{5000};       // upstream TLS handshake
    milliseconds upstream_response{60000};  // upstream response head after the request was sent
    milliseconds token_request{10000};      // one whole token-endpoint exchange
    milliseconds token_wait{10000};         // how long a request waits for a token, then 503
    milliseconds header_read{10000};        // client request head (slowloris bound)
    milliseconds idle{60000};               // client keep-alive idle
    milliseconds body_io{60000};            // no progress on a body for this long ends the exchange
    milliseconds drain{10000};              // SIGTERM: in-flight requests get this long
    milliseconds upstream_idle{30000};      // pooled upstream connections idle out after this

    bool operator==(timeouts const&) const = default;
};

struct limits {
    std::uint32_t max_header_bytes = 16 * 1024;  // request head; more -> 431
    std::uint64_t max_body_bytes = 0;            // 0 = unlimited (streamed); more -> 413
    std::uint32_t max_connections = 1024;        // concurrent client connections
    std::uint32_t max_requests_per_connection = 10000;
    std::uint32_t replay_body_bytes = 64 * 1024;  // bodies up to this are kept for a 401 replay
    std::uint32_t upstream_pool_size = 32;        // idle upstream connections kept per upstream
    std::uint32_t buffer_bytes = 64 * 1024;       // body relay buffer per direction

    bool operator==(limits const&) const = default;
};

struct token_settings {
    double refresh_fraction = 0.25;      // refresh when this fraction of the lifetime remains ...
    seconds refresh_min_margin{60};      // ... or this long, whichever is larger (capped at 1/2)
    milliseconds backoff_initial{1000};  // failed fetch: retry after this, doubling ...
    milliseconds backoff_max{60000};     // ... up to this
    seconds assertion_lifetime{180};     // JWT exp = now + this (AM refuses > 30 min)
    // At most one refresh per this long is forced by an upstream 401, per token cache: an
    // endpoint that refuses every token must not turn each request into a token fetch.
    seconds forced_refresh_interval{30};
};

struct security {
    // Host header names allowed (any port). Compared case-insensitively; IPv6 with brackets.
    std::vector<std::string> allowed_hosts{"localhost", "127.0.0.1", "[::1]"};
    std::vector<std::string> allowed_origins;  // exact Origin values; empty = any Origin refused
    std::optional<std::pair<std::string, std::string>> required_header;  // e.g. X-AIC-Proxy: 1
    bool refuse_forwarded = false;  // refuse requests carrying X-Forwarded-For
    bool read_only = false;         // only GET, HEAD, OPTIONS
    std::string client_key_file;    // X-Proxy-Key must equal this file's content (trimmed)
    secret client_key;
};

struct logging_settings {
    std::string level = "info";  // trace, debug, info, warn, error, critical, off
    enum class format { text, json };
    format fmt = format::text;
    bool access_log = true;
};

struct config {
    std::vector<listen_address> listen;  // default: 127.0.0.1:8080 and [::1]:8080
    https_url tenant;
    tls_settings tls;
    std::map<std::string, credential> credentials;
    std::vector<route> routes;    // built-in AIC table when the file has no "routes"
    bool builtin_routes = false;  // true when `routes` came from the built-in table
    // Qualified: a member may not share its unqualified type's name ([basic.scope.class]).
    aic::config::timeouts timeouts;
    aic::config::limits limits;
    token_settings tokens;
    aic::config::security security;
    logging_settings logging;
    unsigned threads = 1;
    std::string source;  // the file it came from, or "environment"
};

}  // namespace aic::config
