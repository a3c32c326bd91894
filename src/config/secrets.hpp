// Secret references ("${NAME}", *_file paths under $CREDENTIALS_DIRECTORY) and secret file reads.
// Failures throw config_error naming the JSON path, the file and errno text, never the content.
#pragma once

#include "config/json_reader.hpp"
#include "config/loader.hpp"
#include "core/secret.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace aic::config::detail {

struct secret_context {
    load_environment const& env;
    std::filesystem::path base_dir;  // relative paths resolve here unless $CREDENTIALS_DIRECTORY is set
    warning_sink const& warn;
};

// The variable name of a whole-string "${NAME}" reference, else nullopt.
std::optional<std::string_view> reference_name(std::string_view value);

// `value` itself, or the environment variable it references (unset or empty: error at `where`).
std::string expand(std::string value, json_path const& where, load_environment const& env);

// An absolute path for a *_file value ("${NAME}" allowed: the variable holds the path).
std::filesystem::path resolve_secret_path(std::string value, json_path const& where,
                                          secret_context const& ctx);

enum class trim { none, trailing_newlines };

// Reads a secret file whole (refusing empty, oversized and non-regular files); warns through
// ctx.warn when group or others may read it.
secret read_secret_file(std::filesystem::path const& file, json_path const& where, secret_context const& ctx,
                        trim how);

// A secret given as a "${NAME}" reference (inline literals are refused: secrets stay out of
// config files).
secret secret_from_reference(std::string value, json_path const& where, load_environment const& env,
                             trim how);

}  // namespace aic::config::detail
