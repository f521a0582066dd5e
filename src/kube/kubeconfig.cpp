#include "kube/kubeconfig.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <tuple>

#include <yaml-cpp/yaml.h>

#include "common/base64.h"
#include "http/url.h"

namespace dbtoken::kube {
namespace {

using common::Code;
using common::Result;
using common::Status;

namespace fs = std::filesystem;

// One named entry (cluster, user or context) and the file it came from.
struct Entry {
  YAML::Node body;
  std::string file;
};

struct Merged {
  std::map<std::string, Entry> clusters;
  std::map<std::string, Entry> users;
  std::map<std::string, Entry> contexts;
  std::string currentContext;
  std::vector<std::string> files;
};

Status bad(const std::string& file, const std::string& problem) {
  return Status(Code::kFailedPrecondition, "kubeconfig " + file + ": " + problem);
}

std::string joinFiles(const std::vector<std::string>& files) {
  std::string out;
  for (const auto& f : files) {
    out += out.empty() ? f : ", " + f;
  }
  return out;
}

std::string resolvePath(const std::string& file, const std::string& path) {
  if (path.empty() || fs::path(path).is_absolute()) {
    return path;
  }
  return (fs::path(file).parent_path() / path).lexically_normal().string();
}

// A scalar field as a string: "" when absent; an error when it is not a scalar.
Result<std::string> scalar(const YAML::Node& node, const char* key, const std::string& file,
                           const std::string& where) {
  YAML::Node v = node[key];
  if (!v || v.IsNull()) {
    return std::string();
  }
  if (!v.IsScalar()) {
    return bad(file, where + "." + key + " must be a string");
  }
  return v.Scalar();
}

Result<bool> boolean(const YAML::Node& node, const char* key, const std::string& file,
                     const std::string& where) {
  YAML::Node v = node[key];
  if (!v || v.IsNull()) {
    return false;
  }
  bool out = false;
  if (!v.IsScalar() || !YAML::convert<bool>::decode(v, out)) {
    return bad(file, where + "." + key + " must be true or false");
  }
  return out;
}

Status readable(const std::string& file, const std::string& what, const std::string& path) {
  if (::access(path.c_str(), R_OK) != 0) {
    return bad(file, what + " " + path + " cannot be read: " + std::strerror(errno));
  }
  return Status::ok();
}

Result<std::string> decoded(const std::string& file, const std::string& what,
                            const std::string& value) {
  auto out = common::base64Decode(value);
  if (!out) {
    return bad(file, what + " is not valid base64");
  }
  return *out;
}

// Adds one file's named entries to the merge (first definition wins).
Status collect(const YAML::Node& root, const char* listKey, const char* bodyKey,
               const std::string& file, std::map<std::string, Entry>& into) {
  YAML::Node list = root[listKey];
  if (!list || list.IsNull()) {
    return Status::ok();
  }
  if (!list.IsSequence()) {
    return bad(file, std::string(listKey) + " must be a list");
  }
  for (const auto& item : list) {
    if (!item.IsMap()) {
      return bad(file, std::string(listKey) + " entries must be maps");
    }
    YAML::Node name = item["name"];
    if (!name || !name.IsScalar() || name.Scalar().empty()) {
      return bad(file, std::string(listKey) + " entry without a name");
    }
    YAML::Node body = item[bodyKey];
    if (body && !body.IsNull() && !body.IsMap()) {
      return bad(
          file, std::string(listKey) + " \"" + name.Scalar() + "\": " + bodyKey + " must be a map");
    }
    into.try_emplace(name.Scalar(), Entry{body ? body : YAML::Node(YAML::NodeType::Map), file});
  }
  return Status::ok();
}

Status mergeFile(const std::string& file, Merged& merged) {
  YAML::Node root;
  try {
    std::ifstream in(file);
    if (!in) {
      return bad(file, std::string("cannot be read: ") + std::strerror(errno));
    }
    root = YAML::Load(in);
  } catch (const YAML::Exception& e) {
    // e.msg is the parser's complaint without the document's text (which may hold tokens).
    return bad(file, "not valid YAML at line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  merged.files.push_back(file);
  if (!root || root.IsNull()) {
    return Status::ok();  // an empty file is an empty config
  }
  if (!root.IsMap()) {
    return bad(file, "not a kubeconfig (the top level must be a map)");
  }
  try {
    for (auto [listKey, bodyKey, into] : {std::tuple{"clusters", "cluster", &merged.clusters},
                                          std::tuple{"users", "user", &merged.users},
                                          std::tuple{"contexts", "context", &merged.contexts}}) {
      if (Status s = collect(root, listKey, bodyKey, file, *into); !s.isOk()) {
        return s;
      }
    }
    auto current = scalar(root, "current-context", file, "");
    if (!current.ok()) {
      return current.status();
    }
    if (merged.currentContext.empty()) {
      merged.currentContext = *current;
    }
  } catch (const YAML::Exception& e) {
    return bad(file, "unexpected structure: " + e.msg);
  }
  return Status::ok();
}

Status applyCluster(const Entry& e, const std::string& name, ClusterConfig& out) {
  const std::string where = "cluster \"" + name + "\"";
  auto server = scalar(e.body, "server", e.file, where);
  if (!server.ok()) {
    return server.status();
  }
  if (server->empty()) {
    return bad(e.file, where + " has no server");
  }
  auto url = http::parseUrl(*server);
  if (!url) {
    return bad(e.file, where + " server \"" + *server + "\" is not an http(s) URL");
  }
  out.server = *server;
  for (const char* unsupported : {"proxy-url", "tls-server-name"}) {
    auto v = scalar(e.body, unsupported, e.file, where);
    if (!v.ok()) {
      return v.status();
    }
    if (!v->empty()) {
      return bad(e.file, where + " sets " + unsupported + ", which is not supported");
    }
  }
  auto caFile = scalar(e.body, "certificate-authority", e.file, where);
  auto caData = scalar(e.body, "certificate-authority-data", e.file, where);
  auto insecure = boolean(e.body, "insecure-skip-tls-verify", e.file, where);
  for (const Status& s : {caFile.status(), caData.status(), insecure.status()}) {
    if (!s.isOk()) {
      return s;
    }
  }
  if (*insecure && (!caFile->empty() || !caData->empty())) {
    return bad(e.file, where +
                           " sets both insecure-skip-tls-verify and a certificate authority; "
                           "choose one");
  }
  out.tls.insecureSkipVerify = *insecure;
  if (!caData->empty()) {
    auto pem = decoded(e.file, where + " certificate-authority-data", *caData);
    if (!pem.ok()) {
      return pem.status();
    }
    out.tls.caPem = *pem;
  } else if (!caFile->empty()) {
    std::string path = resolvePath(e.file, *caFile);
    if (Status s = readable(e.file, where + " certificate-authority", path); !s.isOk()) {
      return s;
    }
    out.tls.caFile = path;
  }
  return Status::ok();
}

Result<ExecConfig> parseExec(const YAML::Node& node, const std::string& file,
                             const std::string& where) {
  if (!node.IsMap()) {
    return bad(file, where + " exec must be a map");
  }
  ExecConfig exec;
  auto command = scalar(node, "command", file, where + ".exec");
  auto apiVersion = scalar(node, "apiVersion", file, where + ".exec");
  auto hint = scalar(node, "installHint", file, where + ".exec");
  auto mode = scalar(node, "interactiveMode", file, where + ".exec");
  auto cluster = boolean(node, "provideClusterInfo", file, where + ".exec");
  for (const Status& s :
       {command.status(), apiVersion.status(), hint.status(), mode.status(), cluster.status()}) {
    if (!s.isOk()) {
      return s;
    }
  }
  if (command->empty()) {
    return bad(file, where + " exec has no command");
  }
  if (apiVersion->empty()) {
    return bad(file, where + " exec has no apiVersion");
  }
  // A command with a slash but not absolute is relative to the kubeconfig; a bare name is
  // looked up on PATH.
  exec.command = command->find('/') != std::string::npos ? resolvePath(file, *command) : *command;
  exec.apiVersion = *apiVersion;
  exec.installHint = *hint;
  exec.provideClusterInfo = *cluster;
  if (!mode->empty()) {
    exec.interactiveMode = *mode;
  }
  if (YAML::Node args = node["args"]; args && !args.IsNull()) {
    if (!args.IsSequence()) {
      return bad(file, where + " exec.args must be a list");
    }
    for (const auto& a : args) {
      if (!a.IsScalar()) {
        return bad(file, where + " exec.args must be strings");
      }
      exec.args.push_back(a.Scalar());
    }
  }
  if (YAML::Node env = node["env"]; env && !env.IsNull()) {
    if (!env.IsSequence()) {
      return bad(file, where + " exec.env must be a list");
    }
    for (const auto& item : env) {
      if (!item.IsMap() || !item["name"] || !item["name"].IsScalar()) {
        return bad(file, where + " exec.env entries need a name and a value");
      }
      std::string value = item["value"] && item["value"].IsScalar() ? item["value"].Scalar() : "";
      exec.env.emplace_back(item["name"].Scalar(), value);
    }
  }
  return exec;
}

Status applyUser(const Entry& e, const std::string& name, ClusterConfig& out) {
  const std::string where = "user \"" + name + "\"";
  for (const char* unsupported : {"auth-provider", "username", "password", "as"}) {
    if (e.body[unsupported] && !e.body[unsupported].IsNull()) {
      return bad(e.file, where + " uses " + unsupported +
                             ", which is not supported (use a token, a client certificate or "
                             "an exec plugin)");
    }
  }
  auto token = scalar(e.body, "token", e.file, where);
  auto tokenFile = scalar(e.body, "tokenFile", e.file, where);
  auto certFile = scalar(e.body, "client-certificate", e.file, where);
  auto certData = scalar(e.body, "client-certificate-data", e.file, where);
  auto keyFile = scalar(e.body, "client-key", e.file, where);
  auto keyData = scalar(e.body, "client-key-data", e.file, where);
  for (const Status& s : {token.status(), tokenFile.status(), certFile.status(), certData.status(),
                          keyFile.status(), keyData.status()}) {
    if (!s.isOk()) {
      return s;
    }
  }
  out.auth.token = common::Secret(*token);
  if (!tokenFile->empty()) {
    std::string path = resolvePath(e.file, *tokenFile);
    if (Status s = readable(e.file, where + " tokenFile", path); !s.isOk()) {
      return s;
    }
    out.auth.tokenFile = path;
  }
  bool hasCert = !certFile->empty() || !certData->empty();
  bool hasKey = !keyFile->empty() || !keyData->empty();
  if (hasCert != hasKey) {
    return bad(e.file, where + " has a client " +
                           (hasCert ? "certificate without a key" : "key without a certificate"));
  }
  if (!certData->empty()) {
    auto pem = decoded(e.file, where + " client-certificate-data", *certData);
    if (!pem.ok()) {
      return pem.status();
    }
    out.tls.clientCertPem = *pem;
  } else if (!certFile->empty()) {
    std::string path = resolvePath(e.file, *certFile);
    if (Status s = readable(e.file, where + " client-certificate", path); !s.isOk()) {
      return s;
    }
    out.tls.clientCertFile = path;
  }
  if (!keyData->empty()) {
    auto pem = decoded(e.file, where + " client-key-data", *keyData);
    if (!pem.ok()) {
      return pem.status();
    }
    out.tls.clientKeyPem = common::Secret(*pem);
  } else if (!keyFile->empty()) {
    std::string path = resolvePath(e.file, *keyFile);
    if (Status s = readable(e.file, where + " client-key", path); !s.isOk()) {
      return s;
    }
    out.tls.clientKeyFile = path;
  }
  if (YAML::Node exec = e.body["exec"]; exec && !exec.IsNull()) {
    auto parsed = parseExec(exec, e.file, where);
    if (!parsed.ok()) {
      return parsed.status();
    }
    out.auth.exec = std::move(parsed).value();
  }
  return Status::ok();
}

}  // namespace

std::vector<std::string> splitKubeconfigList(std::string_view value) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= value.size()) {
    size_t colon = value.find(':', start);
    if (colon == std::string_view::npos) {
      colon = value.size();
    }
    if (colon > start) {
      out.emplace_back(value.substr(start, colon - start));
    }
    start = colon + 1;
  }
  return out;
}

Result<ClusterConfig> loadKubeconfig(const KubeconfigOptions& options) {
  Merged merged;
  if (!options.explicitPath.empty()) {
    std::error_code ec;
    if (!fs::exists(options.explicitPath, ec)) {
      return bad(options.explicitPath, "file not found");
    }
    if (Status s = mergeFile(options.explicitPath, merged); !s.isOk()) {
      return s;
    }
  } else {
    for (const auto& path : options.paths) {
      std::error_code ec;
      if (!fs::exists(path, ec)) {
        continue;  // kubectl skips missing entries of $KUBECONFIG
      }
      if (Status s = mergeFile(path, merged); !s.isOk()) {
        return s;
      }
    }
    if (merged.files.empty()) {
      std::string list = joinFiles(options.paths);
      return Status(
          Code::kFailedPrecondition,
          "kubeconfig: no file found" + (list.empty() ? "" : " (looked for " + list + ")"));
    }
  }
  const std::string files = joinFiles(merged.files);
  try {
    std::string contextName = options.context.empty() ? merged.currentContext : options.context;
    if (contextName.empty()) {
      return bad(files, "no current-context is set and no --context was given");
    }
    auto ctx = merged.contexts.find(contextName);
    if (ctx == merged.contexts.end()) {
      return bad(files, "context \"" + contextName + "\" not found");
    }
    const Entry& context = ctx->second;
    const std::string where = "context \"" + contextName + "\"";
    auto clusterName = scalar(context.body, "cluster", context.file, where);
    auto userName = scalar(context.body, "user", context.file, where);
    auto ns = scalar(context.body, "namespace", context.file, where);
    for (const Status& s : {clusterName.status(), userName.status(), ns.status()}) {
      if (!s.isOk()) {
        return s;
      }
    }
    auto cluster = merged.clusters.find(*clusterName);
    if (clusterName->empty() || cluster == merged.clusters.end()) {
      return bad(files, where + " names cluster \"" + *clusterName + "\", which is not defined");
    }
    ClusterConfig out;
    if (Status s = applyCluster(cluster->second, *clusterName, out); !s.isOk()) {
      return s;
    }
    if (!userName->empty()) {
      auto user = merged.users.find(*userName);
      if (user == merged.users.end()) {
        return bad(files, where + " names user \"" + *userName + "\", which is not defined");
      }
      if (Status s = applyUser(user->second, *userName, out); !s.isOk()) {
        return s;
      }
    }
    if (!ns->empty()) {
      out.defaultNamespace = *ns;
    }
    out.source = "kubeconfig " + files + " (context " + contextName + ")";
    return out;
  } catch (const YAML::Exception& e) {
    return bad(files, "unexpected structure: " + e.msg);
  }
}

}  // namespace dbtoken::kube
