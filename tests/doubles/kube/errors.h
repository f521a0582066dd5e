// Kubernetes-shaped errors: field errors (field.Error) rendered like the apiserver renders them,
// and metav1.Status bodies with the reason, code and details real clients branch on.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kube/api_types.h"

namespace dbtoken::kubedouble {

enum class FieldErrorType {
  kRequired,
  kInvalid,
  kNotSupported,
  kTooLong,
  kTooMany,
  kTypeInvalid,
  kForbidden,
  kDuplicate,
  kNotFound,
};

struct FieldError {
  FieldErrorType type;
  std::string field;                 // "spec.permissions[0].action", "<nil>" for no field
  std::optional<std::string> value;  // already rendered (quoted) as Go's %#v would
  std::string detail;

  std::string body() const;    // "Unsupported value: \"admin\": supported values: ..."
  std::string reason() const;  // "FieldValueNotSupported"
  std::string text() const { return field + ": " + body(); }
};

using FieldErrors = std::vector<FieldError>;

// Go's strconv.Quote for the common cases (ASCII, \", \\, \n, \t, other controls as \x..).
std::string goQuote(const std::string& s);

// Go's %#v of a value decoded from JSON into interface{}, as field errors print a compound bad
// value: map[string]interface {}{"action":"read", "database":"db"} (keys sorted),
// []interface {}{"a", 1}, "s", 1, 1.5, true, and interface {}(nil) for null inside those (a
// null bad value itself prints as "null", with the quotes).
std::string goSyntax(const nlohmann::json& value);

// Which name an error uses for the thing it is about. "DatabaseToken.tokens.influxdb.dev" for
// validation errors, "databasetokens.tokens.influxdb.dev" for storage errors; core kinds have
// no group ("Secret", "configmaps").
struct Qualified {
  std::string group;
  std::string kindOrResource;
  std::string text() const { return group.empty() ? kindOrResource : kindOrResource + "." + group; }
};

nlohmann::json statusBody(int code, const std::string& reason, const std::string& message,
                          const nlohmann::json& details = nullptr);

ApiResponse statusError(int code, const std::string& reason, const std::string& message,
                        const nlohmann::json& details = nullptr);

ApiResponse notFound(const Qualified& what, const std::string& name);
ApiResponse alreadyExists(const Qualified& what, const std::string& name);
ApiResponse conflict(const Qualified& what, const std::string& name, const std::string& why);
ApiResponse invalid(const Qualified& what, const std::string& name, const FieldErrors& errors);
ApiResponse badRequest(const std::string& message);
ApiResponse internalError(const std::string& message);
ApiResponse forbidden(const Qualified& what, const std::string& name, const std::string& message,
                      const nlohmann::json& extraDetails = nullptr);
ApiResponse methodNotSupported(const Qualified& what);
ApiResponse tooManyRequests(const std::string& message, int retryAfterSeconds);
ApiResponse unsupportedMediaType(const std::string& message);
ApiResponse notAcceptable(const std::string& message);
ApiResponse pageNotFound();  // the plain-text "404 page not found"
ApiResponse gone(const std::string& message);

// The aggregate text of several field errors: "a: x" or "[a: x, b: y]" (duplicates folded).
std::string aggregate(const FieldErrors& errors);

}  // namespace dbtoken::kubedouble
