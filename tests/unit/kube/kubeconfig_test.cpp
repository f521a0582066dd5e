#include <catch2/catch.hpp>

#include <cstdlib>

#include "common/base64.h"
#include "kube/cluster_config.h"
#include "kube/in_cluster.h"
#include "kube/kubeconfig.h"
#include "testing/temp_dir.h"

using namespace dbtoken;
using common::Code;
using testing::TempDir;

namespace {

const char* kCaPem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const char* kToken = "kubeconfig-token-7f3a9c2e11";

std::string single(const std::string& extraUser = "", const std::string& extraCluster = "") {
  return std::string(
             "apiVersion: v1\n"
             "kind: Config\n"
             "clusters:\n"
             "- name: dev\n"
             "  cluster:\n"
             "    server: https://127.0.0.1:6443\n"
             "    certificate-authority: certs/ca.crt\n") +
         extraCluster +
         "users:\n"
         "- name: admin\n"
         "  user:\n"
         "    token: " +
         kToken + "\n" + extraUser +
         "contexts:\n"
         "- name: dev\n"
         "  context:\n"
         "    cluster: dev\n"
         "    user: admin\n"
         "    namespace: telemetry\n"
         "current-context: dev\n";
}

// The one-line error for a kubeconfig, or "" when it loads.
std::string errorFor(const kube::KubeconfigOptions& options) {
  auto c = kube::loadKubeconfig(options);
  if (c.ok()) {
    return "";
  }
  CHECK(c.status().message().find('\n') == std::string::npos);
  CHECK(c.status().message().find(kToken) == std::string::npos);
  return c.status().message();
}

}  // namespace

TEST_CASE("Kubeconfig: server, CA file relative to the kubeconfig, token and namespace") {
  TempDir dir;
  dir.write("certs/ca.crt", kCaPem);
  auto path = dir.write("config", single());
  auto c = kube::loadKubeconfig({path, {}, ""});
  REQUIRE(c.ok());
  CHECK(c->server == "https://127.0.0.1:6443");
  CHECK(c->tls.caFile == dir.file("certs/ca.crt"));
  CHECK(c->auth.token.reveal() == kToken);
  CHECK(c->defaultNamespace == "telemetry");
  CHECK_FALSE(c->tls.insecureSkipVerify);
  CHECK(c->source.find("context dev") != std::string::npos);
}

TEST_CASE("Kubeconfig: -data fields are decoded; tokenFile and client key files are resolved") {
  TempDir dir;
  dir.write("token", "file-token\n");
  dir.write("client.crt", "CERT");
  dir.write("client.key", "KEY");
  std::string config =
      "clusters:\n"
      "- name: c\n"
      "  cluster:\n"
      "    server: https://10.0.0.1\n"
      "    certificate-authority-data: " +
      common::base64Encode(kCaPem) +
      "\n"
      "users:\n"
      "- name: files\n"
      "  user:\n"
      "    tokenFile: token\n"
      "    client-certificate: client.crt\n"
      "    client-key: client.key\n"
      "- name: data\n"
      "  user:\n"
      "    client-certificate-data: " +
      common::base64Encode("CERTPEM") +
      "\n"
      "    client-key-data: " +
      common::base64Encode("KEYPEM") +
      "\n"
      "contexts:\n"
      "- {name: files, context: {cluster: c, user: files}}\n"
      "- {name: data, context: {cluster: c, user: data}}\n"
      "current-context: files\n";
  auto path = dir.write("config", config);

  auto files = kube::loadKubeconfig({path, {}, ""});
  REQUIRE(files.ok());
  CHECK(files->tls.caPem == std::string(kCaPem));
  CHECK(files->auth.tokenFile == dir.file("token"));
  CHECK(files->tls.clientCertFile == dir.file("client.crt"));
  CHECK(files->tls.clientKeyFile == dir.file("client.key"));
  CHECK(files->defaultNamespace == "default");

  auto data = kube::loadKubeconfig({path, {}, "data"});
  REQUIRE(data.ok());
  CHECK(data->tls.clientCertPem == std::string("CERTPEM"));
  REQUIRE(data->tls.clientKeyPem);
  CHECK(data->tls.clientKeyPem->reveal() == "KEYPEM");
}

TEST_CASE("Kubeconfig: several files merge, the first to define a name or current-context wins") {
  TempDir dir;
  dir.write("certs/ca.crt", kCaPem);
  auto first = dir.write("first", single());
  auto second = dir.write("second",
                          "clusters:\n"
                          "- name: dev\n"
                          "  cluster: {server: https://ignored:1}\n"
                          "- name: prod\n"
                          "  cluster: {server: https://prod:443, insecure-skip-tls-verify: true}\n"
                          "users:\n"
                          "- name: robot\n"
                          "  user: {token: robot-token-123456}\n"
                          "contexts:\n"
                          "- name: prod\n"
                          "  context: {cluster: prod, user: robot}\n"
                          "current-context: prod\n");
  auto missing = dir.file("missing");

  auto merged = kube::loadKubeconfig({"", {missing, first, second}, ""});
  REQUIRE(merged.ok());
  CHECK(merged->server == "https://127.0.0.1:6443");  // current-context from the first file

  auto prod = kube::loadKubeconfig({"", {first, second}, "prod"});
  REQUIRE(prod.ok());
  CHECK(prod->server == "https://prod:443");
  CHECK(prod->tls.insecureSkipVerify);
  CHECK(prod->auth.token.reveal() == "robot-token-123456");
}

TEST_CASE("Kubeconfig: exec plugins are parsed with args, env and a command relative to the file") {
  TempDir dir;
  auto path = dir.write("config",
                        "clusters: [{name: c, cluster: {server: 'https://h:6443'}}]\n"
                        "users:\n"
                        "- name: u\n"
                        "  user:\n"
                        "    exec:\n"
                        "      apiVersion: client.authentication.k8s.io/v1\n"
                        "      command: ./bin/get-token\n"
                        "      args: [--cluster, prod]\n"
                        "      env: [{name: REGION, value: eu}]\n"
                        "      installHint: install get-token\n"
                        "      provideClusterInfo: true\n"
                        "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
                        "current-context: x\n");
  auto c = kube::loadKubeconfig({path, {}, ""});
  REQUIRE(c.ok());
  REQUIRE(c->auth.exec);
  CHECK(c->auth.exec->command == dir.file("bin/get-token"));
  CHECK(c->auth.exec->args == std::vector<std::string>{"--cluster", "prod"});
  CHECK(c->auth.exec->env.size() == 1);
  CHECK(c->auth.exec->installHint == "install get-token");
  CHECK(c->auth.exec->provideClusterInfo);
}

TEST_CASE("Kubeconfig: bad input is one clear line naming the file and the problem") {
  TempDir dir;
  dir.write("certs/ca.crt", kCaPem);
  const std::string good = dir.write("good", single());
  struct Row {
    const char* sentence;
    std::string content;  // empty: use `good`
    kube::KubeconfigOptions options;
    const char* expected;
  };
  const Row rows[] = {
      {"an explicit file that does not exist", "", {dir.file("nope"), {}, ""}, "file not found"},
      {"no file of $KUBECONFIG exists",
       "",
       {"", {dir.file("a"), dir.file("b")}, ""},
       "no file found"},
      {"a context that is not defined", "", {good, {}, "staging"}, "context \"staging\" not found"},
      {"malformed YAML", "clusters: [\n  - {name: x\n", {}, "not valid YAML at line"},
      {"a top level that is not a map", "- a\n- b\n", {}, "the top level must be a map"},
      {"no current context and no --context", "clusters: []\n", {}, "no current-context"},
      {"a CA file that does not exist",
       "clusters: [{name: c, cluster: {server: 'https://h', certificate-authority: /nonexistent/ca"
       ".crt}}]\ncontexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x\n",
       {},
       "certificate-authority /nonexistent/ca.crt cannot be read"},
      {"insecure together with a CA",
       "clusters: [{name: c, cluster: {server: 'https://h', insecure-skip-tls-verify: true, "
       "certificate-authority-data: " +
           common::base64Encode(kCaPem) +
           "}}]\ncontexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x\n",
       {},
       "sets both insecure-skip-tls-verify and a certificate authority"},
      {"a client certificate without its key",
       "clusters: [{name: c, cluster: {server: 'https://h'}}]\nusers: [{name: u, user: "
       "{client-certificate-data: Q0VSVA==}}]\ncontexts: [{name: x, context: {cluster: c, user: "
       "u}}]\ncurrent-context: x\n",
       {},
       "client certificate without a key"},
      {"a context naming an unknown cluster",
       "contexts: [{name: x, context: {cluster: nowhere}}]\ncurrent-context: x\n",
       {},
       "names cluster \"nowhere\", which is not defined"},
      {"a server that is not a URL",
       "clusters: [{name: c, cluster: {server: 'not a url'}}]\ncontexts: [{name: x, context: "
       "{cluster: c}}]\ncurrent-context: x\n",
       {},
       "is not an http(s) URL"},
      {"an auth provider",
       "clusters: [{name: c, cluster: {server: 'https://h'}}]\nusers: [{name: u, user: "
       "{auth-provider: {name: gcp}}}]\ncontexts: [{name: x, context: {cluster: c, user: "
       "u}}]\ncurrent-context: x\n",
       {},
       "uses auth-provider, which is not supported"},
      {"invalid base64 in a -data field",
       "clusters: [{name: c, cluster: {server: 'https://h', certificate-authority-data: "
       "'@@@'}}]\ncontexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x\n",
       {},
       "is not valid base64"},
  };
  for (const Row& row : rows) {
    INFO(row.sentence);
    kube::KubeconfigOptions options = row.options;
    if (!row.content.empty()) {
      options.explicitPath = dir.write("case", row.content);
    }
    std::string error = errorFor(options);
    CHECK_THAT(error, Catch::Contains(row.expected));
    CHECK_THAT(error, Catch::StartsWith("kubeconfig"));
  }
}

TEST_CASE("Kubeconfig: $KUBECONFIG splits at colons and drops empty entries") {
  CHECK(kube::splitKubeconfigList("/a:/b::/c:") == std::vector<std::string>{"/a", "/b", "/c"});
  CHECK(kube::splitKubeconfigList("").empty());
}

TEST_CASE("InCluster: the service host and port, the CA and token files, and the namespace") {
  TempDir dir;
  dir.write("token", "sa-token");
  dir.write("ca.crt", kCaPem);
  dir.write("namespace", "operators\n");
  std::map<std::string, std::string> env = {{"KUBERNETES_SERVICE_HOST", "10.96.0.1"},
                                            {"KUBERNETES_SERVICE_PORT", "443"}};
  kube::InClusterOptions options;
  options.serviceAccountDir = dir.path().string();
  options.getenv = [&env](const char* name) -> std::optional<std::string> {
    auto it = env.find(name);
    return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  REQUIRE(kube::inClusterEnvironment(options));
  auto c = kube::loadInCluster(options);
  REQUIRE(c.ok());
  CHECK(c->server == "https://10.96.0.1:443");
  CHECK(c->tls.caFile == dir.file("ca.crt"));
  CHECK(c->auth.tokenFile == dir.file("token"));
  CHECK(c->defaultNamespace == "operators");

  SECTION("an IPv6 service address is bracketed") {
    env["KUBERNETES_SERVICE_HOST"] = "fd00::1";
    CHECK(kube::loadInCluster(options)->server == "https://[fd00::1]:443");
  }
  SECTION("a missing token file is one clear line") {
    std::filesystem::remove(dir.file("token"));
    auto missing = kube::loadInCluster(options);
    REQUIRE_FALSE(missing.ok());
    CHECK_THAT(missing.status().message(), Catch::Contains(dir.file("token")));
  }
  SECTION("outside a pod") {
    env.clear();
    CHECK_FALSE(kube::inClusterEnvironment(options));
    CHECK(kube::loadInCluster(options).status().code() == Code::kFailedPrecondition);
  }
}

TEST_CASE("ClusterConfig: --kubeconfig wins over $KUBECONFIG, which wins over the home file") {
  TempDir dir;
  dir.write("certs/ca.crt", kCaPem);
  auto fromEnv = dir.write("env-config", single());
  auto explicitFile =
      dir.write("explicit-config", single("", "    insecure-skip-tls-verify: false\n"));
  const char* saved = std::getenv("KUBECONFIG");
  std::string previous = saved != nullptr ? saved : "";
  ::setenv("KUBECONFIG", (dir.file("missing") + ":" + fromEnv).c_str(), 1);
  auto viaEnv = kube::loadClusterConfig({});
  REQUIRE(viaEnv.ok());
  CHECK_THAT(viaEnv->source, Catch::Contains(fromEnv));
  auto viaFlag = kube::loadClusterConfig({explicitFile, ""});
  REQUIRE(viaFlag.ok());
  CHECK_THAT(viaFlag->source, Catch::Contains(explicitFile));
  auto unknown = kube::loadClusterConfig({explicitFile, "nope"});
  CHECK_THAT(unknown.status().message(), Catch::Contains("context \"nope\" not found"));
  if (saved != nullptr) {
    ::setenv("KUBECONFIG", previous.c_str(), 1);
  } else {
    ::unsetenv("KUBECONFIG");
  }
}
