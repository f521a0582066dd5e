// KubeApi: the Kubernetes API as the runtime and the reconciler see it — get, list (one page),
// watch, create, update, patch, delete — over JSON objects addressed by a Resource. This is a
// specification: RestKubeApi implements it over HTTP, tests fake it. It owns no cache and no
// retry-until-success loop; failures come back as a Status typed by api_errors.h.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "kube/resource.h"
#include "kube/watch_events.h"

namespace dbtoken::kube {

struct ListOptions {
  std::string labelSelector;
  std::string fieldSelector;
  int64_t limit = 0;  // 0: everything in one answer
  std::string continueToken;
  std::string resourceVersion;       // "": a consistent read from storage
  std::string resourceVersionMatch;  // "", "NotOlderThan", "Exact"
};

struct ObjectList {
  std::vector<nlohmann::json> items;  // apiVersion and kind are filled in on every item
  std::string resourceVersion;        // the list's, to start a watch from
  std::string continueToken;          // "": this was the last page
};

struct WatchOptions {
  std::string labelSelector;
  std::string fieldSelector;
  std::string resourceVersion;      // events after this one
  std::chrono::seconds timeout{0};  // the server ends the watch after this; 0: its default
  bool allowBookmarks = true;
};

enum class PatchType {
  kMerge,           // application/merge-patch+json (RFC 7386)
  kJson,            // application/json-patch+json (RFC 6902)
  kStrategicMerge,  // built-in kinds only
  kApply,           // server-side apply; needs a field manager
};

struct WriteOptions {
  std::string fieldManager;
  // update: "status" writes the status only. create: POSTs to the named object's subresource
  // (e.g. "token" on a ServiceAccount for a TokenRequest; the name is the object's).
  std::string subresource;
  bool dryRun = false;
};

struct PatchOptions {
  PatchType type = PatchType::kMerge;
  std::string fieldManager;  // required for kApply
  bool force = false;        // kApply: take over fields other managers own
  std::string subresource;   // "status" for a status patch
  bool dryRun = false;
};

enum class Propagation { kDefault, kOrphan, kBackground, kForeground };

struct DeleteOptions {
  std::optional<std::string> preconditionUid;
  std::optional<std::string> preconditionResourceVersion;
  Propagation propagation = Propagation::kDefault;
  std::optional<int64_t> gracePeriodSeconds;
  bool dryRun = false;
};

// The events of one watch request.
class WatchStream {
 public:
  virtual ~WatchStream() = default;
  // The next ADDED, MODIFIED, DELETED or BOOKMARK event, blocking until one arrives; nullopt
  // when the server ended the watch cleanly (its timeout). Errors: an in-band ERROR event as its
  // Status (410 Expired → Gone), a malformed line or unknown type → Internal, a broken
  // connection → Unavailable, cancel() → Cancelled. After an error the stream is finished.
  virtual common::Result<std::optional<WatchEvent>> next() = 0;
  // Ends the watch promptly, from any thread; next() then answers Cancelled.
  virtual void cancel() = 0;
};

class KubeApi {
 public:
  virtual ~KubeApi() = default;

  virtual common::Result<nlohmann::json> get(const Resource& resource, const std::string& ns,
                                             const std::string& name) = 0;
  // One page; follow continueToken for the next (or use listAll).
  virtual common::Result<ObjectList> list(const Resource& resource, const std::string& ns,
                                          const ListOptions& options) = 0;
  virtual common::Result<std::unique_ptr<WatchStream>> watch(const Resource& resource,
                                                             const std::string& ns,
                                                             const WatchOptions& options) = 0;
  virtual common::Result<nlohmann::json> create(const Resource& resource, const std::string& ns,
                                                const nlohmann::json& object,
                                                const WriteOptions& options) = 0;
  // PUT of the whole object (metadata.name and, for optimistic concurrency,
  // metadata.resourceVersion come from the object). subresource "status" writes status only.
  virtual common::Result<nlohmann::json> update(const Resource& resource, const std::string& ns,
                                                const nlohmann::json& object,
                                                const WriteOptions& options) = 0;
  virtual common::Result<nlohmann::json> patch(const Resource& resource, const std::string& ns,
                                               const std::string& name, const nlohmann::json& patch,
                                               const PatchOptions& options) = 0;
  // nullopt when the object is gone; the object when it stays until its finalizers are done.
  virtual common::Result<std::optional<nlohmann::json>> remove(const Resource& resource,
                                                               const std::string& ns,
                                                               const std::string& name,
                                                               const DeleteOptions& options) = 0;
};

// Every page of a list, following continue tokens (limit defaults to 500 per page). The
// resourceVersion is the one of the first page, as for any paginated list.
common::Result<ObjectList> listAll(KubeApi& api, const Resource& resource, const std::string& ns,
                                   ListOptions options);

}  // namespace dbtoken::kube
