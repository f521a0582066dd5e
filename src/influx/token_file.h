// TokenFile: the management token, read from a file (a mounted Kubernetes Secret) and read again
// whenever the file changes (see common::TokenFile); messages call it the management token file.
#pragma once

#include <memory>
#include <string>

#include "common/token_file.h"

namespace dbtoken::influx {

class TokenFile final : public common::TokenFile {
 public:
  explicit TokenFile(std::string path, std::shared_ptr<common::Redactor> redactor = nullptr)
      : common::TokenFile(std::move(path), std::move(redactor), "management token file") {}
};

}  // namespace dbtoken::influx
