#include <catch2/catch.hpp>

#include "http/message.h"
#include "http/url.h"

using namespace dbtoken::http;

TEST_CASE("URL: percent-encoding round-trips and query strings keep order and repeats") {
  CHECK(percentDecode("env%20in%20%28prod%29") == "env in (prod)");
  CHECK(percentDecode("a+b", true) == "a b");
  CHECK(percentDecode("a+b") == "a+b");
  CHECK(percentDecode("bad%zz%") == "bad%zz%");
  CHECK(percentEncode("team=a,b c") == "team%3Da%2Cb%20c");
  auto q = Query::parse("labelSelector=env%3Dprod&limit=2&limit=3&flag");
  CHECK(q.get("labelSelector") == "env=prod");
  CHECK(q.get("limit") == "2");
  CHECK(q.get("flag") == "");
  CHECK_FALSE(q.get("missing"));
  CHECK(q.encode() == "labelSelector=env%3Dprod&limit=2&limit=3&flag=");
}

TEST_CASE("URL: base URLs are split into scheme, host, port and path") {
  auto u = parseUrl("https://influx.example.com/api/v0/");
  REQUIRE(u);
  CHECK(u->scheme == "https");
  CHECK(u->host == "influx.example.com");
  CHECK(u->port == 443);
  CHECK(u->path == "/api/v0");
  auto v = parseUrl("http://127.0.0.1:8080");
  REQUIRE(v);
  CHECK(v->port == 8080);
  CHECK(v->origin() == "http://127.0.0.1:8080");
  CHECK_FALSE(parseUrl("ftp://x"));
  CHECK_FALSE(parseUrl("https://"));
  CHECK_FALSE(parseUrl("https://host:99999"));
  CHECK_FALSE(parseUrl("127.0.0.1:80"));
  CHECK_FALSE(parseUrl("https://user@host"));
}

TEST_CASE("Headers: names are case-insensitive and folded lists split outside quotes") {
  Headers h;
  h.add("Warning", "299 - \"a, b\"");
  h.add("warning", "299 - \"c\"");
  CHECK(h.getAll("WARNING").size() == 2);
  h.set("Content-Type", "application/json");
  CHECK(h.get("content-type") == "application/json");
  auto parts = splitHeaderList("299 - \"unknown field \\\"a,b\\\"\", 299 - \"x\"");
  REQUIRE(parts.size() == 2);
  CHECK(parts[0] == "299 - \"unknown field \\\"a,b\\\"\"");
  CHECK(parts[1] == "299 - \"x\"");
}
