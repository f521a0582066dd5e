#include "kube/http_face.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "http/url.h"
#include "kube/watch_stream.h"
#include "support/self_signed.h"

namespace dbtoken::kubedouble {

using nlohmann::json;

namespace {

std::string randomToken() {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device rd;
  std::mt19937_64 rng(rd());
  std::uniform_int_distribution<size_t> pick(0, sizeof(kAlphabet) - 2);
  std::string out = "double-admin-";
  for (int i = 0; i < 32; ++i) {
    out += kAlphabet[pick(rng)];
  }
  return out;
}

common::Status writePrivate(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::trunc);
  if (!out) {
    return common::Status(common::Code::kFailedPrecondition, "cannot write " + path);
  }
  out << content;
  out.close();
  ::chmod(path.c_str(), 0600);
  return common::Status::ok();
}

http::ServerResponse jsonResponse(int status, const json& body) {
  http::ServerResponse r;
  r.status = status;
  r.headers.add("Content-Type", "application/json");
  r.body = body.dump();
  return r;
}

}  // namespace

common::Result<std::unique_ptr<HttpFace>> HttpFace::start(ApiServer& api, HttpFaceOptions options) {
  if (options.dataDir.empty()) {
    return common::Status(common::Code::kInvalidArgument, "a data directory is required");
  }
  std::error_code ec;
  std::filesystem::create_directories(options.dataDir, ec);
  std::string dir = std::filesystem::absolute(options.dataDir).string();
  std::unique_ptr<HttpFace> face(
      new HttpFace(api, common::Secret(options.token.empty() ? randomToken() : options.token)));
  http::ServerOptions so;
  so.host = options.host;
  so.port = options.port;
  if (options.tls) {
    auto certs = doubles::writeSelfSignedCertificates(dir, "kube-apiserver-double");
    if (!certs.ok()) {
      return certs.status();
    }
    so.tls = http::TlsFiles{certs->serverCertFile, certs->serverKeyFile};
    face->caFile_ = certs->caCertFile;
  }
  HttpFace* self = face.get();
  auto server = http::startServer(so, [self](http::ServerRequest& r) { return self->serve(r); });
  if (!server.ok()) {
    return server.status();
  }
  face->server_ = std::move(server).value();

  face->kubeconfig_ = dir + "/kubeconfig";
  std::string cluster = "    server: " + face->server_->url() + "\n";
  if (options.tls) {
    cluster += "    certificate-authority: " + face->caFile_ + "\n";
  }
  std::string kubeconfig =
      "apiVersion: v1\n"
      "kind: Config\n"
      "clusters:\n"
      "- name: kube-apiserver-double\n"
      "  cluster:\n" +
      cluster +
      "users:\n"
      "- name: admin\n"
      "  user:\n"
      "    token: " +
      face->token_.reveal() +
      "\n"
      "contexts:\n"
      "- name: kube-apiserver-double\n"
      "  context:\n"
      "    cluster: kube-apiserver-double\n"
      "    user: admin\n"
      "    namespace: default\n"
      "current-context: kube-apiserver-double\n";
  if (auto s = writePrivate(face->kubeconfig_, kubeconfig); !s.isOk()) {
    return s;
  }
  if (auto s = writePrivate(dir + "/token", face->token_.reveal()); !s.isOk()) {
    return s;
  }
  return face;
}

HttpFace::~HttpFace() {
  stop();
}

void HttpFace::stop() {
  if (server_) {
    api_.closeAllWatches();
    server_->stop();
  }
}

http::ServerResponse HttpFace::serve(http::ServerRequest& request) {
  ApiRequest req;
  req.method = request.method;
  req.path = http::percentDecode(request.path);
  req.query = http::Query::parse(request.rawQuery);
  if (auto ct = request.headers.get("Content-Type")) {
    req.contentType = *ct;
    req.hasContentType = true;
  }
  req.accept = request.headers.get("Accept").value_or("");
  req.userAgent = request.headers.get("User-Agent").value_or("");
  req.body = std::move(request.body);

  // Authentication: a valid bearer token is the admin; none (or an empty one) is anonymous;
  // anything else is rejected before authorization, as a kube-apiserver does.
  std::string auth = request.headers.get("Authorization").value_or("");
  std::string token;
  if (auth.rfind("Bearer ", 0) == 0) {
    token = auth.substr(7);
    while (!token.empty() && token.back() == ' ') {
      token.pop_back();
    }
  }
  if (token.empty()) {
    req.user = "system:anonymous";
  } else if (token == token_.reveal()) {
    req.user = "system:admin";
  } else if (api_.acceptsToken(token)) {
    req.user = "system:serviceaccount";
  } else {
    return jsonResponse(401, {{"kind", "Status"},
                              {"apiVersion", "v1"},
                              {"metadata", json::object()},
                              {"status", "Failure"},
                              {"message", "Unauthorized"},
                              {"reason", "Unauthorized"},
                              {"code", 401}});
  }
  if (req.path.rfind("/_double/", 0) == 0) {
    if (req.user != "system:admin") {
      return jsonResponse(403, {{"message", "the double's controls need the admin token"}});
    }
    request.body = std::move(req.body);  // moved into req above; the controls read it
    return control(req.path.substr(9), request);
  }

  ApiResponse answer = api_.handle(req);
  http::ServerResponse out;
  out.status = answer.status;
  if (!answer.contentType.empty()) {
    out.headers.add("Content-Type", answer.contentType);
  }
  for (const auto& [name, value] : answer.headers) {
    out.headers.add(name, value);
  }
  if (answer.watch) {
    std::shared_ptr<WatchStream> stream = answer.watch;
    out.stream = [stream](std::shared_ptr<http::StreamWriter> writer) {
      writer->onClose([stream] { stream->cancel(); });
      stream->attach(
          [writer](std::string_view line) {
            std::string chunk(line);
            chunk += '\n';
            return writer->write(chunk);
          },
          [writer] { writer->close(); });
    };
    return out;
  }
  out.body = std::move(answer.body);
  return out;
}

http::ServerResponse HttpFace::control(const std::string& path, http::ServerRequest& request) {
  const std::string& method = request.method;
  if (path == "faults" && method == "POST") {
    json spec = json::parse(request.body, nullptr, false);
    if (!spec.is_object()) {
      return jsonResponse(400, {{"message", "body must be a JSON object"}});
    }
    FaultRule rule;
    rule.method = spec.value("method", "");
    rule.pathPattern = spec.value("path", "");
    rule.remaining = spec.value("count", 1);
    rule.status = spec.value("status", 0);
    rule.retryAfterSeconds = spec.value("retryAfterSeconds", 0);
    rule.delay = std::chrono::milliseconds(spec.value("delayMs", 0));
    rule.message = spec.value("message", "");
    try {
      api_.faults().add(rule);
    } catch (const std::regex_error&) {
      return jsonResponse(400, {{"message", "path is not a valid regular expression"}});
    }
    return jsonResponse(201, api_.faults().describe());
  }
  if (path == "faults" && method == "DELETE") {
    api_.faults().clear();
    return jsonResponse(200, json::array());
  }
  if (path == "faults" && method == "GET") {
    return jsonResponse(200, api_.faults().describe());
  }
  if (path == "close-watches" && method == "POST") {
    size_t n = api_.openWatches();
    api_.closeAllWatches();
    return jsonResponse(200, {{"closed", n}});
  }
  if (path == "expire-history" && method == "POST") {
    api_.expireHistory();
    return jsonResponse(200, {{"resourceVersion", std::to_string(api_.resourceVersion())}});
  }
  if (path == "connections" && method == "GET") {
    http::ServerStats s = server_->stats();
    return jsonResponse(200, {{"tlsHandshakes", s.tlsHandshakes}, {"requests", s.requests}});
  }
  if (path == "priority-and-fairness" && method == "POST") {
    // {"enabled": false} emulates a server without flow control (no APF headers).
    json spec = json::parse(request.body, nullptr, false);
    if (!spec.is_object() || !spec.contains("enabled") || !spec["enabled"].is_boolean()) {
      return jsonResponse(400, {{"message", "body must be {\"enabled\": true|false}"}});
    }
    api_.setPriorityAndFairness(spec["enabled"].get<bool>());
    return jsonResponse(200, {{"enabled", api_.priorityAndFairness()}});
  }
  if (path == "counts" && method == "GET") {
    return jsonResponse(200, api_.counters().snapshot());
  }
  if (path == "counts" && method == "DELETE") {
    api_.counters().reset();
    return jsonResponse(200, json::object());
  }
  if (path == "controllers" && method == "POST") {
    api_.runControllersOnce(true);
    return jsonResponse(200, json::object());
  }
  if (path == "state" && method == "GET") {
    return jsonResponse(200, {{"resourceVersion", std::to_string(api_.resourceVersion())},
                              {"openWatches", api_.openWatches()},
                              {"kubeSystemUid", api_.kubeSystemUid()},
                              {"priorityAndFairness", api_.priorityAndFairness()}});
  }
  return jsonResponse(404, {{"message", "unknown control " + method + " /_double/" + path}});
}

}  // namespace dbtoken::kubedouble
