// Entry points of config loading: JSON parsing with positions, the top-level object, the
// environment-only mode, and the process environment.
#include "config/loader.hpp"

#include "config/sections.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/stream_parser.hpp>

#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#include <cstdlib>

namespace aic::config {
namespace detail {
namespace {

// Syntax errors give a line and column, never the text around them (it could hold a secret).
json::value parse_json(std::string_view text, std::string const& source) {
    json::stream_parser parser;  // default parse_options: no comments, no trailing commas
    boost::system::error_code ec;
    auto const consumed = parser.write(text.data(), text.size(), ec);
    if (!ec) parser.finish(ec);
    if (ec) {
        std::size_t line = 1;
        std::size_t column = 1;
        for (std::size_t i = 0; i < consumed && i < text.size(); ++i) {
            if (text[i] == '\n') {
                ++line;
                column = 1;
            } else {
                ++column;
            }
        }
        throw config_error("config: " + source + ": invalid JSON at line " + std::to_string(line) +
                           ", column " + std::to_string(column) + ": " + ec.message() +
                           " (comments and trailing commas are not allowed)");
    }
    reject_duplicate_keys(text);
    return parser.release();
}

std::string read_config_text(std::filesystem::path const& file) {
    auto const fail_with = [&](std::string const& why) {
        throw config_error("config: " + file.string() + ": " + why);
    };
    int const fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) fail_with("cannot read: " + std::generic_category().message(errno));
    std::string text;
    char buf[8192];
    for (;;) {
        auto const n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int const err = errno;
            ::close(fd);
            fail_with("cannot read: " + std::generic_category().message(err));
        }
        if (n == 0) break;
        text.append(buf, static_cast<std::size_t>(n));
        if (text.size() > 4 * 1024 * 1024) {
            ::close(fd);
            fail_with("larger than 4 MiB; is it the right file?");
        }
    }
    ::close(fd);
    return text;
}

void check_readable(std::string const& file, json_path const& where) {
    int const fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) fail(where, "cannot read " + file + ": " + std::generic_category().message(errno));
    ::close(fd);
}

tls_settings parse_tls(object_reader const& r, std::filesystem::path const& base_dir) {
    r.allow_only({"ca_file"});
    tls_settings t;
    if (auto ca = r.optional_string("ca_file"); ca && !ca->empty()) {
        std::filesystem::path file{*ca};
        if (file.is_relative()) file = base_dir / file;
        t.ca_file = file.lexically_normal().string();
        check_readable(t.ca_file, r.at("ca_file"));
    }
    return t;
}

}  // namespace

https_url parse_base_url(std::string const& text, json_path const& where) {
    if (text.starts_with("http://")) fail(where, "must be an https:// URL");
    auto url = parse_https_url(text);
    if (!url.has_value())
        fail(
            where,
            "expected an https URL such as https://openam-acme.forgeblocks.com (no user, query or fragment)");
    if (url->path != "/") fail(where, "expected the tenant's base URL without a path");
    return *url;
}

config build_config(json::value const& doc, std::string source, secret_context const& ctx,
                    path_aliases const* aliases) {
    object_reader const top{doc, json_path{aliases}};
    top.allow_only({"listen", "tenant", "tls", "credentials", "routes", "timeouts", "limits", "tokens",
                    "security", "logging", "threads"});
    config c;
    c.source = std::move(source);
    c.tenant =
        parse_base_url(expand(top.required_string("tenant"), top.at("tenant"), ctx.env), top.at("tenant"));
    c.listen = top.has("listen") ? parse_listen(*top.find("listen"), top.at("listen")) : default_listen();
    if (auto tls = top.optional_object("tls")) c.tls = parse_tls(*tls, ctx.base_dir);

    auto credentials = top.optional_object("credentials");
    if (!credentials) fail(top.at("credentials"), "missing required key");
    c.credentials = parse_credentials(*credentials, c.tenant, ctx);
    if (top.has("routes")) {
        c.routes = parse_routes(*top.find("routes"), top.at("routes"), c.credentials);
    } else {
        c.routes = builtin_routes(c.credentials);
        c.builtin_routes = true;
    }

    if (auto r = top.optional_object("timeouts")) c.timeouts = parse_timeouts(*r);
    if (auto r = top.optional_object("limits")) c.limits = parse_limits(*r);
    if (auto r = top.optional_object("tokens")) c.tokens = parse_tokens(*r);
    if (auto r = top.optional_object("security")) c.security = parse_security(*r, ctx);
    if (auto r = top.optional_object("logging")) c.logging = parse_logging(*r);
    // Event loops, each on its own thread; more than a host has cores only adds switching.
    if (auto n = top.optional_integer("threads", 1, 64)) c.threads = static_cast<unsigned>(*n);
    return c;
}

}  // namespace detail

load_environment load_environment::process() {
    return {[](std::string const& name) -> std::optional<std::string> {
        char const* value = std::getenv(name.c_str());
        if (!value) return std::nullopt;
        return std::string{value};
    }};
}

config load_config_text(std::string_view json_text, std::string source, load_environment const& env,
                        warning_sink const& warn) {
    auto const doc = detail::parse_json(json_text, source);
    detail::secret_context const ctx{env, std::filesystem::current_path(), warn};
    return detail::build_config(doc, std::move(source), ctx, nullptr);
}

config load_config_file(std::filesystem::path const& file, load_environment const& env,
                        warning_sink const& warn) {
    auto const text = detail::read_config_text(file);
    auto const doc = detail::parse_json(text, file.string());
    detail::secret_context const ctx{env, std::filesystem::absolute(file).parent_path(), warn};
    return detail::build_config(doc, file.string(), ctx, nullptr);
}

config load_config_from_env(load_environment const& env, warning_sink const& warn) {
    namespace json = boost::json;
    auto const get = [&](char const* name) -> std::optional<std::string> {
        auto v = env.getenv(name);
        if (v && v->empty()) v.reset();
        return v;
    };
    auto const require_pair = [&](char const* a, char const* b) {
        bool const has_a = get(a).has_value();
        bool const has_b = get(b).has_value();
        if (has_a != has_b)
            throw config_error(std::string{"config: "} + (has_a ? b : a) + ": required when " +
                               (has_a ? a : b) + " is set");
        return has_a;
    };

    json::object doc;
    auto tenant = get("AIC_TENANT");
    if (!tenant) throw config_error("config: AIC_TENANT: not set (give --config FILE or set AIC_TENANT)");
    doc["tenant"] = *tenant;
    if (auto listen = get("AIC_LISTEN")) {
        json::array list;
        std::string_view rest{*listen};
        while (!rest.empty()) {
            auto item = rest.substr(0, rest.find(','));
            rest.remove_prefix(std::min(rest.size(), item.size() + 1));
            while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
            while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
            if (!item.empty()) list.emplace_back(item);
        }
        doc["listen"] = std::move(list);
    }
    json::object credentials;
    if (require_pair("AIC_SA_ID", "AIC_SA_KEY_FILE")) {
        credentials["sa"] = {{"type", "service_account"},
                             {"account_id", *get("AIC_SA_ID")},
                             {"key_file", *get("AIC_SA_KEY_FILE")}};
    }
    if (require_pair("AIC_CLIENT_ID", "AIC_CLIENT_SECRET_FILE")) {
        credentials["iga"] = {{"type", "client_credentials"},
                              {"client_id", *get("AIC_CLIENT_ID")},
                              {"client_secret_file", *get("AIC_CLIENT_SECRET_FILE")}};
    }
    if (credentials.empty())
        throw config_error(
            "config: AIC_SA_ID: set AIC_SA_ID and AIC_SA_KEY_FILE, or AIC_CLIENT_ID and "
            "AIC_CLIENT_SECRET_FILE (or both pairs)");
    doc["credentials"] = std::move(credentials);

    static detail::path_aliases const aliases{
        {"tenant", "AIC_TENANT"},
        {"listen", "AIC_LISTEN"},
        {"credentials.sa.account_id", "AIC_SA_ID"},
        {"credentials.sa.key_file", "AIC_SA_KEY_FILE"},
        {"credentials.iga.client_id", "AIC_CLIENT_ID"},
        {"credentials.iga.client_secret_file", "AIC_CLIENT_SECRET_FILE"},
    };
    detail::secret_context const ctx{env, std::filesystem::current_path(), warn};
    return detail::build_config(json::value(std::move(doc)), "environment", ctx, &aliases);
}

}  // namespace aic::config
