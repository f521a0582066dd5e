#include "management/behaviour.h"

#include <charconv>

namespace dbtoken::doubles::management {
namespace {

using common::Code;
using common::Status;
using nlohmann::json;

template <typename E>
struct Names {
  E value;
  const char* name;
};

const Names<Behaviour::RevokedInList> kRevokedInList[] = {
    {Behaviour::RevokedInList::kShown, "shown"}, {Behaviour::RevokedInList::kHidden, "hidden"}};
const Names<Behaviour::RevokedGet> kRevokedGet[] = {{Behaviour::RevokedGet::kOk, "200"},
                                                    {Behaviour::RevokedGet::kNotFound, "404"}};
const Names<Behaviour::SecondDelete> kSecondDelete[] = {
    {Behaviour::SecondDelete::kNoContent, "204"}, {Behaviour::SecondDelete::kNotFound, "404"}};
const Names<Behaviour::RevokedPatch> kRevokedPatch[] = {{Behaviour::RevokedPatch::kConflict, "409"},
                                                        {Behaviour::RevokedPatch::kNotFound, "404"},
                                                        {Behaviour::RevokedPatch::kOk, "200"}};
const Names<Behaviour::DuplicateDescription> kDuplicate[] = {
    {Behaviour::DuplicateDescription::kAllowed, "allowed"},
    {Behaviour::DuplicateDescription::kConflict, "409"}};

template <typename E, size_t N>
const char* nameOf(const Names<E> (&names)[N], E value) {
  for (const auto& n : names) {
    if (n.value == value) {
      return n.name;
    }
  }
  return "?";
}

template <typename E, size_t N>
Status parse(const Names<E> (&names)[N], std::string_view field, std::string_view text, E& out) {
  std::string allowed;
  for (const auto& n : names) {
    if (text == n.name) {
      out = n.value;
      return Status::ok();
    }
    allowed += allowed.empty() ? "" : "|";
    allowed += n.name;
  }
  return Status(Code::kInvalidArgument, std::string(field) + " must be one of " + allowed +
                                            ", not \"" + std::string(text) + "\"");
}

}  // namespace

json toJson(const Behaviour& b) {
  return json{{"revokedInList", nameOf(kRevokedInList, b.revokedInList)},
              {"revokedGet", nameOf(kRevokedGet, b.revokedGet)},
              {"secondDelete", nameOf(kSecondDelete, b.secondDelete)},
              {"revokedPatch", nameOf(kRevokedPatch, b.revokedPatch)},
              {"duplicateDescriptions", nameOf(kDuplicate, b.duplicateDescription)},
              {"activationDelayMs", b.activationDelay.count()}};
}

Status applySetting(Behaviour& b, std::string_view name, std::string_view value) {
  if (name == "revokedInList") {
    return parse(kRevokedInList, name, value, b.revokedInList);
  }
  if (name == "revokedGet") {
    return parse(kRevokedGet, name, value, b.revokedGet);
  }
  if (name == "secondDelete") {
    return parse(kSecondDelete, name, value, b.secondDelete);
  }
  if (name == "revokedPatch") {
    return parse(kRevokedPatch, name, value, b.revokedPatch);
  }
  if (name == "duplicateDescriptions") {
    return parse(kDuplicate, name, value, b.duplicateDescription);
  }
  if (name == "activationDelayMs") {
    long long ms = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
    if (ec != std::errc() || p != value.data() + value.size() || ms < 0) {
      return Status(Code::kInvalidArgument, "activationDelayMs must be a number of milliseconds");
    }
    b.activationDelay = std::chrono::milliseconds(ms);
    return Status::ok();
  }
  return Status(Code::kInvalidArgument, "unknown behaviour switch \"" + std::string(name) + "\"");
}

Status applyJson(Behaviour& b, const json& j) {
  if (!j.is_object()) {
    return Status(Code::kInvalidArgument, "behaviour must be a JSON object");
  }
  Behaviour next = b;
  for (const auto& [key, value] : j.items()) {
    std::string text;
    if (value.is_string()) {
      text = value.get<std::string>();
    } else if (value.is_number_integer()) {
      text = std::to_string(value.get<long long>());
    } else {
      return Status(Code::kInvalidArgument, key + " must be a string or an integer");
    }
    if (auto s = applySetting(next, key, text); !s.isOk()) {
      return s;
    }
  }
  b = next;
  return Status::ok();
}

std::string describe(const Behaviour& b) {
  std::string out;
  const json all = toJson(b);
  for (const auto& [key, value] : all.items()) {
    out += out.empty() ? "" : " ";
    out += key + "=" + (value.is_string() ? value.get<std::string>() : value.dump());
  }
  return out;
}

}  // namespace dbtoken::doubles::management
