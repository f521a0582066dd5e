#include "kube/errors.h"

#include <cstdio>

namespace dbtoken::kubedouble {

namespace {

std::string goSyntaxElement(const nlohmann::json& v) {
  return v.is_null() ? "interface {}(nil)" : goSyntax(v);
}

}  // namespace

std::string goSyntax(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::object: {
      // nlohmann's object keeps its keys sorted, as fmt prints a map's.
      std::string out = "map[string]interface {}{";
      bool first = true;
      for (const auto& [k, v] : value.items()) {
        out += (first ? "" : ", ") + goQuote(k) + ":" + goSyntaxElement(v);
        first = false;
      }
      return out + "}";
    }
    case nlohmann::json::value_t::array: {
      std::string out = "[]interface {}{";
      for (size_t i = 0; i < value.size(); ++i) {
        out += (i == 0 ? "" : ", ") + goSyntaxElement(value[i]);
      }
      return out + "}";
    }
    case nlohmann::json::value_t::string:
      return goQuote(value.get<std::string>());
    case nlohmann::json::value_t::number_float: {
      std::string s = value.dump();  // shortest round trip, like %v of a float64 ...
      if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) {
        s.resize(s.size() - 2);  // ... which prints 1.0 as 1
      }
      return s;
    }
    case nlohmann::json::value_t::null:
      return goQuote("null");  // field.Error's rendering of a nil bad value
    default:
      return value.dump();  // integers, booleans
  }
}

ApiResponse ApiResponse::json(int status, const nlohmann::json& body) {
  ApiResponse r;
  r.status = status;
  r.contentType = "application/json";
  r.body = body.dump();
  return r;
}

ApiResponse ApiResponse::text(int status, std::string body) {
  ApiResponse r;
  r.status = status;
  r.contentType = "text/plain; charset=utf-8";
  r.body = std::move(body);
  return r;
}

std::optional<nlohmann::json> ApiResponse::parsedBody() const {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) {
    return std::nullopt;
  }
  return j;
}

std::string goQuote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

std::string FieldError::body() const {
  std::string s;
  switch (type) {
    case FieldErrorType::kRequired:
      s = "Required value";
      break;
    case FieldErrorType::kForbidden:
      s = "Forbidden";
      break;
    case FieldErrorType::kTooLong:
      s = "Too long";
      break;
    case FieldErrorType::kNotFound:
      s = "Not found";
      break;
    case FieldErrorType::kNotSupported:
      s = "Unsupported value";
      break;
    case FieldErrorType::kTooMany:
      s = "Too many";
      break;
    case FieldErrorType::kDuplicate:
      s = "Duplicate value";
      break;
    case FieldErrorType::kInvalid:
    case FieldErrorType::kTypeInvalid:
      s = "Invalid value";
      break;
  }
  bool showValue = value.has_value() && type != FieldErrorType::kRequired &&
                   type != FieldErrorType::kForbidden && type != FieldErrorType::kTooLong;
  if (showValue) {
    s += ": " + *value;
  }
  if (!detail.empty()) {
    s += ": " + detail;
  }
  return s;
}

std::string FieldError::reason() const {
  switch (type) {
    case FieldErrorType::kRequired:
      return "FieldValueRequired";
    case FieldErrorType::kInvalid:
      return "FieldValueInvalid";
    case FieldErrorType::kNotSupported:
      return "FieldValueNotSupported";
    case FieldErrorType::kTooLong:
      return "FieldValueTooLong";
    case FieldErrorType::kTooMany:
      return "FieldValueTooMany";
    case FieldErrorType::kTypeInvalid:
      return "FieldValueTypeInvalid";
    case FieldErrorType::kForbidden:
      return "FieldValueForbidden";
    case FieldErrorType::kDuplicate:
      return "FieldValueDuplicate";
    case FieldErrorType::kNotFound:
      return "FieldValueNotFound";
  }
  return "FieldValueInvalid";
}

std::string aggregate(const FieldErrors& errors) {
  std::vector<std::string> unique;
  for (const auto& e : errors) {
    std::string t = e.text();
    bool seen = false;
    for (const auto& u : unique) {
      seen = seen || u == t;
    }
    if (!seen) {
      unique.push_back(std::move(t));
    }
  }
  if (unique.size() == 1) {
    return unique[0];
  }
  std::string out = "[";
  for (size_t i = 0; i < unique.size(); ++i) {
    if (i > 0) {
      out += ", ";
    }
    out += unique[i];
  }
  return out + "]";
}

nlohmann::json statusBody(int code, const std::string& reason, const std::string& message,
                          const nlohmann::json& details) {
  nlohmann::json body = {{"kind", "Status"},
                         {"apiVersion", "v1"},
                         {"metadata", nlohmann::json::object()},
                         {"status", "Failure"},
                         {"message", message}};
  if (!reason.empty()) {
    body["reason"] = reason;
  }
  if (!details.is_null()) {
    body["details"] = details;
  }
  body["code"] = code;
  return body;
}

ApiResponse statusError(int code, const std::string& reason, const std::string& message,
                        const nlohmann::json& details) {
  return ApiResponse::json(code, statusBody(code, reason, message, details));
}

namespace {
nlohmann::json detailsFor(const Qualified& what, const std::string& name) {
  nlohmann::json d = nlohmann::json::object();
  if (!name.empty()) {
    d["name"] = name;
  }
  if (!what.group.empty()) {
    d["group"] = what.group;
  }
  d["kind"] = what.kindOrResource;
  return d;
}
}  // namespace

ApiResponse notFound(const Qualified& what, const std::string& name) {
  return statusError(404, "NotFound", what.text() + " " + goQuote(name) + " not found",
                     detailsFor(what, name));
}

ApiResponse alreadyExists(const Qualified& what, const std::string& name) {
  return statusError(409, "AlreadyExists", what.text() + " " + goQuote(name) + " already exists",
                     detailsFor(what, name));
}

ApiResponse conflict(const Qualified& what, const std::string& name, const std::string& why) {
  return statusError(
      409, "Conflict",
      "Operation cannot be fulfilled on " + what.text() + " " + goQuote(name) + ": " + why,
      detailsFor(what, name));
}

ApiResponse invalid(const Qualified& what, const std::string& name, const FieldErrors& errors) {
  nlohmann::json details = detailsFor(what, name);
  nlohmann::json causes = nlohmann::json::array();
  for (const auto& e : errors) {
    causes.push_back({{"reason", e.reason()}, {"message", e.body()}, {"field", e.field}});
  }
  details["causes"] = causes;
  return statusError(422, "Invalid",
                     what.text() + " " + goQuote(name) + " is invalid: " + aggregate(errors),
                     details);
}

ApiResponse badRequest(const std::string& message) {
  return statusError(400, "BadRequest", message);
}

ApiResponse internalError(const std::string& message) {
  return statusError(500, "", message);
}

ApiResponse forbidden(const Qualified& what, const std::string& name, const std::string& message,
                      const nlohmann::json& extraDetails) {
  nlohmann::json details = detailsFor(what, name);
  if (extraDetails.is_object()) {
    for (auto it = extraDetails.begin(); it != extraDetails.end(); ++it) {
      details[it.key()] = it.value();
    }
  }
  return statusError(403, "Forbidden", message, details);
}

ApiResponse methodNotSupported(const Qualified& what) {
  return statusError(405, "MethodNotAllowed",
                     "the server does not allow this method on the requested resource",
                     detailsFor(what, ""));
}

ApiResponse tooManyRequests(const std::string& message, int retryAfterSeconds) {
  ApiResponse r = statusError(429, "TooManyRequests", message,
                              nlohmann::json{{"retryAfterSeconds", retryAfterSeconds}});
  r.headers.emplace_back("Retry-After", std::to_string(retryAfterSeconds));
  return r;
}

ApiResponse unsupportedMediaType(const std::string& message) {
  return statusError(415, "UnsupportedMediaType", message);
}

ApiResponse notAcceptable(const std::string& message) {
  return statusError(406, "NotAcceptable", message);
}

ApiResponse pageNotFound() {
  return ApiResponse::text(404, "404 page not found\n");
}

ApiResponse gone(const std::string& message) {
  return statusError(410, "Expired", message);
}

}  // namespace dbtoken::kubedouble
