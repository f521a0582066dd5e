#include "kube/base64.h"

namespace dbtoken::kubedouble {
namespace {

constexpr char kStd[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string encode(std::string_view data, const char* alphabet, bool pad) {
  std::string out;
  size_t i = 0;
  while (i + 2 < data.size()) {
    unsigned v = (static_cast<unsigned char>(data[i]) << 16) |
                 (static_cast<unsigned char>(data[i + 1]) << 8) |
                 static_cast<unsigned char>(data[i + 2]);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
    i += 3;
  }
  size_t rest = data.size() - i;
  if (rest == 1) {
    unsigned v = static_cast<unsigned char>(data[i]) << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (pad) {
      out += "==";
    }
  } else if (rest == 2) {
    unsigned v = (static_cast<unsigned char>(data[i]) << 16) |
                 (static_cast<unsigned char>(data[i + 1]) << 8);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    if (pad) {
      out += '=';
    }
  }
  return out;
}

int value(char c, const char* alphabet) {
  for (int i = 0; i < 64; ++i) {
    if (alphabet[i] == c) {
      return i;
    }
  }
  return -1;
}

std::optional<std::string> decode(std::string_view text, const char* alphabet, bool padded,
                                  size_t* errorOffset) {
  std::string out;
  unsigned acc = 0;
  int bits = 0;
  size_t quantum = 0;  // characters in the current 4-character group
  size_t i = 0;
  auto fail = [&](size_t at) -> std::optional<std::string> {
    if (errorOffset != nullptr) {
      *errorOffset = at;
    }
    return std::nullopt;
  };
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\r' || c == '\n') {
      continue;
    }
    if (c == '=' && padded) {
      break;
    }
    int v = value(c, alphabet);
    if (v < 0) {
      return fail(i);
    }
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    quantum = (quantum + 1) % 4;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  if (padded) {
    size_t pads = 0;
    for (; i < text.size(); ++i) {
      if (text[i] == '\r' || text[i] == '\n') {
        continue;
      }
      if (text[i] != '=') {
        return fail(i);
      }
      ++pads;
    }
    if (quantum == 1 || (quantum != 0 && quantum + pads != 4) || (quantum == 0 && pads != 0)) {
      return fail(text.size() - (pads > 0 ? pads : 0));
    }
  } else if (quantum == 1) {
    return fail(text.size());
  }
  return out;
}

}  // namespace

std::string base64Encode(std::string_view data) {
  return encode(data, kStd, true);
}

std::optional<std::string> base64Decode(std::string_view text, size_t* errorOffset) {
  return decode(text, kStd, true, errorOffset);
}

std::string base64UrlEncodeRaw(std::string_view data) {
  return encode(data, kUrl, false);
}

std::optional<std::string> base64UrlDecodeRaw(std::string_view text, size_t* errorOffset) {
  return decode(text, kUrl, false, errorOffset);
}

}  // namespace dbtoken::kubedouble
