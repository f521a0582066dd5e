#include <catch2/catch.hpp>

#include <cmath>

#include "runtime/metrics.h"
#include "testing/prometheus_text.h"

using namespace dbtoken;
using testing::validateExposition;

TEST_CASE("Metrics: the rendered text is valid exposition format 0.0.4") {
  runtime::Registry r;
  r.counter("requests_total", "Requests.", {"code", "method"}).with({"200", "GET"}).inc(3);
  r.counter("requests_total", "Requests.", {"code", "method"}).with({"500", "POST"}).inc();
  r.counter("plain_total", "No labels.");
  r.gauge("temperature", "Help with \\ backslash\nand newline.").with({}).set(-1.5);
  auto& h = r.histogram("latency_seconds", "Latency.", {"op"}, {0.1, 1, 10}).with({"get"});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(50);
  r.gauge("odd_labels", "Label values that need escaping.", {"v"})
      .with({"quote \" backslash \\ newline \n end"})
      .set(1);
  std::string text = r.render();
  INFO(text);
  CHECK(validateExposition(text).empty());
  CHECK_THAT(text, Catch::Contains("# TYPE requests_total counter\n"));
  CHECK_THAT(text, Catch::Contains("requests_total{code=\"200\",method=\"GET\"} 3\n"));
  CHECK_THAT(text, Catch::Contains("plain_total 0\n"));
  CHECK_THAT(text, Catch::Contains("# HELP temperature Help with \\\\ backslash\\nand newline.\n"));
  CHECK_THAT(text, Catch::Contains("latency_seconds_bucket{op=\"get\",le=\"0.1\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("latency_seconds_bucket{op=\"get\",le=\"1\"} 2\n"));
  CHECK_THAT(text, Catch::Contains("latency_seconds_bucket{op=\"get\",le=\"+Inf\"} 3\n"));
  CHECK_THAT(text, Catch::Contains("latency_seconds_sum{op=\"get\"} 50.55\n"));
  CHECK_THAT(text, Catch::Contains("latency_seconds_count{op=\"get\"} 3\n"));
  CHECK_THAT(text,
             Catch::Contains("odd_labels{v=\"quote \\\" backslash \\\\ newline \\n end\"} 1\n"));
}

TEST_CASE("Metrics: the validator catches what a broken renderer would produce") {
  CHECK_FALSE(validateExposition("x 1\n").empty());  // no TYPE
  CHECK_FALSE(validateExposition("# TYPE x counter\nx{a=\"b} 1\n").empty());
  CHECK_FALSE(validateExposition("# TYPE x counter\nx one\n").empty());
  CHECK_FALSE(validateExposition("# TYPE h histogram\nh_bucket{le=\"1\"} 2\n"
                                 "h_bucket{le=\"+Inf\"} 1\nh_count 1\n")
                  .empty());
  CHECK_FALSE(validateExposition("# TYPE x counter\n# TYPE y counter\ny 1\nx 1\n").empty());
}

TEST_CASE("Metrics: registering a name again returns the same family") {
  runtime::Registry r;
  auto& a = r.counter("c_total", "C.", {"x"});
  auto& b = r.counter("c_total", "C.", {"x"});
  CHECK(&a == &b);
  a.with({"1"}).inc();
  CHECK(b.with({"1"}).value() == 1);
}

TEST_CASE("Metrics: values format like Prometheus' Go client") {
  CHECK(runtime::formatValue(0) == "0");
  CHECK(runtime::formatValue(3) == "3");
  CHECK(runtime::formatValue(0.005) == "0.005");
  CHECK(runtime::formatValue(1e-8) == "1e-08");
  CHECK(runtime::formatValue(INFINITY) == "+Inf");
  CHECK(runtime::formatValue(-INFINITY) == "-Inf");
  CHECK(runtime::formatValue(NAN) == "NaN");
}

TEST_CASE("Metrics: a counter never goes down; collectors run before each render") {
  runtime::Registry r;
  auto& c = r.counter("c_total", "C.").with({});
  c.inc(2);
  c.inc(-5);
  CHECK(c.value() == 2);
  int calls = 0;
  int id = r.onCollect([&] { ++calls; });
  (void)r.render();
  (void)r.render();
  r.removeCollector(id);
  (void)r.render();
  CHECK(calls == 2);
}

TEST_CASE(
    "Metrics: a computed gauge shows what its function emits at each scrape, and nothing "
    "once removed") {
  runtime::Registry r;
  std::vector<std::pair<std::string, double>> objects = {{"a", 1}, {"b", 0}};
  r.computedGauge("per_object", "One series per object.", {"name"},
                  [&objects](const runtime::GaugeSample& emit) {
                    for (const auto& [name, v] : objects) {
                      emit({name}, v);
                    }
                  });
  std::string text = r.render();
  INFO(text);
  CHECK(validateExposition(text).empty());
  CHECK_THAT(text, Catch::Contains("# TYPE per_object gauge\n"));
  CHECK_THAT(text, Catch::Contains("per_object{name=\"a\"} 1\nper_object{name=\"b\"} 0\n"));

  objects = {{"b", 1}};  // "a" is gone: its series goes with it
  text = r.render();
  CHECK_THAT(text, !Catch::Contains("name=\"a\""));
  CHECK_THAT(text, Catch::Contains("per_object{name=\"b\"} 1\n"));

  r.removeComputed("per_object");
  CHECK_THAT(r.render(), !Catch::Contains("per_object"));
}
