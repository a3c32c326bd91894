// The built-in AIC route table (design.md §2), applied when the config has no "routes".
#include "config/loader.hpp"

#include <algorithm>

namespace aic::config {
namespace {

std::string const* first_of(std::map<std::string, credential> const& credentials, credential_type type) {
    for (auto const& [name, c] : credentials)
        if (c.type == type) return &name;
    return nullptr;
}

route make(std::string prefix, std::string const& credential, std::vector<std::string> scopes) {
    route r;
    r.prefix = std::move(prefix);
    r.credential = credential;
    std::sort(scopes.begin(), scopes.end());
    r.scopes = std::move(scopes);
    return r;
}

}  // namespace

std::vector<route> builtin_routes(std::map<std::string, credential> const& credentials) {
    std::vector<route> out;
    if (auto const* sa = first_of(credentials, credential_type::service_account)) {
        out.push_back(make("/am", *sa, {"fr:am:*"}));
        out.push_back(make("/openidm", *sa, {"fr:idm:*"}));
        for (auto const* esv : {"secrets", "variables", "startup"})
            out.push_back(make(std::string{"/environment/"} + esv, *sa, {"fr:idc:esv:*"}));
        // Each environment API has its own scope family, named like its path in the singular.
        static constexpr std::pair<char const*, char const*> environment_apis[] = {
            {"certificates", "fr:idc:certificate:*"},
            {"custom-domains", "fr:idc:custom-domain:*"},
            {"cookie-domains", "fr:idc:cookie-domain:*"},
            {"content-security-policy", "fr:idc:content-security-policy:*"},
            {"promotion", "fr:idc:promotion:*"},
            {"release", "fr:idc:release:*"},
            {"sso-cookie", "fr:idc:sso-cookie:*"},
            {"proxy-connect", "fr:idc:proxy-connect:*"},
        };
        for (auto const& [path, scope] : environment_apis)
            out.push_back(make(std::string{"/environment/"} + path, *sa, {scope}));
        // PingFederate's admin API wants its own single-scope token and an anti-CSRF header.
        auto ws = make("/ws/admin", *sa, {"fr:idc:ws:admin"});
        ws.headers.emplace_back("x-xsrf-header", "PingFederate");
        out.push_back(std::move(ws));
    }
    if (auto const* cc = first_of(credentials, credential_type::client_credentials)) {
        out.push_back(make("/iga", *cc, {"fr:idm:*", "fr:iga:*"}));
        out.push_back(make("/auto/orchestration", *cc, {"fr:idm:*", "fr:iga:*"}));
    }
    if (auto const* logs = first_of(credentials, credential_type::api_key))
        out.push_back(make("/monitoring", *logs, {}));
    return out;
}

}  // namespace aic::config
