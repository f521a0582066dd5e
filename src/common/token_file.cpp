#include "common/token_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace dbtoken::common {

TokenFile::TokenFile(std::string path, std::shared_ptr<Redactor> redactor, std::string description)
    : path_(std::move(path)),
      redactor_(std::move(redactor)),
      description_(std::move(description)) {}

Result<Secret> TokenFile::read() {
  std::lock_guard lk(mu_);
  if (path_.empty()) {
    return Status(Code::kFailedPrecondition, "no " + description_ + " configured");
  }
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    int err = errno;
    return Status(Code::kFailedPrecondition,
                  "cannot read " + description_ + " " + path_ + ": " + std::strerror(err));
  }
  Stamp stamp{st.st_dev, st.st_ino, st.st_size,
              static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec};
  if (stamp_ && *stamp_ == stamp && !cached_.empty()) {
    return cached_;
  }
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    int err = errno;
    return Status(Code::kFailedPrecondition,
                  "cannot read " + description_ + " " + path_ + ": " + std::strerror(err));
  }
  std::ostringstream content;
  content << in.rdbuf();
  std::string token = content.str();
  const char* kSpace = " \t\r\n";
  size_t begin = token.find_first_not_of(kSpace);
  if (begin == std::string::npos) {
    stamp_.reset();
    return Status(Code::kFailedPrecondition, description_ + " " + path_ + " is empty");
  }
  size_t end = token.find_last_not_of(kSpace);
  token = token.substr(begin, end - begin + 1);
  if (redactor_) {
    redactor_->add(token);
  }
  cached_ = Secret(std::move(token));
  stamp_ = stamp;
  return cached_;
}

}  // namespace dbtoken::common
