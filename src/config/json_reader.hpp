// Typed, path-tracking reads from a Boost.JSON document; every failure throws config_error
// naming the JSON path and the expected kind, never the offending value (it may be a secret).
#pragma once

#include "config/loader.hpp"

#include <boost/json/value.hpp>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aic::config::detail {

namespace json = boost::json;
using error_code = boost::system::error_code;

// Environment-only mode reports AIC_* variable names instead of JSON paths.
using path_aliases = std::map<std::string, std::string, std::less<>>;

// A place in the document, e.g. "routes[2].prefix"; printed as "<root>" for the top.
class json_path {
public:
    explicit json_path(path_aliases const* aliases = nullptr) : aliases_(aliases) {}
    json_path key(std::string_view name) const;
    json_path index(std::size_t i) const;
    std::string text() const;

private:
    json_path derived(std::string dotted) const;
    std::string dotted_;
    std::string alias_;
    path_aliases const* aliases_ = nullptr;
};

[[noreturn]] void fail(json_path const& where, std::string_view what);
std::string_view kind_name(json::value const& v);

// Reads one JSON object. Construction fails unless `v` is an object.
class object_reader {
public:
    object_reader(json::value const& v, json_path path);

    json_path const& path() const { return path_; }
    json_path at(std::string_view key) const { return path_.key(key); }
    json::value const* find(std::string_view key) const;
    bool has(std::string_view key) const { return find(key) != nullptr; }
    std::vector<std::string_view> keys() const;

    // Any key not in `allowed` is an error; `what` qualifies it ("for an api_key credential").
    void allow_only(std::initializer_list<std::string_view> allowed, std::string_view what = {}) const;

    std::string required_string(std::string_view key) const;
    std::optional<std::string> optional_string(std::string_view key) const;
    std::optional<bool> optional_bool(std::string_view key) const;
    std::optional<std::uint64_t> optional_integer(std::string_view key, std::uint64_t min,
                                                  std::uint64_t max) const;
    std::optional<double> optional_number(std::string_view key, double min, double max) const;
    std::optional<object_reader> optional_object(std::string_view key) const;
    std::optional<std::vector<std::string>> optional_string_array(std::string_view key) const;

private:
    json::object const* obj_;
    json_path path_;
};

// Throws naming the path of the first key repeated within one object. Run on text that parsed.
void reject_duplicate_keys(std::string_view text);

std::string as_string(json::value const& v, json_path const& where);
json::array const& as_array(json::value const& v, json_path const& where);

}  // namespace aic::config::detail
