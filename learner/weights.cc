#include "learner/weights.h"

namespace fleet::learner {
namespace {

void ExportMlp(ActorCritic& model, int net, proto::Mlp* out) {
  out->set_activation(model->options().mlp.activation == "relu" ? proto::ACTIVATION_RELU
                                                            : proto::ACTIVATION_TANH);
  for (int i = 0; i < model->num_layers(); ++i) {
    torch::Tensor w = model->LayerWeight(net, i);
    torch::Tensor b = model->LayerBias(net, i);
    proto::Layer* l = out->add_layers();
    l->set_out_dim(static_cast<uint32_t>(w.size(0)));
    l->set_in_dim(static_cast<uint32_t>(w.size(1)));
    l->mutable_weight()->Add(w.data_ptr<float>(), w.data_ptr<float>() + w.numel());
    l->mutable_bias()->Add(b.data_ptr<float>(), b.data_ptr<float>() + b.numel());
  }
}

}  // namespace

proto::PolicyWeights ExportWeights(ActorCritic& model, uint64_t version) {
  proto::PolicyWeights w;
  w.set_version(version);
  const auto& o = model->options();
  ExportMlp(model, 0, w.mutable_actor());
  ExportMlp(model, 1, w.mutable_critic());
  if (o.discrete) {
    w.set_distribution(proto::DISTRIBUTION_CATEGORICAL);
  } else {
    w.set_distribution(proto::DISTRIBUTION_GAUSSIAN);
    torch::Tensor ls = model->log_std().detach().to(torch::kCPU).contiguous();
    w.mutable_log_std()->Add(ls.data_ptr<float>(), ls.data_ptr<float>() + ls.numel());
  }
  return w;
}

}  // namespace fleet::learner
