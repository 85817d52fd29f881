// A Decision Transformer's forward pass on Eigen, for actors (no libtorch): the model
// learner/decision_transformer.h trains, read from a PolicyWeights.transformer message.
// PredictLast runs contexts of up to K steps (return-to-go, state, action tokens) and
// returns the action predicted from each context's last state token, which is all an
// acting policy needs; many contexts (an actor's envs) go through one forward pass
// together. tests/actor/dt_model_test.cc holds it equal to libtorch's forward. The work is
// done by one of two builds of the same code (actor/dt_forward.h): with AVX2 and FMA where
// the CPU has them, else for baseline x86-64. Not thread-safe (scratch buffers).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "proto/fleet.pb.h"

namespace fleet::actor {

class DtForward;

enum class DtKernel { kAuto, kBaseline, kAvx2 };

class DtModel {
 public:
  // InvalidArgument naming a missing or misshaped tensor; FailedPrecondition for kAvx2 on
  // a CPU without AVX2 and FMA. kAuto: AVX2 where the CPU has it.
  static StatusOr<DtModel> FromProto(const proto::DecisionTransformer& t,
                                     DtKernel kernel = DtKernel::kAuto);
  static bool CpuHasAvx2Fma();

  DtModel(DtModel&&) noexcept;
  DtModel& operator=(DtModel&&) noexcept;
  ~DtModel();

  int state_dim() const { return state_dim_; }
  int act_dim() const { return act_dim_; }
  bool discrete() const { return discrete_; }
  int context_len() const { return context_len_; }
  int max_episode_len() const { return max_episode_len_; }
  float rtg_scale() const { return rtg_scale_; }
  float target_return() const { return target_return_; }
  const std::vector<float>& state_mean() const { return state_mean_; }
  const std::vector<float>& state_std() const { return state_std_; }
  // "avx2+fma" or "baseline": the build doing the work.
  const char* kernel_name() const;

  // L steps (1 <= L <= context_len), oldest first: normalized states (L x state_dim),
  // actions (L x act_dim: continuous values or one-hot; the last step's is not read),
  // scaled returns-to-go (L), timesteps (L). `out` (act_dim): the tanh'd action, or the
  // logits.
  void PredictLast(std::span<const float> states, std::span<const float> actions,
                   std::span<const float> returns_to_go, std::span<const int64_t> timesteps,
                   int length, std::span<float> out);
  // n = lengths.size() contexts packed one after the other (context i: lengths[i] steps,
  // laid out as above), in one forward pass; out: n x act_dim.
  void PredictLastBatch(std::span<const int> lengths, std::span<const float> states,
                        std::span<const float> actions, std::span<const float> returns_to_go,
                        std::span<const int64_t> timesteps, std::span<float> out);

 private:
  struct Weights;
  DtModel();

  int state_dim_ = 0, act_dim_ = 0, context_len_ = 0, max_episode_len_ = 0;
  bool discrete_ = false, avx2_ = false;
  float rtg_scale_ = 1, target_return_ = 0;
  std::vector<float> state_mean_, state_std_;
  std::unique_ptr<DtForward> forward_;
};

}  // namespace fleet::actor
