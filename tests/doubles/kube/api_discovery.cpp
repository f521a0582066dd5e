// ApiServer discovery and OpenAPI: /api, /api/v1, /apis, /apis/<g>, /apis/<g>/<v> (legacy and
// aggregated v2/v2beta1), the /openapi/v3 index with content hashes and per-group documents
// (rendered from the apiserver's own CRD document template), and a minimal /openapi/v2.
#include <openssl/sha.h>

#include <cstdio>

#include "kube/api_internal.h"
#include "kube/openapi_template.h"

namespace dbtoken::kubedouble {

using nlohmann::json;
using ojson = nlohmann::ordered_json;

namespace {

// Built-in groups in the order a real apiserver lists them, then CRD groups.
const std::vector<std::string>& builtinGroupOrder() {
  static const std::vector<std::string> kOrder = {"apps", "events.k8s.io",
                                                  "rbac.authorization.k8s.io",
                                                  "apiextensions.k8s.io", "coordination.k8s.io"};
  return kOrder;
}

std::string sha512Hex(const std::string& data) {
  unsigned char digest[SHA512_DIGEST_LENGTH];
  SHA512(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  std::string out;
  char buf[3];
  for (unsigned char c : digest) {
    std::snprintf(buf, sizeof buf, "%02X", c);
    out += buf;
  }
  return out;
}

std::string replaceAll(std::string s, const std::string& from, const std::string& to) {
  size_t pos = 0;
  while ((pos = s.find(from, pos)) != std::string::npos) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
  return s;
}

std::string upperFirst(std::string s) {
  if (!s.empty()) {
    s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  }
  return s;
}

// "tokens.influxdb.dev" + "v1alpha1" -> "TokensInfluxdbDevV1alpha1" (operation ids).
std::string operationPrefix(const std::string& group, const std::string& version) {
  std::string out;
  size_t pos = 0;
  std::string g = group.empty() ? "core" : group;
  while (pos <= g.size()) {
    size_t dot = g.find('.', pos);
    std::string part = g.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
    if (part != "k8s" || dot != std::string::npos) {
      out += upperFirst(part);
    }
    if (dot == std::string::npos) {
      break;
    }
    pos = dot + 1;
  }
  return out + upperFirst(version);
}

// "tokens.influxdb.dev" -> "dev.influxdb.tokens" (schema names of custom resources).
std::string reverseDomain(const std::string& group) {
  std::vector<std::string> parts;
  size_t pos = 0;
  while (pos <= group.size()) {
    size_t dot = group.find('.', pos);
    parts.push_back(group.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos));
    if (dot == std::string::npos) {
      break;
    }
    pos = dot + 1;
  }
  std::string out;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    out += (out.empty() ? "" : ".") + *it;
  }
  return out;
}

std::string schemaPrefix(const ResourceType& t) {
  if (t.custom) {
    return reverseDomain(t.group) + "." + t.version;
  }
  if (t.group.empty()) {
    return "io.k8s.api.core." + t.version;
  }
  if (t.group == "apiextensions.k8s.io") {
    return "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions." + t.version;
  }
  std::string g = t.group.substr(0, t.group.find('.'));
  return "io.k8s.api." + g + "." + t.version;
}

ojson resourceEntry(const ResourceType& t) {
  ojson r = {{"name", t.plural},
             {"singularName", t.singular},
             {"namespaced", t.namespaced},
             {"kind", t.kind},
             {"verbs", t.verbs}};
  if (!t.shortNames.empty()) {
    r["shortNames"] = t.shortNames;
  }
  if (!t.categories.empty()) {
    r["categories"] = t.categories;
  }
  r["storageVersionHash"] = t.storageVersionHash;
  return r;
}

ojson subresourceEntry(const ResourceType& t, const std::string& sub,
                       const std::vector<std::string>& verbs) {
  return {{"name", t.plural + "/" + sub},
          {"singularName", ""},
          {"namespaced", t.namespaced},
          {"kind", t.kind},
          {"verbs", verbs}};
}

ojson aggregatedEntry(const ResourceType& t) {
  ojson kind = {
      {"group", t.custom ? t.group : ""}, {"version", t.custom ? t.version : ""}, {"kind", t.kind}};
  ojson r = {{"resource", t.plural},
             {"responseKind", kind},
             {"scope", t.namespaced ? "Namespaced" : "Cluster"},
             {"singularResource", t.singular},
             {"verbs", t.verbs}};
  if (!t.shortNames.empty()) {
    r["shortNames"] = t.shortNames;
  }
  if (!t.categories.empty()) {
    r["categories"] = t.categories;
  }
  ojson subs = json::array();
  if (t.kind == "Namespace") {
    subs.push_back({{"subresource", "finalize"}, {"responseKind", kind}, {"verbs", {"update"}}});
  }
  // Listed as a real apiserver lists them; the double does not serve these two.
  if (t.kind == "Deployment") {
    subs.push_back(
        {{"subresource", "scale"},
         {"responseKind", {{"group", "autoscaling"}, {"version", "v1"}, {"kind", "Scale"}}},
         {"verbs", {"get", "patch", "update"}}});
  }
  if (t.kind == "Service") {
    subs.push_back(
        {{"subresource", "proxy"},
         {"responseKind", {{"group", ""}, {"version", ""}, {"kind", "ServiceProxyOptions"}}},
         {"verbs", {"create", "delete", "get", "patch", "update"}}});
  }
  if (t.statusSubresource) {
    subs.push_back(
        {{"subresource", "status"}, {"responseKind", kind}, {"verbs", {"get", "patch", "update"}}});
  }
  if (t.kind == "ServiceAccount") {
    subs.push_back(
        {{"subresource", "token"},
         {"responseKind",
          {{"group", "authentication.k8s.io"}, {"version", "v1"}, {"kind", "TokenRequest"}}},
         {"verbs", {"create"}}});
  }
  if (!subs.empty()) {
    r["subresources"] = subs;
  }
  return r;
}

// Discovery documents keep the field order of the Go structs they mirror, as clients that print
// them raw (kubectl get --raw) show.
ApiResponse orderedResponse(int status, const ojson& body) {
  ApiResponse r;
  r.status = status;
  r.contentType = "application/json";
  r.body = body.dump();
  return r;
}

}  // namespace

ojson ApiServer::groupVersionResources(const std::string& group, const std::string& version,
                                       bool aggregated) const {
  std::vector<ResourceTypePtr> types;
  for (const auto& t : builtins_) {
    if (t->group == group && t->version == version) {
      types.push_back(t);
    }
  }
  for (const auto& [crd, ts] : customByCrd_) {
    (void)crd;
    for (const auto& t : ts) {
      if (t->group == group && t->version == version) {
        types.push_back(t);
      }
    }
  }
  std::sort(types.begin(), types.end(), [](const ResourceTypePtr& a, const ResourceTypePtr& b) {
    return a->plural < b->plural;
  });
  ojson out = json::array();
  for (const auto& t : types) {
    if (aggregated) {
      out.push_back(aggregatedEntry(*t));
      continue;
    }
    out.push_back(resourceEntry(*t));
    if (t->kind == "Namespace") {
      out.push_back(subresourceEntry(*t, "finalize", {"update"}));
    }
    if (t->kind == "Deployment") {
      ojson scale = subresourceEntry(*t, "scale", {"get", "patch", "update"});
      scale.erase("kind");
      scale.erase("verbs");
      scale["group"] = "autoscaling";
      scale["version"] = "v1";
      scale["kind"] = "Scale";
      scale["verbs"] = {"get", "patch", "update"};
      out.push_back(scale);
    }
    if (t->kind == "Service") {
      ojson proxy = subresourceEntry(*t, "proxy", {"create", "delete", "get", "patch", "update"});
      proxy["kind"] = "ServiceProxyOptions";
      out.push_back(proxy);
    }
    if (t->statusSubresource) {
      out.push_back(subresourceEntry(*t, "status", {"get", "patch", "update"}));
    }
    if (t->kind == "ServiceAccount") {
      ojson token = subresourceEntry(*t, "token", {"create"});
      token.erase("kind");
      token.erase("verbs");
      token["group"] = "authentication.k8s.io";
      token["version"] = "v1";
      token["kind"] = "TokenRequest";
      token["verbs"] = {"create"};
      out.push_back(token);
    }
  }
  return out;
}

ApiResponse ApiServer::discovery(const ApiRequest& req, const std::vector<std::string>& segs,
                                 bool& handled) {
  handled = false;
  std::lock_guard lk(mu_);
  // Aggregated discovery when the client asks for it first (kubectl does), legacy otherwise.
  std::string aggregatedVersion;
  bool acceptable = req.accept.empty();
  for (const auto& mt : parseMediaTypes(req.accept)) {
    auto as = mt.params.find("as");
    auto g = mt.params.find("g");
    auto v = mt.params.find("v");
    if (mt.type == "application/json" && as != mt.params.end()) {
      if (as->second == "APIGroupDiscoveryList" && g != mt.params.end() &&
          g->second == "apidiscovery.k8s.io" && v != mt.params.end() &&
          (v->second == "v2" || v->second == "v2beta1")) {
        aggregatedVersion = v->second;
        acceptable = true;
        break;
      }
      continue;
    }
    if (mt.type == "application/json" || mt.type == "*/*" || mt.type == "application/*") {
      acceptable = true;
      break;
    }
  }
  const bool discoveryPath =
      (segs.size() <= 2 && segs[0] == "api") || (segs.size() <= 3 && segs[0] == "apis");
  if (!acceptable && discoveryPath) {
    handled = true;
    return notAcceptable(
        "only the following media types are accepted: application/json, application/yaml, "
        "application/vnd.kubernetes.protobuf");
  }
  auto aggregatedResponse = [&](ojson items) {
    ApiResponse r;
    r.contentType = "application/json;g=apidiscovery.k8s.io;v=" + aggregatedVersion +
                    ";as=APIGroupDiscoveryList";
    r.body = ojson({{"kind", "APIGroupDiscoveryList"},
                    {"apiVersion", "apidiscovery.k8s.io/" + aggregatedVersion},
                    {"metadata", json::object()},
                    {"items", std::move(items)}})
                 .dump();
    return r;
  };
  if (segs.size() == 1 && segs[0] == "api") {
    handled = true;
    if (!aggregatedVersion.empty()) {
      ojson versions = ojson::array({{{"version", "v1"},
                                      {"resources", groupVersionResources("", "v1", true)},
                                      {"freshness", "Current"}}});
      return aggregatedResponse(
          json::array({{{"metadata", {{"creationTimestamp", nullptr}}}, {"versions", versions}}}));
    }
    return orderedResponse(
        200, {{"kind", "APIVersions"},
              {"versions", {"v1"}},
              {"serverAddressByClientCIDRs",
               json::array({{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", "127.0.0.1:6443"}}})}});
  }
  if (segs.size() == 2 && segs[0] == "api" && segs[1] == "v1") {
    handled = true;
    return orderedResponse(200, {{"kind", "APIResourceList"},
                                 {"groupVersion", "v1"},
                                 {"resources", groupVersionResources("", "v1", false)}});
  }
  if (segs.empty() || segs[0] != "apis" || segs.size() > 3) {
    return {};
  }
  // Groups with their versions, in the apiserver's order.
  std::vector<std::pair<std::string, std::vector<std::string>>> groups;
  auto addGroup = [&](const std::string& g, const std::string& v) {
    for (auto& [name, versions] : groups) {
      if (name == g) {
        if (std::find(versions.begin(), versions.end(), v) == versions.end()) {
          versions.push_back(v);
        }
        return;
      }
    }
    groups.push_back({g, {v}});
  };
  for (const auto& g : builtinGroupOrder()) {
    for (const auto& t : builtins_) {
      if (t->group == g) {
        addGroup(g, t->version);
      }
    }
  }
  for (const auto& [crd, ts] : customByCrd_) {
    (void)crd;
    for (const auto& t : ts) {
      addGroup(t->group, t->version);
    }
  }
  auto groupJson = [](const std::string& name, const std::vector<std::string>& versions) {
    ojson vs = json::array();
    for (const auto& v : versions) {
      vs.push_back({{"groupVersion", name + "/" + v}, {"version", v}});
    }
    return ojson{{"name", name}, {"versions", vs}, {"preferredVersion", vs[0]}};
  };
  if (segs.size() == 1) {
    handled = true;
    if (!aggregatedVersion.empty()) {
      ojson items = json::array();
      for (const auto& [name, versions] : groups) {
        ojson vs = json::array();
        for (const auto& v : versions) {
          vs.push_back({{"version", v},
                        {"resources", groupVersionResources(name, v, true)},
                        {"freshness", "Current"}});
        }
        items.push_back(
            {{"metadata", {{"name", name}, {"creationTimestamp", nullptr}}}, {"versions", vs}});
      }
      return aggregatedResponse(items);
    }
    ojson list = json::array();
    for (const auto& [name, versions] : groups) {
      list.push_back(groupJson(name, versions));
    }
    return orderedResponse(200, {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", list}});
  }
  for (const auto& [name, versions] : groups) {
    if (name != segs[1]) {
      continue;
    }
    if (segs.size() == 2) {
      handled = true;
      ojson g = groupJson(name, versions);
      g["kind"] = "APIGroup";
      g["apiVersion"] = "v1";
      return orderedResponse(200, g);
    }
    if (std::find(versions.begin(), versions.end(), segs[2]) != versions.end()) {
      handled = true;
      return orderedResponse(200, {{"kind", "APIResourceList"},
                                   {"apiVersion", "v1"},
                                   {"groupVersion", name + "/" + segs[2]},
                                   {"resources", groupVersionResources(name, segs[2], false)}});
    }
  }
  if (segs.size() <= 3) {
    handled = true;
    return pageNotFound();
  }
  return {};
}

json ApiServer::openApiV3Document(const std::string& group, const std::string& version) const {
  std::vector<ResourceTypePtr> types;
  for (const auto& t : builtins_) {
    if (t->group == group && t->version == version) {
      types.push_back(t);
    }
  }
  for (const auto& [crd, ts] : customByCrd_) {
    (void)crd;
    for (const auto& t : ts) {
      if (t->group == group && t->version == version) {
        types.push_back(t);
      }
    }
  }
  json doc;
  for (const auto& t : types) {
    std::string text = openApiV3CrdTemplate();
    text = replaceAll(text, "@SCHEMA_PREFIX@", schemaPrefix(*t));
    text = replaceAll(text, "@LISTKIND@", t->listKind);
    text = replaceAll(text, "@KIND@", t->kind);
    std::string opid = operationPrefix(t->group, t->version);
    text = replaceAll(text, "@OPID@", opid);
    std::string tag = opid.substr(0, opid.size() - version.size());
    tag[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(tag[0])));
    text = replaceAll(text, "@TAG@", tag + "_" + version);
    text = replaceAll(text, "/apis/@GROUP@/@VERSION@",
                      group.empty() ? "/api/" + version : "/apis/@GROUP@/@VERSION@");
    text = replaceAll(text, "@GROUP@", group);
    text = replaceAll(text, "@VERSION@", version);
    text = replaceAll(text, "@PLURAL@", t->plural);
    json one = json::parse(text);
    std::string prefix = schemaPrefix(*t);
    json& schema = one["components"]["schemas"][prefix + "." + t->kind];
    if (t->schema) {
      const json& raw = t->schema->raw();
      for (auto it = raw.begin(); it != raw.end(); ++it) {
        if (it.key() == "properties") {
          for (auto p = it->begin(); p != it->end(); ++p) {
            schema["properties"][p.key()] = p.value();
          }
        } else {
          schema[it.key()] = it.value();
        }
      }
    }
    if (!t->custom) {
      // Built-in kinds accept strategic merge patches too.
      for (auto& [path, item] : one["paths"].items()) {
        (void)path;
        if (item.contains("patch")) {
          item["patch"]["requestBody"]["content"]["application/strategic-merge-patch+json"] =
              item["patch"]["requestBody"]["content"]["application/merge-patch+json"];
        }
      }
      schema.erase("x-kubernetes-selectable-fields");
      one["components"]["schemas"][prefix + "." + t->listKind].erase(
          "x-kubernetes-selectable-fields");
    }
    if (!t->namespaced) {
      // Cluster-scoped: the same operations without the namespace segment.
      json paths = json::object();
      std::string base = (group.empty() ? "/api/" + version : "/apis/" + group + "/" + version);
      for (auto& [path, item] : one["paths"].items()) {
        if (path == base + "/" + t->plural) {
          continue;  // the "for all namespaces" list
        }
        std::string p = replaceAll(path, "/namespaces/{namespace}", "");
        json copy = item;
        json params = json::array();
        for (const auto& param : copy.value("parameters", json::array())) {
          if (param.value("name", "") != "namespace") {
            params.push_back(param);
          }
        }
        copy["parameters"] = params;
        std::string dumped = replaceAll(copy.dump(), "Namespaced", "");
        paths[p] = json::parse(dumped);
      }
      one["paths"] = paths;
    }
    if (doc.is_null()) {
      doc = std::move(one);
    } else {
      for (auto& [path, item] : one["paths"].items()) {
        doc["paths"][path] = item;
      }
      for (auto& [name, s] : one["components"]["schemas"].items()) {
        doc["components"]["schemas"][name] = s;
      }
    }
  }
  return doc;
}

ApiResponse ApiServer::openapi(const ApiRequest& req, const std::vector<std::string>& segs) {
  std::lock_guard lk(mu_);
  if (segs.size() == 2 && segs[1] == "v2") {
    for (const auto& mt : parseMediaTypes(req.accept)) {
      if (mt.type.find("protobuf") != std::string::npos) {
        // A valid, empty OpenAPI v2 protobuf Document (swagger: "2.0"): clients find no
        // schemas in it and fall back to their built-in knowledge, as for custom resources.
        ApiResponse r;
        r.contentType = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";
        r.body = std::string(
            "\x0a\x03"
            "2.0",
            5);
        return r;
      }
    }
    return ApiResponse::json(200, {{"swagger", "2.0"},
                                   {"info", {{"title", "Kubernetes"}, {"version", "v1.32.6"}}},
                                   {"paths", json::object()},
                                   {"definitions", json::object()}});
  }
  if (segs.size() < 2 || segs[1] != "v3") {
    return pageNotFound();
  }
  // Every served group/version, with the hash of its document.
  std::vector<std::pair<std::string, std::string>> gvs;
  auto add = [&](const std::string& g, const std::string& v) {
    for (const auto& gv : gvs) {
      if (gv.first == g && gv.second == v) {
        return;
      }
    }
    gvs.emplace_back(g, v);
  };
  for (const auto& t : builtins_) {
    add(t->group, t->version);
  }
  for (const auto& [crd, ts] : customByCrd_) {
    (void)crd;
    for (const auto& t : ts) {
      add(t->group, t->version);
    }
  }
  auto pathOf = [](const std::string& g, const std::string& v) {
    return g.empty() ? "api/" + v : "apis/" + g + "/" + v;
  };
  if (segs.size() == 2) {
    json paths = json::object();
    for (const auto& [g, v] : gvs) {
      std::string doc = openApiV3Document(g, v).dump();
      paths[pathOf(g, v)] = {
          {"serverRelativeURL", "/openapi/v3/" + pathOf(g, v) + "?hash=" + sha512Hex(doc)}};
    }
    ApiResponse r;
    r.contentType = "text/plain; charset=utf-8";
    r.body = json{{"paths", paths}}.dump();
    return r;
  }
  std::string wanted;
  for (size_t i = 2; i < segs.size(); ++i) {
    wanted += (wanted.empty() ? "" : "/") + segs[i];
  }
  for (const auto& [g, v] : gvs) {
    if (pathOf(g, v) != wanted) {
      continue;
    }
    std::string doc = openApiV3Document(g, v).dump();
    std::string hash = sha512Hex(doc);
    if (auto h = req.query.get("hash"); h && *h != hash) {
      ApiResponse r;
      r.status = 301;
      r.contentType = "application/json";
      r.headers.emplace_back("Location", "/openapi/v3/" + wanted + "?hash=" + hash);
      return r;
    }
    ApiResponse r;
    r.body = std::move(doc);
    return r;
  }
  ApiResponse r;
  r.status = 404;
  r.contentType = "";
  return r;
}

}  // namespace dbtoken::kubedouble
