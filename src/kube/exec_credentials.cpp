#include "kube/exec_credentials.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <vector>

#include <nlohmann/json.hpp>

extern char** environ;  // NOLINT: POSIX, read only

namespace dbtoken::kube {
namespace {

using common::Code;
using common::Result;
using common::Status;

constexpr size_t kMaxOutput = 1 << 20;

Status failed(const ExecConfig& config, const std::string& what) {
  return Status(Code::kFailedPrecondition,
                "exec credential plugin \"" + config.command + "\" " + what);
}

// The child's environment: ours, then the kubeconfig's entries, then KUBERNETES_EXEC_INFO.
std::vector<std::string> childEnvironment(const ExecConfig& config, const std::string& server) {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry(*e);
    auto eq = entry.find('=');
    if (eq != std::string::npos) {
      env[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
  }
  for (const auto& [k, v] : config.env) {
    env[k] = v;
  }
  nlohmann::json info = {{"apiVersion", config.apiVersion},
                         {"kind", "ExecCredential"},
                         {"spec", {{"interactive", false}}}};
  if (config.provideClusterInfo) {
    info["spec"]["cluster"] = {{"server", server}};
  }
  env["KUBERNETES_EXEC_INFO"] = info.dump();
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [k, v] : env) {
    out.push_back(k + "=" + v);
  }
  return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) {
    out.push_back(s.data());
  }
  out.push_back(nullptr);
  return out;
}

// Closes a descriptor when it goes out of scope.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) {
      ::close(fd);
    }
  }
};

}  // namespace

Result<ExecCredential> parseExecCredential(const std::string& output,
                                           const std::string& expectedApiVersion) {
  auto j = nlohmann::json::parse(output, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    return Status(Code::kFailedPrecondition, "exec credential plugin printed no JSON object");
  }
  auto str = [](const nlohmann::json& o, const char* k) -> std::string {
    auto it = o.find(k);
    return it != o.end() && it->is_string() ? it->get<std::string>() : "";
  };
  if (str(j, "kind") != "ExecCredential") {
    return Status(Code::kFailedPrecondition,
                  "exec credential plugin printed something other than an ExecCredential");
  }
  if (str(j, "apiVersion") != expectedApiVersion) {
    return Status(Code::kFailedPrecondition, "exec credential plugin answered apiVersion \"" +
                                                 str(j, "apiVersion") + "\", expected \"" +
                                                 expectedApiVersion + "\"");
  }
  auto status = j.find("status");
  if (status == j.end() || !status->is_object()) {
    return Status(Code::kFailedPrecondition, "exec credential plugin answered without a status");
  }
  if (!str(*status, "clientCertificateData").empty()) {
    return Status(Code::kFailedPrecondition,
                  "exec credential plugin returned a client certificate; only tokens are "
                  "supported");
  }
  std::string token = str(*status, "token");
  if (token.empty()) {
    return Status(Code::kFailedPrecondition, "exec credential plugin returned no token");
  }
  ExecCredential cred{common::Secret(std::move(token)), std::nullopt};
  std::string expiry = str(*status, "expirationTimestamp");
  if (!expiry.empty()) {
    cred.expiry = common::parseRfc3339(expiry);
    if (!cred.expiry) {
      return Status(Code::kFailedPrecondition,
                    "exec credential plugin returned an expirationTimestamp that is not RFC 3339");
    }
  }
  return cred;
}

Result<ExecCredential> runExecPlugin(const ExecConfig& config, const std::string& server,
                                     std::chrono::milliseconds timeout) {
  if (config.command.empty()) {
    return Status(Code::kFailedPrecondition, "exec credential plugin has no command");
  }
  if (config.apiVersion != "client.authentication.k8s.io/v1" &&
      config.apiVersion != "client.authentication.k8s.io/v1beta1") {
    return failed(config, "asks for apiVersion \"" + config.apiVersion +
                              "\"; supported: client.authentication.k8s.io/v1 and v1beta1");
  }
  if (config.interactiveMode == "Always") {
    return failed(config, "needs a terminal (interactiveMode: Always); the operator has none");
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return failed(config, std::string("could not start: ") + std::strerror(errno));
  }
  Fd readEnd{fds[0]};
  Fd writeEnd{fds[1]};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, writeEnd.fd, 1);

  std::vector<std::string> argStrings{config.command};
  argStrings.insert(argStrings.end(), config.args.begin(), config.args.end());
  std::vector<std::string> envStrings = childEnvironment(config, server);
  std::vector<char*> argv = pointers(argStrings);
  std::vector<char*> envp = pointers(envStrings);

  pid_t pid = 0;
  int rc =
      ::posix_spawnp(&pid, config.command.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    std::string what =
        rc == ENOENT ? "was not found" : std::string("could not start: ") + std::strerror(rc);
    if (!config.installHint.empty()) {
      what += " (" + config.installHint + ")";
    }
    return failed(config, what);
  }
  ::close(writeEnd.fd);
  writeEnd.fd = -1;

  std::string output;
  bool timedOut = false;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timedOut = true;
      break;
    }
    pollfd p{readEnd.fd, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready <= 0) {
      timedOut = ready == 0;
      break;
    }
    char buf[4096];
    ssize_t n = ::read(readEnd.fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    output.append(buf, static_cast<size_t>(n));
    if (output.size() > kMaxOutput) {
      break;
    }
  }
  if (timedOut || output.size() > kMaxOutput) {
    ::kill(pid, SIGKILL);
  }
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (timedOut) {
    return failed(config, "did not answer within " + std::to_string(timeout.count()) + " ms");
  }
  if (output.size() > kMaxOutput) {
    return failed(config, "printed more than 1 MiB");
  }
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    std::string how = WIFEXITED(wstatus)
                          ? "exited with status " + std::to_string(WEXITSTATUS(wstatus))
                          : "was killed by signal " + std::to_string(WTERMSIG(wstatus));
    return failed(config, how);
  }
  auto cred = parseExecCredential(output, config.apiVersion);
  if (!cred.ok()) {
    return Status(cred.status().code(),
                  cred.status().message() + " (command \"" + config.command + "\")");
  }
  return cred;
}

}  // namespace dbtoken::kube
