#include "kube/api_client.h"

namespace dbtoken::kube {

common::Result<ObjectList> listAll(KubeApi& api, const Resource& resource, const std::string& ns,
                                   ListOptions options) {
  if (options.limit <= 0) {
    options.limit = 500;
  }
  ObjectList all;
  bool first = true;
  do {
    auto page = api.list(resource, ns, options);
    if (!page.ok()) {
      return page.status();
    }
    if (first) {
      all.resourceVersion = page->resourceVersion;
      first = false;
    }
    for (auto& item : page->items) {
      all.items.push_back(std::move(item));
    }
    options.continueToken = page->continueToken;
  } while (!options.continueToken.empty());
  return all;
}

}  // namespace dbtoken::kube
