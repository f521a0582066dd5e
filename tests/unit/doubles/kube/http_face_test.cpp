#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>

#include "http/transport.h"
#include "kube/api_server.h"
#include "kube/http_face.h"

using namespace dbtoken;
using nlohmann::json;

namespace {

struct Served {
  kubedouble::ApiServer api;
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("face-test-" + std::to_string(::getpid()));
  std::unique_ptr<kubedouble::HttpFace> face;
  Served() {
    kubedouble::HttpFaceOptions o;
    o.dataDir = dir.string();
    auto f = kubedouble::HttpFace::start(api, o);
    REQUIRE(f.ok());
    face = std::move(f).value();
  }
  ~Served() {
    face.reset();
    std::filesystem::remove_all(dir);
  }
  int status(const std::string& target, const std::optional<std::string>& token,
             std::string method = "GET", std::optional<std::string> body = std::nullopt) {
    http::TransportOptions o;
    o.baseUrl = face->url();
    o.tls.caFile = face->caFile();
    auto t = http::makeTransport(o);
    REQUIRE(t.ok());
    http::ClientRequest req;
    req.method = method;
    req.target = target;
    if (token) {
      req.headers.add("Authorization", "Bearer " + *token);
    }
    if (body) {
      req.body = body;
      req.headers.add("Content-Type", "application/json");
    }
    auto r = (*t)->send(req);
    REQUIRE(r.ok());
    lastBody = r->body;
    lastHeaders = r->headers;
    return r->status;
  }
  std::string lastBody;
  http::Headers lastHeaders;
};

}  // namespace

TEST_CASE("API double over HTTPS: bearer tokens are checked like a kube-apiserver does") {
  Served s;
  CHECK(s.face->url().rfind("https://127.0.0.1:", 0) == 0);
  const std::string token = s.face->token().reveal();
  struct Row {
    const char* sentence;
    const char* target;
    std::optional<std::string> token;
    int status;
  };
  const Row rows[] = {
      {"the admin token reads namespaces", "/api/v1/namespaces", token, 200},
      {"a wrong token is 401", "/api/v1/namespaces", std::string("wrong"), 401},
      {"no token is anonymous and forbidden", "/api/v1/namespaces", std::nullopt, 403},
      {"anonymous may read /version", "/version", std::nullopt, 200},
      {"anonymous may read /readyz", "/readyz", std::nullopt, 200},
  };
  for (const auto& row : rows) {
    INFO(row.sentence);
    CHECK(s.status(row.target, row.token) == row.status);
  }
  SECTION("a token issued for a service account is accepted") {
    s.status("/api/v1/namespaces/default/serviceaccounts", token, "POST",
             json{{"apiVersion", "v1"}, {"kind", "ServiceAccount"}, {"metadata", {{"name", "op"}}}}
                 .dump());
    REQUIRE(s.status("/api/v1/namespaces/default/serviceaccounts/op/token", token, "POST",
                     json{{"apiVersion", "authentication.k8s.io/v1"},
                          {"kind", "TokenRequest"},
                          {"spec", {{"expirationSeconds", 3600}}}}
                         .dump()) == 201);
    std::string issued = json::parse(s.lastBody)["status"]["token"];
    CHECK(s.status("/api/v1/namespaces", issued) == 200);
  }
}

TEST_CASE(
    "API double over HTTPS: answers carry the API Priority and Fairness headers of a v1.32 "
    "server, unless a test turns them off") {
  Served s;
  const std::string token = s.face->token().reveal();
  const std::regex uid("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
  struct Row {
    const char* sentence;
    const char* target;
    std::optional<std::string> token;
    int status;
    bool headers;
  };
  const Row rows[] = {
      {"an admin read is classified", "/api/v1/namespaces", token, 200, true},
      {"a missing object is classified too", "/api/v1/namespaces/nope", token, 404, true},
      {"an anonymous request forbidden by RBAC is classified (APF runs before authorization)",
       "/api/v1/namespaces", std::nullopt, 403, true},
      {"a probe is classified", "/readyz", std::nullopt, 200, true},
      {"a wrong token never reaches flow control", "/api/v1/namespaces", std::string("wrong"), 401,
       false},
  };
  for (const auto& row : rows) {
    INFO(row.sentence);
    CHECK(s.status(row.target, row.token) == row.status);
    auto flowSchema = s.lastHeaders.get("X-Kubernetes-PF-FlowSchema-UID");
    auto priorityLevel = s.lastHeaders.get("X-Kubernetes-PF-PriorityLevel-UID");
    CHECK(flowSchema.has_value() == row.headers);
    CHECK(priorityLevel.has_value() == row.headers);
    if (row.headers && flowSchema && priorityLevel) {
      CHECK(std::regex_match(*flowSchema, uid));
      CHECK(std::regex_match(*priorityLevel, uid));
    }
  }

  // A server without flow control, for clients that must then keep their own limit.
  CHECK(s.status("/_double/priority-and-fairness", token, "POST", R"({"enabled": false})") == 200);
  CHECK(s.status("/api/v1/namespaces", token) == 200);
  CHECK_FALSE(s.lastHeaders.has("X-Kubernetes-PF-FlowSchema-UID"));
  CHECK_FALSE(s.lastHeaders.has("X-Kubernetes-PF-PriorityLevel-UID"));
  CHECK(s.status("/_double/priority-and-fairness", token, "POST", R"({"enabled": "no"})") == 400);
  CHECK(s.status("/_double/priority-and-fairness", token, "POST", R"({"enabled": true})") == 200);
  CHECK(s.status("/api/v1/namespaces", token) == 200);
  CHECK(s.lastHeaders.has("X-Kubernetes-PF-FlowSchema-UID"));
}

TEST_CASE("API double over HTTPS: the kubeconfig it writes points at it and carries the token") {
  Served s;
  std::ifstream in(s.face->kubeconfigPath());
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(text.find("server: " + s.face->url()) != std::string::npos);
  CHECK(text.find("certificate-authority: " + s.face->caFile()) != std::string::npos);
  CHECK(text.find("current-context:") != std::string::npos);
  bool hasToken = text.find(s.face->token().reveal()) != std::string::npos;
  CHECK(hasToken);
  auto perms = std::filesystem::status(s.face->kubeconfigPath()).permissions();
  CHECK((perms & std::filesystem::perms::others_read) == std::filesystem::perms::none);
}
