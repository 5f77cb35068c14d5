#pragma once

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace kst::test {

inline std::string data_file(const std::string& rel) {
  const std::string path = std::string(KST_TEST_DATA) + "/" + rel;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("missing test data " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace kst::test
