#include <catch2/catch.hpp>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "http/server.h"
#include "http/transport.h"

using namespace dbtoken::http;
using dbtoken::common::Code;

namespace {
std::unique_ptr<Transport> client(const std::string& url) {
  TransportOptions o;
  o.baseUrl = url;
  o.timeout = std::chrono::milliseconds(5000);
  auto t = makeTransport(o);
  REQUIRE(t.ok());
  return std::move(t).value();
}
}  // namespace

TEST_CASE("Server and transport: a request and its answer arrive intact") {
  auto server = startServer({}, [](ServerRequest& r) {
    ServerResponse resp;
    resp.status = 201;
    resp.headers.add("Content-Type", "application/json");
    resp.headers.add("Warning", "299 - \"one\"");
    resp.headers.add("Warning", "299 - \"two\"");
    resp.body = r.method + " " + r.path + " ? " + r.rawQuery + " : " + r.body +
                " ct=" + r.headers.get("Content-Type").value_or("<none>");
    return resp;
  });
  REQUIRE(server.ok());
  auto c = client((*server)->url());
  ClientRequest req;
  req.method = "POST";
  req.target = "/api/v1/namespaces?labelSelector=a%3Db";
  req.body = "{}";
  req.headers.add("Content-Type", "application/json");
  auto resp = c->send(req);
  REQUIRE(resp.ok());
  CHECK(resp->status == 201);
  CHECK(resp->body == "POST /api/v1/namespaces ? labelSelector=a%3Db : {} ct=application/json");
  CHECK(resp->headers.get("Content-Type") == "application/json");
  std::vector<std::string> warnings;
  for (const auto& v : resp->headers.getAll("Warning")) {
    for (auto& w : splitHeaderList(v)) {
      warnings.push_back(w);
    }
  }
  CHECK(warnings == std::vector<std::string>{"299 - \"one\"", "299 - \"two\""});

  SECTION("a body without a Content-Type is sent without one") {
    ClientRequest bare;
    bare.method = "POST";
    bare.target = "/x";
    bare.body = "{}";
    auto r2 = c->send(bare);
    REQUIRE(r2.ok());
    CHECK(r2->body.find("ct=<none>") != std::string::npos);
  }
}

TEST_CASE("Server and transport: a streamed answer is read line by line as it is written") {
  std::shared_ptr<StreamWriter> kept;
  std::mutex mu;
  std::condition_variable published;
  auto server = startServer({}, [&](ServerRequest&) {
    ServerResponse resp;
    resp.headers.add("Content-Type", "application/json");
    resp.stream = [&](std::shared_ptr<StreamWriter> w) {
      {
        // Published before the first line goes out: once the client has read it, the writer
        // is there for the test to use.
        std::lock_guard lk(mu);
        kept = w;
      }
      published.notify_all();
      w->write("{\"n\":1}\n");
    };
    return resp;
  });
  REQUIRE(server.ok());
  auto c = client((*server)->url());
  ClientRequest req;
  req.target = "/watch";
  auto stream = c->openStream(req);
  REQUIRE(stream.ok());
  CHECK((*stream)->status() == 200);
  auto line = (*stream)->readLine();
  REQUIRE(line.ok());
  CHECK(**line == "{\"n\":1}");
  {
    std::unique_lock lk(mu);
    // The guard only turns a hang into a failure; the writer is published by now.
    REQUIRE(published.wait_for(lk, std::chrono::seconds(10), [&] { return kept != nullptr; }));
    kept->write("{\"n\":2}\n{\"n\":3}\n");
  }
  CHECK(**(*stream)->readLine() == "{\"n\":2}");
  CHECK(**(*stream)->readLine() == "{\"n\":3}");
  {
    std::lock_guard lk(mu);
    kept->close();
  }
  auto end = (*stream)->readLine();
  REQUIRE(end.ok());
  CHECK_FALSE(end->has_value());
}

TEST_CASE("Server and transport: cancelling a silent stream unblocks the reader promptly") {
  auto server = startServer({}, [](ServerRequest&) {
    ServerResponse resp;
    resp.stream = [](std::shared_ptr<StreamWriter>) {};
    return resp;
  });
  REQUIRE(server.ok());
  auto c = client((*server)->url());
  ClientRequest req;
  req.target = "/silent";
  auto stream = c->openStream(req);
  REQUIRE(stream.ok());
  auto* s = stream->get();
  std::thread canceller([s] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    s->cancel();
  });
  auto r = s->readLine();
  canceller.join();
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kCancelled);
}

TEST_CASE("Transport: a refused connection is Unavailable") {
  auto server = startServer({}, [](ServerRequest&) { return ServerResponse{}; });
  REQUIRE(server.ok());
  std::string url = (*server)->url();
  (*server)->stop();
  auto c = client(url);
  ClientRequest req;
  req.target = "/";
  auto r = c->send(req);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kUnavailable);
}

TEST_CASE("Transport: a refused connection says the request was not sent") {
  auto server = startServer({}, [](ServerRequest&) { return ServerResponse{}; });
  REQUIRE(server.ok());
  std::string url = (*server)->url();
  (*server)->stop();
  auto c = client(url);
  ClientRequest req;
  req.method = "POST";
  req.target = "/";
  req.body = "{}";
  req.idempotent = false;
  auto r = c->send(req);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kUnavailable);
  CHECK(r.status().message().find("not sent") != std::string::npos);
}

TEST_CASE(
    "Transport: an answer slower than the timeout is DeadlineExceeded (it may have arrived)") {
  auto server = startServer({}, [](ServerRequest&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return ServerResponse{};
  });
  REQUIRE(server.ok());
  auto c = client((*server)->url());
  ClientRequest req;
  req.target = "/slow";
  req.timeout = std::chrono::milliseconds(50);
  auto r = c->send(req);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kDeadlineExceeded);
}
