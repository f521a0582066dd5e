#include "runtime/metrics.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <regex>

namespace dbtoken::runtime {
namespace {

bool validMetricName(const std::string& name) {
  static const std::regex kName("[a-zA-Z_:][a-zA-Z0-9_:]*");
  return std::regex_match(name, kName);
}

bool validLabelName(const std::string& name) {
  static const std::regex kLabel("[a-zA-Z_][a-zA-Z0-9_]*");
  return std::regex_match(name, kLabel) && name.rfind("__", 0) != 0;
}

std::string escapeHelp(const std::string& help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

const char* typeName(FamilyBase::Type t) {
  switch (t) {
    case FamilyBase::Type::kCounter:
      return "counter";
    case FamilyBase::Type::kGauge:
      return "gauge";
    case FamilyBase::Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

void atomicAdd(std::atomic<double>& a, double by) {
  double cur = a.load(std::memory_order_relaxed);
  while (!a.compare_exchange_weak(cur, cur + by, std::memory_order_relaxed)) {
  }
}

}  // namespace

std::string formatValue(double v) {
  if (std::isnan(v)) {
    return "NaN";
  }
  if (std::isinf(v)) {
    return v > 0 ? "+Inf" : "-Inf";
  }
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) {
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
  }
  return std::string(buf, end);
}

std::string escapeLabelValue(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void Counter::inc(double by) {
  if (by < 0) {
    return;  // a counter never goes down
  }
  atomicAdd(value_, by);
}

void Gauge::add(double by) {
  atomicAdd(value_, by);
}

Histogram::Histogram(std::vector<double> upperBounds)
    : bounds_([&] {
        std::sort(upperBounds.begin(), upperBounds.end());
        upperBounds.erase(std::unique(upperBounds.begin(), upperBounds.end()), upperBounds.end());
        if (!upperBounds.empty() && std::isinf(upperBounds.back())) {
          upperBounds.pop_back();
        }
        return upperBounds;
      }()),
      counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double v) {
  size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin();
  std::lock_guard lk(mu_);
  ++counts_[i];
  sum_ += v;
  ++count_;
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.upperBounds = bounds_;
  std::lock_guard lk(mu_);
  uint64_t running = 0;
  for (uint64_t c : counts_) {
    running += c;
    s.cumulativeCounts.push_back(running);
  }
  s.sum = sum_;
  s.count = count_;
  return s;
}

std::vector<double> defaultBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::vector<double> exponentialBuckets(double start, double factor, int count) {
  std::vector<double> out;
  double v = start;
  for (int i = 0; i < count; ++i) {
    out.push_back(v);
    v *= factor;
  }
  return out;
}

FamilyBase::FamilyBase(std::string name, std::string help, Type type,
                       std::vector<std::string> labelNames)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      labelNames_(std::move(labelNames)) {}

std::string FamilyBase::labelText(const LabelValues& values, const std::string& extraName,
                                  const std::string& extraValue) const {
  if (labelNames_.empty() && extraName.empty()) {
    return {};
  }
  std::string out = "{";
  for (size_t i = 0; i < labelNames_.size(); ++i) {
    if (i > 0) {
      out += ',';
    }
    out += labelNames_[i] + "=\"" + escapeLabelValue(i < values.size() ? values[i] : "") + "\"";
  }
  if (!extraName.empty()) {
    if (!labelNames_.empty()) {
      out += ',';
    }
    out += extraName + "=\"" + escapeLabelValue(extraValue) + "\"";
  }
  out += '}';
  return out;
}

void FamilyBase::renderHeader(std::string& out) const {
  out += "# HELP " + name_ + " " + escapeHelp(help_) + "\n";
  out += "# TYPE " + name_ + " " + typeName(type_) + "\n";
}

template <typename T>
Family<T>::Family(std::string name, std::string help, Type type,
                  std::vector<std::string> labelNames, Factory factory)
    : FamilyBase(std::move(name), std::move(help), type, std::move(labelNames)),
      factory_(std::move(factory)) {
  if (this->labelNames().empty()) {
    children_.emplace(LabelValues{}, factory_());  // an unlabelled metric exists from the start
  }
}

template <typename T>
T& Family<T>::with(const LabelValues& values) {
  assert(values.size() == labelNames().size() && "one value per label name");
  std::lock_guard lk(mu_);
  auto it = children_.find(values);
  if (it == children_.end()) {
    it = children_.emplace(values, factory_()).first;
  }
  return *it->second;
}

template <typename T>
void Family<T>::remove(const LabelValues& values) {
  std::lock_guard lk(mu_);
  children_.erase(values);
}

template <typename T>
void Family<T>::render(std::string& out) const {
  renderHeader(out);
  std::lock_guard lk(mu_);
  for (const auto& [values, child] : children_) {
    if constexpr (std::is_same_v<T, Histogram>) {
      Histogram::Snapshot s = child->snapshot();
      for (size_t i = 0; i < s.upperBounds.size(); ++i) {
        out += name() + "_bucket" + labelText(values, "le", formatValue(s.upperBounds[i])) + " " +
               std::to_string(s.cumulativeCounts[i]) + "\n";
      }
      out += name() + "_bucket" + labelText(values, "le", "+Inf") + " " + std::to_string(s.count) +
             "\n";
      out += name() + "_sum" + labelText(values) + " " + formatValue(s.sum) + "\n";
      out += name() + "_count" + labelText(values) + " " + std::to_string(s.count) + "\n";
    } else {
      out += name() + labelText(values) + " " + formatValue(child->value()) + "\n";
    }
  }
}

namespace {

class ComputedGaugeFamily final : public FamilyBase {
 public:
  ComputedGaugeFamily(std::string name, std::string help, std::vector<std::string> labelNames,
                      GaugeSamples samples)
      : FamilyBase(std::move(name), std::move(help), Type::kGauge, std::move(labelNames)),
        samples_(std::move(samples)) {}

  void render(std::string& out) const override {
    renderHeader(out);
    samples_([&](const LabelValues& values, double value) {
      assert(values.size() == labelNames().size() && "one value per label name");
      out += name() + labelText(values) + " " + formatValue(value) + "\n";
    });
  }

 private:
  GaugeSamples samples_;
};

}  // namespace

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

template <typename T>
Family<T>& Registry::family(const std::string& name, const std::string& help, FamilyBase::Type type,
                            std::vector<std::string> labelNames,
                            typename Family<T>::Factory factory) {
  // Names are fixed in the code: a bad one is a programming error, caught by any test.
  bool valid = validMetricName(name);
  for (const auto& l : labelNames) {
    valid = valid && validLabelName(l);
  }
  if (!valid) {
    std::fprintf(stderr, "metrics: invalid metric or label name in %s\n", name.c_str());
    std::abort();
  }
  std::lock_guard lk(mu_);
  auto it = families_.find(name);
  if (it != families_.end()) {
    // The same name must mean the same metric: anything else is a programming error.
    if (it->second->type() != type || it->second->labelNames() != labelNames) {
      std::fprintf(stderr, "metrics: %s registered twice with different types or labels\n",
                   name.c_str());
      std::abort();
    }
    return static_cast<Family<T>&>(*it->second);
  }
  auto fam =
      std::make_unique<Family<T>>(name, help, type, std::move(labelNames), std::move(factory));
  Family<T>& ref = *fam;
  families_.emplace(name, std::move(fam));
  return ref;
}

Family<Counter>& Registry::counter(const std::string& name, const std::string& help,
                                   std::vector<std::string> labelNames) {
  return family<Counter>(name, help, FamilyBase::Type::kCounter, std::move(labelNames),
                         [] { return std::make_unique<Counter>(); });
}

Family<Gauge>& Registry::gauge(const std::string& name, const std::string& help,
                               std::vector<std::string> labelNames) {
  return family<Gauge>(name, help, FamilyBase::Type::kGauge, std::move(labelNames),
                       [] { return std::make_unique<Gauge>(); });
}

Family<Histogram>& Registry::histogram(const std::string& name, const std::string& help,
                                       std::vector<std::string> labelNames,
                                       std::vector<double> upperBounds) {
  return family<Histogram>(name, help, FamilyBase::Type::kHistogram, std::move(labelNames),
                           [upperBounds] { return std::make_unique<Histogram>(upperBounds); });
}

void Registry::computedGauge(const std::string& name, const std::string& help,
                             std::vector<std::string> labelNames, GaugeSamples samples) {
  bool valid = validMetricName(name);
  for (const auto& l : labelNames) {
    valid = valid && validLabelName(l);
  }
  std::lock_guard lk(mu_);
  if (!valid || families_.count(name)) {
    std::fprintf(stderr, "metrics: %s is invalid or registered twice\n", name.c_str());
    std::abort();
  }
  families_.emplace(name, std::make_unique<ComputedGaugeFamily>(name, help, std::move(labelNames),
                                                                std::move(samples)));
}

void Registry::removeComputed(const std::string& name) {
  std::lock_guard collecting(collectMu_);  // not while a render() runs it
  std::lock_guard lk(mu_);
  families_.erase(name);
}

int Registry::onCollect(std::function<void()> fn) {
  std::lock_guard lk(mu_);
  int id = nextCollector_++;
  collectors_.emplace(id, std::move(fn));
  return id;
}

void Registry::removeCollector(int id) {
  std::lock_guard collecting(collectMu_);
  std::lock_guard lk(mu_);
  collectors_.erase(id);
}

std::string Registry::render() const {
  std::lock_guard collecting(collectMu_);
  std::vector<std::function<void()>> collectors;
  std::vector<const FamilyBase*> families;
  {
    std::lock_guard lk(mu_);
    for (const auto& [id, fn] : collectors_) {
      collectors.push_back(fn);
    }
    for (const auto& [name, fam] : families_) {
      families.push_back(fam.get());
    }
  }
  for (const auto& fn : collectors) {
    fn();
  }
  std::string out;
  for (const FamilyBase* fam : families) {
    fam->render(out);
  }
  return out;
}

}  // namespace dbtoken::runtime
