// Options of a subcommand from a TOML file (`agent --config FILE`). CLI11
// 2.1 reads config files for the top-level app only, so the subcommand's file
// is applied here, with CLI11's own TOML reader and each option's validators:
// the command line wins over the file, and an unknown key is an error.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace kst::cli {

// Keys are long option names ("state-dir" or "state_dir"), at the top or in a
// [SECTION] named after the subcommand. Throws std::runtime_error with a
// one-line message naming the file (unreadable, unknown key, bad value).
void apply_config_file(CLI::App& sub, const std::string& path);

}  // namespace kst::cli
