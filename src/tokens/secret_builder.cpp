#include "tokens/secret_builder.h"

#include <openssl/evp.h>

#include <cstdio>

#include "common/base64.h"

namespace dbtoken::tokens {

using nlohmann::json;

std::string hashOfDataValue(const std::string& base64Value) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(base64Value.data(), base64Value.size(), digest, &len, EVP_sha256(), nullptr);
  std::string out = "sha256:";
  char buf[3];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", digest[i]);
    out += buf;
  }
  return out;
}

json buildSecret(const DatabaseToken& owner, const std::string& tokenId,
                 const common::Secret& accessToken) {
  std::string data = common::base64Encode(accessToken.reveal());
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata",
           {{"name", owner.effectiveSecretName()},
            {"namespace", owner.ns},
            {"labels", {{kManagedByLabel, kManagedByValue}}},
            {"annotations",
             {{kTokenIdAnnotation, tokenId}, {kTokenHashAnnotation, hashOfDataValue(data)}}},
            {"ownerReferences", json::array({{{"apiVersion", std::string(kGroup) + "/" + kVersion},
                                              {"kind", kKind},
                                              {"name", owner.name},
                                              {"uid", owner.uid},
                                              {"controller", true},
                                              {"blockOwnerDeletion", true}}})}}},
          {"type", "Opaque"},
          {"data", {{kSecretKey, data}}}};
}

SecretState examineSecret(const json* cached, const std::string& ownerUid) {
  SecretState s;
  if (cached == nullptr || !cached->is_object()) {
    return s;
  }
  const json& meta = cached->value("metadata", json::object());
  s.uid = meta.value("uid", "");
  bool ownedByThis = false;
  for (const auto& ref : meta.value("ownerReferences", json::array())) {
    if (ref.value("uid", "") == ownerUid && ref.value("controller", false)) {
      ownedByThis = true;
    }
  }
  const json& labels = meta.value("labels", json::object());
  bool managed = labels.is_object() && labels.value(kManagedByLabel, "") == kManagedByValue;
  if (!ownedByThis || !managed) {
    s.kind = SecretState::Kind::kForeign;
    return s;
  }
  s.kind = SecretState::Kind::kOwned;
  const json& annotations = meta.value("annotations", json::object());
  s.tokenId = annotations.is_object() ? annotations.value(kTokenIdAnnotation, "") : "";
  std::string expected = annotations.is_object() ? annotations.value(kTokenHashAnnotation, "") : "";
  const json& data = cached->value("data", json::object());
  std::string actual = data.is_object() ? data.value(kSecretKey, "") : "";
  // The cache holds hashes; an uncached (raw) Secret holds base64 text.
  if (actual.rfind("sha256:", 0) != 0 && !actual.empty()) {
    actual = hashOfDataValue(actual);
  }
  s.intact = !expected.empty() && actual == expected && !s.tokenId.empty();
  return s;
}

}  // namespace dbtoken::tokens
