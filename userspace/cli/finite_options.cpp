// Every decimal option of every command must be a finite number. CLI11's
// Range and PositiveNumber compare with < and >, which are false for NaN, so
// "nan" passed every check: `record --sample-interval nan` wrote a header
// that `report` then refused, `-d nan` never stopped, `watch -i nan` never
// printed. One pass over the registered options (new commands included)
// adds the check, instead of a validator on each option.
#include <cmath>
#include <cstdlib>

#include "cli/commands.h"

namespace kst::cli {
namespace {

std::string finite_number(std::string& s) {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str()) return {};  // not a number at all: the option's own conversion says so
  if (!std::isfinite(v)) return "'" + s + "' is not a finite number";
  return {};
}

void add_to(CLI::App& app) {
  for (CLI::Option* o : app.get_options())
    if (o->get_type_name().rfind("FLOAT", 0) == 0) o->check(CLI::Validator(finite_number, ""));
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) add_to(*sub);
}

}  // namespace

void require_finite_decimals(CLI::App& app) { add_to(app); }

}  // namespace kst::cli
