#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "influx/token_file.h"

using namespace dbtoken;
using common::Code;

namespace {
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "token-file-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string write(const std::string& name, const std::string& content) const {
    auto p = (path / name).string();
    std::ofstream(p, std::ios::trunc) << content;
    return p;
  }
};
}  // namespace

TEST_CASE("TokenFile: the token is read with surrounding whitespace removed") {
  TempDir dir;
  influx::TokenFile file(dir.write("token", "  mgmt-token-value\n"));
  auto t = file.read();
  REQUIRE(t.ok());
  CHECK(t->reveal() == "mgmt-token-value");
}

TEST_CASE("TokenFile: a missing or empty file is FailedPrecondition naming the path only") {
  TempDir dir;
  SECTION("missing") {
    influx::TokenFile file((dir.path / "absent").string());
    auto t = file.read();
    REQUIRE_FALSE(t.ok());
    CHECK(t.status().code() == Code::kFailedPrecondition);
    CHECK_THAT(t.status().message(), Catch::Contains("absent"));
  }
  SECTION("empty") {
    influx::TokenFile file(dir.write("empty", "\n \n"));
    auto t = file.read();
    REQUIRE_FALSE(t.ok());
    CHECK(t.status().code() == Code::kFailedPrecondition);
    CHECK_THAT(t.status().message(), Catch::Contains("is empty"));
  }
  SECTION("no path configured") {
    influx::TokenFile file("");
    CHECK(file.read().status().code() == Code::kFailedPrecondition);
  }
}

TEST_CASE("TokenFile: a rotated token is used from the next read on, and the redactor learns it") {
  TempDir dir;
  auto redactor = std::make_shared<common::Redactor>();
  auto path = dir.write("token", "first-token-value");
  influx::TokenFile file(path, redactor);
  REQUIRE(file.read()->reveal() == "first-token-value");

  SECTION("rewritten in place") {
    dir.write("token", "second-token-value-longer");
    CHECK(file.read()->reveal() == "second-token-value-longer");
  }
  SECTION("replaced by a rename, as Kubernetes does with mounted Secrets") {
    auto next = dir.write("token.new", "third-token-value");
    std::filesystem::rename(next, path);
    CHECK(file.read()->reveal() == "third-token-value");
  }
  SECTION("deleted: an error, then the new file is picked up") {
    std::filesystem::remove(path);
    CHECK_FALSE(file.read().ok());
    dir.write("token", "fourth-token-value");
    CHECK(file.read()->reveal() == "fourth-token-value");
  }
  CHECK(redactor->scrub("x first-token-value y") == "x [REDACTED] y");
}
