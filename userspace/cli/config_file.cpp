#include "cli/config_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace kst::cli {
namespace {

CLI::Option* option_for(CLI::App& sub, std::string key) {
  for (auto& c : key)
    if (c == '_') c = '-';
  if (key == "config" || key == "help") return nullptr;
  return sub.get_option_no_throw("--" + key);
}

}  // namespace

void apply_config_file(CLI::App& sub, const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read config file " + path + ": " + strerror(errno));
  std::vector<CLI::ConfigItem> items;
  try {
    items = CLI::ConfigTOML().from_config(in);
  } catch (const CLI::Error& e) {
    throw std::runtime_error("config file " + path + ": " + e.what());
  }
  for (const auto& item : items) {
    if (item.name == "++" || item.name == "--") continue;  // section markers
    if (!item.parents.empty() && (item.parents.size() != 1 || item.parents[0] != sub.get_name()))
      throw std::runtime_error("config file " + path + ": unknown section [" + item.parents[0] + "]");
    CLI::Option* op = option_for(sub, item.name);
    if (!op) throw std::runtime_error("config file " + path + ": unknown key '" + item.name + "'");
    if (op->count() > 0) continue;  // given on the command line
    try {
      op->add_result(item.inputs);
      op->run_callback();
    } catch (const CLI::Error& e) {
      throw std::runtime_error("config file " + path + ": " + item.name + ": " + e.what());
    }
  }
}

}  // namespace kst::cli
