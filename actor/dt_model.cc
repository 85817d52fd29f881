#include "actor/dt_model.h"

#include <cmath>
#include <map>

#include "actor/dt_forward.h"

namespace fleet::actor {

DtForward::~DtForward() = default;

namespace {

// The named tensors of a PolicyWeights.transformer message, checked for their sizes.
struct Tensors {
  std::map<std::string, const proto::Tensor*> by_name;

  StatusOr<const float*> Get(const std::string& name, int rows, int cols) const {
    auto it = by_name.find(name);
    if (it == by_name.end()) return InvalidArgumentError("transformer weights: no tensor '" + name + "'");
    const proto::Tensor& t = *it->second;
    int64_t n = 1;
    for (uint32_t d : t.shape()) n *= d;
    if (n != int64_t{rows} * cols || t.data_size() != n) {
      return InvalidArgumentError("transformer weights: '" + name + "' has " +
                                  std::to_string(t.data_size()) + " values, expected " +
                                  std::to_string(int64_t{rows} * cols));
    }
    return t.data().data();
  }
};

}  // namespace

bool DtModel::CpuHasAvx2Fma() {
#if defined(__x86_64__) || defined(__i386__)
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

DtModel::DtModel() = default;
DtModel::DtModel(DtModel&&) noexcept = default;
DtModel& DtModel::operator=(DtModel&&) noexcept = default;
DtModel::~DtModel() = default;

const char* DtModel::kernel_name() const { return avx2_ ? "avx2+fma" : "baseline"; }

StatusOr<DtModel> DtModel::FromProto(const proto::DecisionTransformer& t, DtKernel kernel) {
  DtModel m;
  m.state_dim_ = static_cast<int>(t.state_dim());
  m.act_dim_ = static_cast<int>(t.act_dim());
  m.discrete_ = t.discrete();
  m.context_len_ = static_cast<int>(t.context_len());
  m.max_episode_len_ = static_cast<int>(t.max_episode_len());
  m.rtg_scale_ = t.rtg_scale();
  m.target_return_ = t.target_return();
  const int D = m.state_dim_, A = m.act_dim_, h = static_cast<int>(t.embed_dim());
  const int heads = static_cast<int>(t.n_head());
  if (D <= 0 || A <= 0 || h <= 0 || heads <= 0 || h % heads != 0 || m.context_len_ <= 0 ||
      m.max_episode_len_ <= 0 || !(m.rtg_scale_ > 0)) {
    return InvalidArgumentError("transformer weights: bad shape parameters");
  }
  if (t.state_mean_size() != D || t.state_std_size() != D) {
    return InvalidArgumentError("transformer weights: state statistics of the wrong size");
  }
  m.state_mean_.assign(t.state_mean().begin(), t.state_mean().end());
  m.state_std_.assign(t.state_std().begin(), t.state_std().end());
  Tensors ts;
  for (const auto& x : t.tensors()) ts.by_name[x.name()] = &x;

  DtWeightsView w;
  w.state_dim = D;
  w.act_dim = A;
  w.n_head = heads;
  w.embed_dim = h;
  w.max_episode_len = m.max_episode_len_;
  w.gelu = t.activation() == "gelu";
  auto linear = [&](const std::string& name, int out, int in, DtLinearView& l) -> Status {
    FLEET_ASSIGN_OR_RETURN(l.w, ts.Get(name + ".weight", out, in));
    FLEET_ASSIGN_OR_RETURN(l.b, ts.Get(name + ".bias", out, 1));
    l.out = out;
    l.in = in;
    return OkStatus();
  };
  auto norm = [&](const std::string& name, DtNormView& l) -> Status {
    FLEET_ASSIGN_OR_RETURN(l.g, ts.Get(name + ".weight", h, 1));
    FLEET_ASSIGN_OR_RETURN(l.b, ts.Get(name + ".bias", h, 1));
    return OkStatus();
  };
  FLEET_ASSIGN_OR_RETURN(w.embed_timestep, ts.Get("embed_timestep.weight", m.max_episode_len_, h));
  FLEET_RETURN_IF_ERROR(linear("embed_return", h, 1, w.embed_return));
  FLEET_RETURN_IF_ERROR(linear("embed_state", h, D, w.embed_state));
  FLEET_RETURN_IF_ERROR(linear("embed_action", h, A, w.embed_action));
  FLEET_RETURN_IF_ERROR(norm("embed_ln", w.embed_ln));
  std::vector<DtBlockView> blocks(t.n_layer());
  for (uint32_t i = 0; i < t.n_layer(); ++i) {
    DtBlockView& b = blocks[i];
    const std::string p = "blocks." + std::to_string(i) + ".";
    FLEET_RETURN_IF_ERROR(norm(p + "ln1", b.ln1));
    FLEET_RETURN_IF_ERROR(linear(p + "attn_qkv", 3 * h, h, b.qkv));
    FLEET_RETURN_IF_ERROR(linear(p + "attn_proj", h, h, b.proj));
    FLEET_RETURN_IF_ERROR(norm(p + "ln2", b.ln2));
    FLEET_RETURN_IF_ERROR(linear(p + "mlp_fc", 4 * h, h, b.fc));
    FLEET_RETURN_IF_ERROR(linear(p + "mlp_proj", h, 4 * h, b.fc_proj));
  }
  w.n_layer = static_cast<int>(blocks.size());
  w.blocks = blocks.data();
  FLEET_RETURN_IF_ERROR(norm("ln_f", w.ln_f));
  FLEET_RETURN_IF_ERROR(linear("predict_action", A, h, w.predict_action));

  if (kernel == DtKernel::kAvx2 && !CpuHasAvx2Fma()) {
    return FailedPreconditionError("Decision Transformer: this CPU has no AVX2 and FMA");
  }
  m.avx2_ = kernel == DtKernel::kAvx2 || (kernel == DtKernel::kAuto && CpuHasAvx2Fma());
  m.forward_.reset(m.avx2_ ? NewDtForwardAvx2(w) : NewDtForwardBaseline(w));
  return m;
}

void DtModel::PredictLast(std::span<const float> states, std::span<const float> actions,
                          std::span<const float> rtg, std::span<const int64_t> timesteps,
                          int length, std::span<float> out) {
  const int lengths[1] = {length};
  PredictLastBatch(lengths, states, actions, rtg, timesteps, out);
}

void DtModel::PredictLastBatch(std::span<const int> lengths, std::span<const float> states,
                               std::span<const float> actions, std::span<const float> rtg,
                               std::span<const int64_t> timesteps, std::span<float> out) {
  DtBatchView batch;
  batch.n = static_cast<int>(lengths.size());
  batch.lengths = lengths.data();
  batch.states = states.data();
  batch.actions = actions.data();
  batch.returns_to_go = rtg.data();
  batch.timesteps = timesteps.data();
  forward_->PredictLast(batch, out.data());
  if (!discrete_) {
    for (size_t j = 0; j < static_cast<size_t>(batch.n) * act_dim_; ++j) out[j] = std::tanh(out[j]);
  }
}

}  // namespace fleet::actor
