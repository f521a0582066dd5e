#include <catch2/catch.hpp>

#include "fixture.h"

using namespace dbtoken::kubedouble::testing;

namespace {

const std::string kDeployments = "/apis/apps/v1/namespaces/ops/deployments";
const std::string kServices = "/api/v1/namespaces/ops/services";

json deployment(json selector = {{"app", "op"}}, json labels = {{"app", "op"}}) {
  return {{"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"metadata", {{"name", "op"}}},
          {"spec",
           {{"selector", {{"matchLabels", selector}}},
            {"template",
             {{"metadata", {{"labels", labels}}},
              {"spec", {{"containers", json::array({{{"name", "op"}, {"image", "op:1.0"}}})}}}}}}}};
}

json service(json ports = json::array({{{"port", 8080}}})) {
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata", {{"name", "metrics"}}},
          {"spec", {{"selector", {{"app", "op"}}}, {"ports", ports}}}};
}

json binding(const std::string& kind, const std::string& roleKind) {
  return {
      {"apiVersion", "rbac.authorization.k8s.io/v1"},
      {"kind", kind},
      {"metadata", {{"name", "b"}}},
      {"roleRef", {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", roleKind}, {"name", "r"}}},
      {"subjects",
       json::array({{{"kind", "ServiceAccount"}, {"name", "op"}, {"namespace", "ops"}}})}};
}

std::string causeFields(const json& status) {
  std::string out;
  for (const auto& c : status["details"]["causes"]) {
    out += (out.empty() ? "" : ",") + c.value("field", std::string());
  }
  return out;
}

}  // namespace

TEST_CASE("API double: a Deployment is stored with the apiserver's defaults") {
  Double d;
  d.createNamespace("ops");
  Reply r = d.post(kDeployments, deployment());
  REQUIRE(r.status == 201);
  const json& spec = r.body["spec"];
  CHECK(spec["replicas"] == 1);
  CHECK(spec["strategy"]["type"] == "RollingUpdate");
  CHECK(spec["strategy"]["rollingUpdate"]["maxSurge"] == "25%");
  CHECK(spec["revisionHistoryLimit"] == 10);
  CHECK(spec["progressDeadlineSeconds"] == 600);
  CHECK(spec["template"]["spec"]["restartPolicy"] == "Always");
  CHECK(spec["template"]["spec"]["terminationGracePeriodSeconds"] == 30);
  CHECK(spec["template"]["spec"]["containers"][0]["imagePullPolicy"] == "IfNotPresent");
  CHECK(r.body["metadata"]["generation"] == 1);
}

TEST_CASE("API double: a Deployment must select its own pods, and its selector is immutable") {
  Double d;
  d.createNamespace("ops");
  Reply mismatch = d.post(kDeployments, deployment({{"app", "op"}}, {{"app", "other"}}));
  CHECK(mismatch.status == 422);
  CHECK(causeFields(mismatch.body) == "spec.template.metadata.labels");

  json noContainers = deployment();
  noContainers["spec"]["template"]["spec"]["containers"] = json::array();
  Reply empty = d.post(kDeployments, noContainers);
  CHECK(empty.status == 422);
  CHECK(causeFields(empty.body) == "spec.template.spec.containers");

  REQUIRE(d.post(kDeployments, deployment()).status == 201);
  Reply changed = d.merge(kDeployments + "/op",
                          {{"spec",
                            {{"selector", {{"matchLabels", {{"app", "op"}, {"tier", "x"}}}}},
                             {"template", {{"metadata", {{"labels", {{"tier", "x"}}}}}}}}}});
  CHECK(changed.status == 422);
  CHECK(causeFields(changed.body) == "spec.selector");
}

TEST_CASE("API double: a Service gets a cluster IP and TCP ports that keep it across updates") {
  Double d;
  d.createNamespace("ops");
  Reply r = d.post(kServices, service());
  REQUIRE(r.status == 201);
  const std::string ip = r.body["spec"]["clusterIP"];
  CHECK(ip.rfind("10.96.", 0) == 0);
  CHECK(r.body["spec"]["type"] == "ClusterIP");
  CHECK(r.body["spec"]["ports"][0]["protocol"] == "TCP");
  CHECK(r.body["spec"]["ports"][0]["targetPort"] == 8080);

  json update = r.body;
  update["spec"].erase("clusterIP");
  update["spec"].erase("clusterIPs");
  Reply kept = d.put(kServices + "/metrics", update);
  CHECK(kept.status == 200);
  CHECK(kept.body["spec"]["clusterIP"] == ip);

  Reply moved = d.merge(kServices + "/metrics", {{"spec", {{"clusterIP", "10.96.9.9"}}}});
  CHECK(moved.status == 422);
}

TEST_CASE("API double: a Service needs ports, named when there are several") {
  Double d;
  d.createNamespace("ops");
  CHECK(causeFields(d.post(kServices, service(json::array())).body) == "spec.ports");
  Reply unnamed = d.post(kServices, service(json::array({{{"port", 1}}, {{"port", 2}}})));
  CHECK(unnamed.status == 422);
  CHECK(causeFields(unnamed.body) == "spec.ports[0].name,spec.ports[1].name");
}

TEST_CASE("API double: RBAC rules need verbs, api groups and resources") {
  Double d;
  d.createNamespace("ops");
  json role = {{"apiVersion", "rbac.authorization.k8s.io/v1"},
               {"kind", "Role"},
               {"metadata", {{"name", "r"}}},
               {"rules", json::array({{{"apiGroups", {""}}, {"resources", {"secrets"}}}})}};
  Reply r = d.post("/apis/rbac.authorization.k8s.io/v1/namespaces/ops/roles", role);
  CHECK(r.status == 422);
  CHECK(causeFields(r.body) == "rules[0].verbs");
  role["rules"][0]["verbs"] = {"get"};
  CHECK(d.post("/apis/rbac.authorization.k8s.io/v1/namespaces/ops/roles", role).status == 201);
  json clusterRole = role;
  clusterRole["kind"] = "ClusterRole";
  clusterRole["rules"][0].erase("resources");
  Reply cr = d.post("/apis/rbac.authorization.k8s.io/v1/clusterroles", clusterRole);
  CHECK(causeFields(cr.body) == "rules[0].resources");
}

TEST_CASE("API double: a binding's roleRef is of a kind it may bind and never changes") {
  Double d;
  d.createNamespace("ops");
  const std::string crbs = "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings";
  const std::string rbs = "/apis/rbac.authorization.k8s.io/v1/namespaces/ops/rolebindings";
  Reply toRole = d.post(crbs, binding("ClusterRoleBinding", "Role"));
  CHECK(toRole.status == 422);
  CHECK(causeFields(toRole.body) == "roleRef.kind");
  REQUIRE(d.post(rbs, binding("RoleBinding", "Role")).status == 201);
  Reply changed = d.merge(rbs + "/b", {{"roleRef", {{"name", "other"}}}});
  CHECK(changed.status == 422);
  CHECK(causeFields(changed.body) == "roleRef");
}
