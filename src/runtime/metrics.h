// Metrics: a registry of counters, gauges and histograms with labels, rendered in the Prometheus
// text exposition format 0.0.4 for /metrics. Families are registered once by name (registering
// the same name again returns the same family); a child per label-value tuple is created on first
// use and lives as long as the registry, so hot paths can keep a reference. Thread-safe. Owns no
// HTTP: probes.h serves render().
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace dbtoken::runtime {

// Label values, in the order of the family's label names.
using LabelValues = std::vector<std::string>;

class Counter {
 public:
  void inc(double by = 1.0);  // by must be >= 0
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double by);
  void inc() { add(1.0); }
  void dec() { add(-1.0); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> upperBounds);
  void observe(double v);

  struct Snapshot {
    std::vector<double> upperBounds;
    std::vector<uint64_t> cumulativeCounts;  // per bound, then +Inf
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot snapshot() const;

 private:
  const std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::vector<uint64_t> counts_;  // per bucket, not cumulative; last is +Inf
  double sum_ = 0;
  uint64_t count_ = 0;
};

// Prometheus client defaults: .005 .01 .025 .05 .1 .25 .5 1 2.5 5 10 (seconds).
std::vector<double> defaultBuckets();
// start, start*factor, ... (count bounds).
std::vector<double> exponentialBuckets(double start, double factor, int count);

class FamilyBase {
 public:
  enum class Type { kCounter, kGauge, kHistogram };
  FamilyBase(std::string name, std::string help, Type type, std::vector<std::string> labelNames);
  virtual ~FamilyBase() = default;
  const std::string& name() const { return name_; }
  Type type() const { return type_; }
  const std::vector<std::string>& labelNames() const { return labelNames_; }
  virtual void render(std::string& out) const = 0;

 protected:
  // "{a="x",b="y"}" ("" without labels), optionally with one more label (a histogram's le).
  std::string labelText(const LabelValues& values, const std::string& extraName = {},
                        const std::string& extraValue = {}) const;
  void renderHeader(std::string& out) const;

 private:
  std::string name_;
  std::string help_;
  Type type_;
  std::vector<std::string> labelNames_;
};

template <typename T>
class Family final : public FamilyBase {
 public:
  using Factory = std::function<std::unique_ptr<T>()>;
  Family(std::string name, std::string help, Type type, std::vector<std::string> labelNames,
         Factory factory);

  // The child for these label values (as many as the family has label names).
  T& with(const LabelValues& values);
  // Drops the child for these label values (a series whose object is gone).
  void remove(const LabelValues& values);
  void render(std::string& out) const override;

 private:
  Factory factory_;
  mutable std::mutex mu_;
  std::map<LabelValues, std::unique_ptr<T>> children_;
};

// A gauge family whose series are computed at every scrape and kept nowhere in between: for
// series per object (one per DatabaseToken and condition), which as Family<Gauge> children
// would hold about 2.5 KB per object for the life of the process.
using GaugeSample = std::function<void(const LabelValues& values, double value)>;
using GaugeSamples = std::function<void(const GaugeSample& emit)>;

class Registry {
 public:
  Family<Counter>& counter(const std::string& name, const std::string& help,
                           std::vector<std::string> labelNames = {});
  Family<Gauge>& gauge(const std::string& name, const std::string& help,
                       std::vector<std::string> labelNames = {});
  Family<Histogram>& histogram(const std::string& name, const std::string& help,
                               std::vector<std::string> labelNames,
                               std::vector<double> upperBounds = defaultBuckets());

  // Registers a computed gauge family; `samples` runs (under render()) for every scrape. Whoever
  // registers one removes it (removeComputed) before the state `samples` reads goes away.
  void computedGauge(const std::string& name, const std::string& help,
                     std::vector<std::string> labelNames, GaugeSamples samples);
  void removeComputed(const std::string& name);

  // Runs before every render(), e.g. to refresh gauges computed on demand. Whoever registers
  // one removes it (with the returned id) before the state it reads goes away.
  int onCollect(std::function<void()> fn);
  void removeCollector(int id);

  // Text exposition format 0.0.4, families sorted by name.
  std::string render() const;
  static constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  template <typename T>
  Family<T>& family(const std::string& name, const std::string& help, FamilyBase::Type type,
                    std::vector<std::string> labelNames, typename Family<T>::Factory factory);

  mutable std::mutex mu_;
  // Held while collectors run, so removeCollector() never returns while one is running.
  mutable std::mutex collectMu_;
  std::map<std::string, std::unique_ptr<FamilyBase>> families_;
  std::map<int, std::function<void()>> collectors_;
  int nextCollector_ = 0;
};

// Formats a sample value as Prometheus does (shortest round-trip, +Inf, -Inf, NaN).
std::string formatValue(double v);
// Escapes a label value: backslash, double quote and newline.
std::string escapeLabelValue(const std::string& v);

}  // namespace dbtoken::runtime
