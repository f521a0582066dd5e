// Which DatabaseTokens the work queue hands out first (DESIGN.md "Revocations first"): one being
// deleted (its finalizer revokes or releases the token) or one whose spec asks for revocation
// that its status does not show yet is urgent; everything else (issuing, drift, steady state) is
// normal. Reads only the fields it needs from the object as cached; knows nothing of the queue.
#pragma once

#include <nlohmann/json.hpp>

#include "runtime/work_queue.h"

namespace dbtoken::tokens {

runtime::Priority reconcilePriority(const nlohmann::json& databaseToken);

}  // namespace dbtoken::tokens
