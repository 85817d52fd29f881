#include "actor/pacing.h"

namespace fleet::actor {
namespace {

class Lockstep : public Pacing {
 public:
  const char* name() const override { return "lockstep"; }
  bool MustWaitForNewerWeights(uint64_t, uint64_t, int64_t) const override { return true; }
};

class LagBounded : public Pacing {
 public:
  LagBounded(double chunks_per_version, int max_lag)
      : chunks_per_version_(chunks_per_version), max_lag_(max_lag) {}
  const char* name() const override { return "lag-bounded"; }
  bool MustWaitForNewerWeights(uint64_t made_with, uint64_t first_version,
                               int64_t chunks_sent) const override {
    const double allowed =
        (static_cast<double>(made_with - first_version) + 1.0 + max_lag_) * chunks_per_version_;
    return static_cast<double>(chunks_sent) >= allowed;
  }

 private:
  double chunks_per_version_;
  int max_lag_;
};

class Free : public Pacing {
 public:
  const char* name() const override { return "free"; }
  bool MustWaitForNewerWeights(uint64_t, uint64_t, int64_t) const override { return false; }
};

}  // namespace

std::unique_ptr<Pacing> MakePacing(const ExperimentConfig& config, bool learner_fed) {
  // an off-policy run's replay table paces the actors: its rate limiter holds their
  // chunks' acknowledgements while the learner is behind (replay/store.h)
  if (!learner_fed || config.replay.capacity > 0) return std::make_unique<Free>();
  if (config.actors.sync) return std::make_unique<Lockstep>();
  return std::make_unique<LagBounded>(
      static_cast<double>(config.ChunksPerUpdate()) / static_cast<double>(config.actors.count),
      config.store.max_policy_lag);
}

}  // namespace fleet::actor
