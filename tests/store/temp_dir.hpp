#pragma once

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>

namespace sluice::store::test {

/// A fresh directory under /tmp for one test, removed with everything in it
/// when the test ends.
struct temp_dir {
  std::filesystem::path path;

  temp_dir() {
    std::string tmpl = "/tmp/sluice-store-test-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr)
      throw std::runtime_error("mkdtemp failed");
    path = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
};

} // namespace sluice::store::test
