// TokenFile: a bearer token read from a file (a mounted Kubernetes Secret or a projected service
// account token) and read again whenever the file changes, so a rotated token is used from the
// next request on. The token is handed out only as a Secret; errors name the path, never the
// content. Knows nothing about what the token is for beyond a description used in messages.
#pragma once

#include <sys/types.h>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/secret.h"
#include "common/status.h"

namespace dbtoken::common {

class TokenFile {
 public:
  // redactor (optional): every token read is added to it, so log lines scrub it.
  // description names the file in messages: "cannot read <description> <path>".
  explicit TokenFile(std::string path, std::shared_ptr<Redactor> redactor = nullptr,
                     std::string description = "token file");

  // The current token, surrounding whitespace removed. FailedPrecondition when the file is
  // missing, unreadable or empty. Thread-safe; reads the file only when its identity, size or
  // modification time changed since the last read.
  Result<Secret> read();

  const std::string& path() const { return path_; }

 private:
  struct Stamp {
    dev_t device = 0;
    ino_t inode = 0;
    off_t size = -1;
    long long mtimeNanos = 0;
    friend bool operator==(const Stamp&, const Stamp&) = default;
  };

  std::string path_;
  std::shared_ptr<Redactor> redactor_;
  std::string description_;
  std::mutex mu_;
  std::optional<Stamp> stamp_;
  Secret cached_;
};

}  // namespace dbtoken::common
