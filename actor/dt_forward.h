// Internal to actor/: the Decision Transformer forward pass behind DtModel, built twice
// from one source (dt_forward_impl.h): for baseline x86-64 (dt_forward_baseline.cc) and
// with AVX2 and FMA (dt_forward_avx2.cc), where Eigen's matrix products run ~3x faster.
// DtModel picks one at run time from what the CPU supports.
//
// Only plain pointers and ints cross this interface. The AVX2 translation unit compiles
// Eigen under its own namespace (FleetEigenAvx2) and keeps its own data in Eigen types, so
// that none of its AVX-encoded code can stand in for the baseline code of another
// translation unit at link time (one definition rule: the linker keeps one copy of each
// inline function). The few shared inline functions it still calls (std::min, std::sqrt,
// DtForward's constructor) are inlined, never emitted: the file is always compiled with
// optimization (actor/CMakeLists.txt), and tests/actor/dt_forward_isolation.sh fails if
// the object defines any function outside its own namespaces.
#pragma once

#include <cstdint>

namespace fleet::actor {

struct DtLinearView {
  const float* w = nullptr;  // out x in, row-major (PyTorch's nn.Linear layout)
  const float* b = nullptr;  // out
  int out = 0, in = 0;
};
struct DtNormView {
  const float* g = nullptr;
  const float* b = nullptr;
};
struct DtBlockView {
  DtNormView ln1, ln2;
  DtLinearView qkv, proj, fc, fc_proj;
};
// The weights, valid while a DtForward is being made (it copies them).
struct DtWeightsView {
  int state_dim = 0, act_dim = 0, n_head = 1, embed_dim = 0, max_episode_len = 0;
  bool gelu = false;
  const float* embed_timestep = nullptr;  // max_episode_len x embed_dim
  DtLinearView embed_return, embed_state, embed_action, predict_action;
  DtNormView embed_ln, ln_f;
  int n_layer = 0;
  const DtBlockView* blocks = nullptr;
};
// n contexts, packed one after the other: context i has lengths[i] steps (oldest first) of
// normalized state (state_dim), action (act_dim), scaled return-to-go and timestep.
struct DtBatchView {
  int n = 0;
  const int* lengths = nullptr;
  const float* states = nullptr;
  const float* actions = nullptr;
  const float* returns_to_go = nullptr;
  const int64_t* timesteps = nullptr;
};

class DtForward {
 public:
  virtual ~DtForward();  // defined in dt_model.cc (the vtable lives there)
  // out: n x act_dim, the action head's output for each context's last state token
  // (before tanh or argmax).
  virtual void PredictLast(const DtBatchView& batch, float* out) = 0;
};

// Defined in dt_forward_baseline.cc and dt_forward_avx2.cc; the caller owns the result.
// The AVX2 one may only be called where the CPU has AVX2 and FMA.
DtForward* NewDtForwardBaseline(const DtWeightsView& weights);
DtForward* NewDtForwardAvx2(const DtWeightsView& weights);

}  // namespace fleet::actor
