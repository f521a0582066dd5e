#include <catch2/catch.hpp>

#include <fstream>

#include <nlohmann/json.hpp>

#include "common/time_format.h"
#include "kube/credentials.h"
#include "kube/exec_credentials.h"
#include "testing/temp_dir.h"

using namespace dbtoken;
using common::Code;
using testing::TempDir;

namespace {

// A plugin script that counts its runs in ./runs and prints an ExecCredential.
std::string plugin(const TempDir& dir, const std::string& token, const std::string& expiry,
                   const std::string& extra = "") {
  std::string status = "{\"token\":\"" + token + "\"" +
                       (expiry.empty() ? "" : ",\"expirationTimestamp\":\"" + expiry + "\"") + "}";
  return dir.write("plugin.sh",
                   "#!/bin/sh\n"
                   "echo run >> '" +
                       dir.file("runs") + "'\n" + extra +
                       "echo '{\"apiVersion\":\"client.authentication.k8s.io/v1\","
                       "\"kind\":\"ExecCredential\",\"status\":" +
                       status + "}'\n",
                   0755);
}

int runs(const TempDir& dir) {
  std::ifstream in(dir.file("runs"));
  int n = 0;
  std::string line;
  while (std::getline(in, line)) {
    ++n;
  }
  return n;
}

kube::ExecConfig config(const std::string& command) {
  kube::ExecConfig c;
  c.command = command;
  return c;
}

}  // namespace

TEST_CASE("ExecPlugin: the token and expiry are read from the plugin's ExecCredential") {
  TempDir dir;
  auto cred = kube::runExecPlugin(config(plugin(dir, "exec-token-1", "2030-01-01T01:00:00Z")),
                                  "https://h", std::chrono::seconds(10));
  REQUIRE(cred.ok());
  CHECK(cred->token.reveal() == "exec-token-1");
  REQUIRE(cred->expiry);
  CHECK(common::formatRfc3339(*cred->expiry) == "2030-01-01T01:00:00Z");
}

TEST_CASE("ExecPlugin: KUBERNETES_EXEC_INFO, args and env reach the plugin") {
  TempDir dir;
  std::string script = dir.write(
      "p.sh",
      "#!/bin/sh\n"
      "echo \"$KUBERNETES_EXEC_INFO\" > '" +
          dir.file("info") + "'\necho \"$1 $REGION\" > '" + dir.file("args") +
          "'\n"
          "echo '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
          "\"status\":{\"token\":\"t0k3n-abcdef\"}}'\n",
      0755);
  kube::ExecConfig c = config(script);
  c.args = {"--flag"};
  c.env = {{"REGION", "eu"}};
  c.provideClusterInfo = true;
  REQUIRE(kube::runExecPlugin(c, "https://api:6443", std::chrono::seconds(10)).ok());
  std::ifstream info(dir.file("info"));
  auto j = nlohmann::json::parse(info);
  CHECK(j["kind"] == "ExecCredential");
  CHECK(j["spec"]["interactive"] == false);
  CHECK(j["spec"]["cluster"]["server"] == "https://api:6443");
  std::ifstream args(dir.file("args"));
  std::string line;
  std::getline(args, line);
  CHECK(line == "--flag eu");
}

TEST_CASE("ExecPlugin: failures are one line naming the command, never the token") {
  TempDir dir;
  struct Row {
    const char* sentence;
    std::string script;
    std::chrono::milliseconds timeout;
    const char* expected;
  };
  const Row rows[] = {
      {"a plugin that exits non-zero", "#!/bin/sh\necho secret-ish-output\nexit 3\n",
       std::chrono::seconds(10), "exited with status 3"},
      {"a plugin that prints no JSON", "#!/bin/sh\necho hello\n", std::chrono::seconds(10),
       "printed no JSON object"},
      {"a plugin of the wrong kind", "#!/bin/sh\necho '{\"kind\":\"Pod\"}'\n",
       std::chrono::seconds(10), "other than an ExecCredential"},
      {"a plugin that hangs", "#!/bin/sh\nexec sleep 10\n", std::chrono::milliseconds(200),
       "did not answer within 200 ms"},
      {"a client certificate instead of a token",
       "#!/bin/sh\necho '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":"
       "\"ExecCredential\",\"status\":{\"clientCertificateData\":\"x\",\"clientKeyData\":\"y\"}}'"
       "\n",
       std::chrono::seconds(10), "only tokens are supported"},
  };
  for (const Row& row : rows) {
    INFO(row.sentence);
    auto cred =
        kube::runExecPlugin(config(dir.write("p.sh", row.script, 0755)), "https://h", row.timeout);
    REQUIRE_FALSE(cred.ok());
    CHECK(cred.status().code() == Code::kFailedPrecondition);
    CHECK_THAT(cred.status().message(), Catch::Contains(row.expected));
    CHECK(cred.status().message().find('\n') == std::string::npos);
  }
}

TEST_CASE("ExecPlugin: a missing command says so, with the install hint") {
  kube::ExecConfig c = config("dbtoken-no-such-plugin");
  c.installHint = "install it from https://example.test";
  auto cred = kube::runExecPlugin(c, "https://h", std::chrono::seconds(5));
  REQUIRE_FALSE(cred.ok());
  CHECK_THAT(cred.status().message(), Catch::Contains("was not found"));
  CHECK_THAT(cred.status().message(), Catch::Contains("install it from https://example.test"));
}

TEST_CASE("ExecTokenSource: the token is cached until shortly before it expires") {
  TempDir dir;
  common::FakeClock clock;  // wall time starts at 2030-01-01T00:00:00Z
  auto redactor = std::make_shared<common::Redactor>();
  kube::ExecTokenSource source(config(plugin(dir, "cached-token-1", "2030-01-01T00:10:00Z")),
                               "https://h", &clock, redactor);
  REQUIRE(source.token().ok());
  REQUIRE(source.token().ok());
  CHECK(runs(dir) == 1);
  CHECK(redactor->scrub("x cached-token-1 y") == "x [REDACTED] y");

  clock.advance(std::chrono::minutes(9));  // 60 s before expiry: still good
  REQUIRE(source.token().ok());
  CHECK(runs(dir) == 1);
  clock.advance(std::chrono::seconds(45));  // 15 s before expiry: inside the refresh margin
  REQUIRE(source.token().ok());
  CHECK(runs(dir) == 2);

  SECTION("a 401 drops the cached token") {
    CHECK(source.invalidate());
    REQUIRE(source.token().ok());
    CHECK(runs(dir) == 3);
  }
}

TEST_CASE("ExecTokenSource: a token without expiry is kept until the server refuses it") {
  TempDir dir;
  common::FakeClock clock;
  kube::ExecTokenSource source(config(plugin(dir, "forever-token", "")), "https://h", &clock,
                               nullptr);
  REQUIRE(source.token().ok());
  clock.advance(std::chrono::hours(100));
  REQUIRE(source.token().ok());
  CHECK(runs(dir) == 1);
}

TEST_CASE("FileTokenSource: a rotated token file is read again") {
  TempDir dir;
  auto path = dir.write("token", "first-token-aaaa");
  kube::FileTokenSource source(path, nullptr);
  CHECK(source.token()->reveal() == "first-token-aaaa");
  dir.write("token", "second-token-bbbbbb");
  CHECK(source.token()->reveal() == "second-token-bbbbbb");
}
