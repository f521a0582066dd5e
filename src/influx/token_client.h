// TokenClient: the five calls the operator makes to the InfluxDB 3 Management API, as a
// specification. Implementations: HttpTokenClient (the real API, both URL shapes); tests use it
// against the Management API double. Nothing here throws; every failure is a Status.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "influx/token.h"

namespace dbtoken::influx {

enum class RevokeOutcome {
  kRevoked,         // this call revoked it (204)
  kAlreadyRevoked,  // the API answered 404: revoked before, or never existed; either way done
};

class TokenClient {
 public:
  virtual ~TokenClient() = default;

  // Every token of the cluster. Whether revoked tokens are listed is up to the API: a listed
  // token with revokedAt is revoked (Token::isRevoked), a missing one may be revoked too.
  virtual common::Result<std::vector<Token>> list() = 0;

  // Creates a token and returns its access string, which no later call can return again.
  // A create is never sent twice by the client. When it may have reached the server but no
  // usable answer came back (timeout, connection lost, a 5xx, or a 2xx whose body cannot be
  // read), the result is OutcomeUnknown: a token may exist whose string is lost, and the caller
  // must look for it by its description before creating another. 409 is AlreadyExists.
  virtual common::Result<CreatedToken> create(const CreateRequest& request) = 0;

  // One token. NotFound when the API does not know it, which for some APIs means revoked.
  virtual common::Result<Token> get(const std::string& id) = 0;

  // Changes the description and/or replaces the permissions. 409 is Conflict; a revoked token
  // may answer Conflict, NotFound or succeed, depending on the API.
  virtual common::Result<Token> update(const std::string& id, const UpdateRequest& request) = 0;

  // Revokes a token: irreversible. 404 counts as done (kAlreadyRevoked).
  virtual common::Result<RevokeOutcome> revoke(const std::string& id) = 0;
};

}  // namespace dbtoken::influx
