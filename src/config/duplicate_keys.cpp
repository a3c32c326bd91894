// A SAX pass that refuses duplicate object keys: Boost.JSON's DOM silently keeps the last one,
// which would hide a second "sa" credential or a repeated setting.
#include "config/json_reader.hpp"

#include <boost/json/basic_parser_impl.hpp>

#include <set>

namespace aic::config::detail {
namespace {

struct duplicate_finder {
    static constexpr std::size_t max_object_size = std::size_t(-1);
    static constexpr std::size_t max_array_size = std::size_t(-1);
    static constexpr std::size_t max_key_size = std::size_t(-1);
    static constexpr std::size_t max_string_size = std::size_t(-1);

    struct frame {
        json_path path;
        bool object = false;
        std::set<std::string, std::less<>> keys;
        std::string key;             // the current key (objects)
        std::size_t next_index = 0;  // arrays
    };
    std::vector<frame> frames;
    std::string partial_key;
    std::optional<json_path> duplicate;

    json_path value_path() {
        if (frames.empty()) return json_path{};
        auto& top = frames.back();
        return top.object ? top.path.key(top.key) : top.path.index(top.next_index++);
    }
    bool open(bool object) {
        frames.push_back(frame{value_path(), object, {}, {}, 0});
        return true;
    }
    bool scalar() {
        (void)value_path();
        return true;
    }
    bool close() {
        frames.pop_back();
        return true;
    }

    bool on_document_begin(error_code&) { return true; }
    bool on_document_end(error_code&) { return true; }
    bool on_object_begin(error_code&) { return open(true); }
    bool on_object_end(std::size_t, error_code&) { return close(); }
    bool on_array_begin(error_code&) { return open(false); }
    bool on_array_end(std::size_t, error_code&) { return close(); }
    bool on_key_part(json::string_view s, std::size_t, error_code&) {
        partial_key.append(s.data(), s.size());
        return true;
    }
    bool on_key(json::string_view s, std::size_t, error_code& ec) {
        partial_key.append(s.data(), s.size());
        auto& top = frames.back();
        top.key = std::move(partial_key);
        partial_key.clear();
        if (!top.keys.insert(top.key).second) {
            duplicate = top.path.key(top.key);
            ec = json::error::syntax;  // stops the parse; reported from `duplicate`
            return false;
        }
        return true;
    }
    bool on_string_part(json::string_view, std::size_t, error_code&) { return true; }
    bool on_string(json::string_view, std::size_t, error_code&) { return scalar(); }
    bool on_number_part(json::string_view, error_code&) { return true; }
    bool on_int64(std::int64_t, json::string_view, error_code&) { return scalar(); }
    bool on_uint64(std::uint64_t, json::string_view, error_code&) { return scalar(); }
    bool on_double(double, json::string_view, error_code&) { return scalar(); }
    bool on_bool(bool, error_code&) { return scalar(); }
    bool on_null(error_code&) { return scalar(); }
    bool on_comment_part(json::string_view, error_code&) { return true; }
    bool on_comment(json::string_view, error_code&) { return true; }
};

}  // namespace

void reject_duplicate_keys(std::string_view text) {
    json::basic_parser<duplicate_finder> parser{json::parse_options{}};
    error_code ec;
    parser.write_some(false, text.data(), text.size(), ec);
    if (parser.handler().duplicate) fail(*parser.handler().duplicate, "duplicate key");
}

}  // namespace aic::config::detail
