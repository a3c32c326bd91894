// The "credentials" section: service accounts, client credentials and log API keys, with their
// secrets read at load time and their token endpoints resolved against the tenant.
#include "config/sections.hpp"
#include "core/header_value.hpp"

#include <boost/json/object.hpp>

namespace aic::config::detail {
namespace {

bool valid_name(std::string_view name, std::size_t max, bool allow_dot) {
    if (name.empty() || name.size() > max) return false;
    for (char c : name) {
        bool const ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        c == '_' || c == '-' || (allow_dot && c == '.');
        if (!ok) return false;
    }
    return true;
}

// A non-secret identifier, optionally "${NAME}".
std::string identifier(object_reader const& r, std::string_view key, load_environment const& env) {
    auto value = expand(r.required_string(key), r.at(key), env);
    if (value.empty()) fail(r.at(key), "must not be empty");
    return value;
}

// Exactly one of `file_key` (a path) or `ref_key` (a "${NAME}" holding the secret itself).
void read_secret(object_reader const& r, std::string_view file_key, std::string_view ref_key,
                 secret_context const& ctx, trim how, std::string& file_out, secret& out) {
    bool const has_file = r.has(file_key);
    bool const has_ref = r.has(ref_key);
    if (has_file && has_ref)
        fail(r.at(ref_key),
             "give either " + std::string{file_key} + " or " + std::string{ref_key} + ", not both");
    if (has_file) {
        auto const path = resolve_secret_path(r.required_string(file_key), r.at(file_key), ctx);
        out = read_secret_file(path, r.at(file_key), ctx, how);
        file_out = path.string();
    } else if (has_ref) {
        out = secret_from_reference(r.required_string(ref_key), r.at(ref_key), ctx.env, how);
    } else {
        fail(r.at(file_key),
             "missing required key (or " + std::string{ref_key} + " as a \"${ENV_NAME}\" reference)");
    }
}

https_url token_endpoint(object_reader const& r, https_url const& tenant, std::string const& default_path) {
    auto text = r.optional_string("token_endpoint");
    if (!text) return join_path(tenant, default_path);
    auto url = parse_https_url(*text);
    if (!url.has_value())
        fail(r.at("token_endpoint"),
             "expected an https URL with a path, such as https://tenant/am/oauth2/access_token");
    if (url->path == "/") fail(r.at("token_endpoint"), "the URL needs the endpoint's path");
    return *url;
}

std::string realm_path(std::string const& realm) {
    // AM addresses the root realm as /realms/root and sub-realms of root as /realms/root/realms/<r>.
    if (realm == "root") return "/am/oauth2/realms/root/access_token";
    return "/am/oauth2/realms/root/realms/" + realm + "/access_token";
}

credential parse_one(std::string const& name, object_reader const& r, https_url const& tenant,
                     secret_context const& ctx) {
    credential c;
    c.name = name;
    auto const type = r.required_string("type");
    if (type == "service_account") {
        r.allow_only({"type", "account_id", "key_file", "key", "token_endpoint"},
                     "for a service_account credential");
        c.type = credential_type::service_account;
        c.account_id = identifier(r, "account_id", ctx.env);
        read_secret(r, "key_file", "key", ctx, trim::none, c.key_file, c.key_material);
        c.token_endpoint = token_endpoint(r, tenant, "/am/oauth2/access_token");
    } else if (type == "client_credentials") {
        r.allow_only({"type", "client_id", "client_secret_file", "client_secret", "auth_method", "realm",
                      "token_endpoint"},
                     "for a client_credentials credential");
        c.type = credential_type::client_credentials;
        c.client_id = identifier(r, "client_id", ctx.env);
        read_secret(r, "client_secret_file", "client_secret", ctx, trim::trailing_newlines,
                    c.client_secret_file, c.client_secret);
        auto const method = r.optional_string("auth_method").value_or("basic");
        if (method == "basic")
            c.auth_method = client_auth_method::basic;
        else if (method == "post")
            c.auth_method = client_auth_method::post;
        else
            fail(r.at("auth_method"), R"(expected "basic" or "post")");
        c.realm = r.optional_string("realm").value_or("alpha");
        if (!valid_name(c.realm, 64, false)) fail(r.at("realm"), "expected a realm name such as \"alpha\"");
        c.token_endpoint = token_endpoint(r, tenant, realm_path(c.realm));
    } else if (type == "api_key") {
        r.allow_only({"type", "key_id", "secret_file", "secret"}, "for an api_key credential");
        c.type = credential_type::api_key;
        c.key_id = identifier(r, "key_id", ctx.env);
        read_secret(r, "secret_file", "secret", ctx, trim::trailing_newlines, c.secret_file, c.api_secret);
        // Both go out as header values (X-API-Key, X-API-Secret) as they are. A value that a head
        // cannot carry would otherwise be left out of every request, and the upstream's 401 would
        // not say why. The message names the key, never the value.
        if (!header_value_safe(c.key_id))
            fail(r.at("key_id"), "must not contain CR, LF or NUL (it is sent as the X-API-Key header)");
        if (!header_value_safe(c.api_secret.reveal()))
            fail(r.at(r.has("secret_file") ? "secret_file" : "secret"),
                 "the secret must not contain CR, LF or NUL (it is sent as the X-API-Secret header)");
    } else {
        fail(r.at("type"), R"(expected "service_account", "client_credentials" or "api_key")");
    }
    return c;
}

}  // namespace

std::map<std::string, credential> parse_credentials(object_reader const& section, https_url const& tenant,
                                                    secret_context const& ctx) {
    std::map<std::string, credential> out;
    for (auto name : section.keys()) {
        auto const where = section.at(name);
        if (!valid_name(name, 64, true))
            fail(where, "credential names use letters, digits, '_', '-' and '.'");
        object_reader r{*section.find(name), where};
        out.emplace(std::string{name}, parse_one(std::string{name}, r, tenant, ctx));
    }
    if (out.empty()) fail(section.path(), "at least one credential is required");
    return out;
}

}  // namespace aic::config::detail
