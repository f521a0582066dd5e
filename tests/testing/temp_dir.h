// TempDir: a private directory under $TMPDIR for one test, removed with everything in it when the
// test ends; write() puts a file in it and returns its path.
#pragma once

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace dbtoken::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "dbtoken-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  // Writes (replaces) a file; mode 0755 makes it executable.
  std::string write(const std::string& name, const std::string& content, int mode = 0644) const {
    std::string p = file(name);
    std::filesystem::create_directories(std::filesystem::path(p).parent_path());
    {
      std::ofstream out(p, std::ios::trunc | std::ios::binary);
      out << content;
    }
    ::chmod(p.c_str(), static_cast<mode_t>(mode));
    return p;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace dbtoken::testing
