// Config text through the loader: config_error is the only acceptable failure.
#include "config/loader.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    using namespace aic::config;
    // No environment and no readable secret files: loading must fail cleanly, never touch
    // anything outside the text, and never crash on what it parses.
    static load_environment const env{
        [](std::string const&) -> std::optional<std::string> { return std::nullopt; }};
    static warning_sink const warn = [](std::string const&) {};
    std::string_view const text{reinterpret_cast<char const*>(data), size};
    try {
        (void)load_config_text(text, "fuzz.json", env, warn);
    } catch (config_error const&) {
    }
    return 0;
}
