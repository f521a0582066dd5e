// The management-api-double executable: starts, prints one JSON line with its URLs and CA file,
// serves the client, and stops cleanly on SIGTERM.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "influx/http_token_client.h"

extern char** environ;

using namespace dbtoken;

namespace {

// A child process with its stdout read line by line; killed and reaped on destruction.
class Child {
 public:
  explicit Child(std::vector<std::string> args) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    std::vector<char*> argv;
    for (auto& a : args) {
      argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    out_ = fds[0];
    REQUIRE(rc == 0);
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(out_);
  }
  std::string readLine(int timeoutMs) {
    std::string line;
    char c;
    while (true) {
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, timeoutMs) <= 0 || ::read(out_, &c, 1) != 1 || c == '\n') {
        return line;
      }
      line += c;
    }
  }
  // Sends the signal and waits up to timeoutMs for the exit; the exit code, or -1.
  int stop(int sig, int timeoutMs) {
    ::kill(pid_, sig);
    for (int waited = 0; waited < timeoutMs; waited += 10) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      ::usleep(10000);
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
};

}  // namespace

TEST_CASE("management-api-double: prints its URLs when ready, serves, and stops on SIGTERM") {
  auto dir = std::filesystem::temp_directory_path() / ("mad-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto tokenFile = (dir / "token").string();
  std::ofstream(tokenFile) << "mgmt_process_test_7c1d2e\n";
  Child child({DBTOKEN_MANAGEMENT_DOUBLE_BINARY, "--management-token-file", tokenFile, "--cert-dir",
               (dir / "certs").string(), "--revoked-get", "404", "--account-id",
               "11111111-1111-4111-8111-111111111111", "--cluster-id",
               "33333333-3333-4333-8333-333333333333"});
  auto line = child.readLine(10000);
  auto ready = nlohmann::json::parse(line, nullptr, false);
  REQUIRE(ready.is_object());
  CHECK(ready["caFile"] == (dir / "certs" / "ca.crt").string());
  CHECK(ready["dedicatedBaseUrl"].get<std::string>().find(
            "/api/v0/accounts/11111111-1111-4111-8111-111111111111/clusters/") !=
        std::string::npos);

  influx::HttpTokenClientOptions o;
  o.url = ready["url"];
  o.shape = influx::UrlShape::kDedicated;
  o.accountId = ready["accountId"];
  o.clusterId = ready["clusterId"];
  o.caFile = ready["caFile"].get<std::string>();
  o.managementTokenFile = tokenFile;
  auto client = influx::HttpTokenClient::make(o);
  REQUIRE(client.ok());
  auto created = (*client)->create(influx::CreateRequest{"from a process", {}, std::nullopt});
  REQUIRE(created.ok());
  REQUIRE((*client)->revoke(created->token.id).ok());
  CHECK((*client)->get(created->token.id).status().code() == common::Code::kNotFound);

  CHECK(child.stop(SIGTERM, 5000) == 0);
  std::filesystem::remove_all(dir);
}

TEST_CASE("management-api-double: a bad flag is one clear line and exit code 2") {
  Child child(
      {DBTOKEN_MANAGEMENT_DOUBLE_BINARY, "--management-token", "x", "--revoked-get", "maybe"});
  CHECK(child.stop(0, 5000) == 2);
}
