// Reads sim.json; public_jwk may be a JSON object (as demo-setup writes it) or a string of JSON.
#include "sim_config.hpp"

#include <boost/json.hpp>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace aic::sim {
namespace {

namespace json = boost::json;

std::string str(json::object const& o, char const* name, std::string fallback = {}) {
    auto const* v = o.if_contains(name);
    if (!v) return fallback;
    if (!v->is_string()) throw std::runtime_error(std::string{"sim config: "} + name + " must be a string");
    return std::string{v->as_string()};
}

std::vector<std::string> strings(json::object const& o, char const* name) {
    std::vector<std::string> out;
    auto const* v = o.if_contains(name);
    if (!v) return out;
    if (!v->is_array()) throw std::runtime_error(std::string{"sim config: "} + name + " must be an array");
    for (auto const& s : v->as_array()) {
        if (!s.is_string())
            throw std::runtime_error(std::string{"sim config: "} + name + " must hold strings");
        out.emplace_back(s.as_string());
    }
    return out;
}

json::array const& array(json::object const& o, char const* name) {
    static json::array const empty;
    auto const* v = o.if_contains(name);
    if (!v) return empty;
    if (!v->is_array()) throw std::runtime_error(std::string{"sim config: "} + name + " must be an array");
    return v->as_array();
}

}  // namespace

options load_sim_config(std::string const& path) {
    std::ifstream in{path};
    if (!in) throw std::runtime_error("cannot read " + path);
    std::stringstream text;
    text << in.rdbuf();
    boost::system::error_code ec;
    auto const root = json::parse(text.str(), ec);
    if (ec || !root.is_object()) throw std::runtime_error(path + ": not a JSON object");
    auto const& o = root.as_object();

    options opts;
    opts.public_host = str(o, "public_host", opts.public_host);
    for (auto const& v : array(o, "service_accounts")) {
        auto const& sa = v.as_object();
        service_account acc;
        acc.id = str(sa, "id");
        auto const* jwk = sa.if_contains("public_jwk");
        if (!jwk) throw std::runtime_error("sim config: service account without public_jwk");
        acc.public_jwk = jwk->is_string() ? std::string{jwk->as_string()} : json::serialize(*jwk);
        acc.scopes = strings(sa, "scopes");
        opts.service_accounts.push_back(std::move(acc));
    }
    for (auto const& v : array(o, "clients")) {
        auto const& c = v.as_object();
        oauth_client client;
        client.client_id = str(c, "client_id");
        client.secret = str(c, "secret");
        client.realm = str(c, "realm", client.realm);
        client.scopes = strings(c, "scopes");
        opts.clients.push_back(std::move(client));
    }
    for (auto const& v : array(o, "api_keys")) {
        auto const& k = v.as_object();
        opts.api_keys.push_back({str(k, "key_id"), str(k, "secret")});
    }
    if (auto const* e = o.if_contains("expires_in_service_account"))
        opts.expires_in_service_account = static_cast<int>(e->to_number<std::int64_t>());
    if (auto const* e = o.if_contains("expires_in_client"))
        opts.expires_in_client = static_cast<int>(e->to_number<std::int64_t>());
    return opts;
}

}  // namespace aic::sim
