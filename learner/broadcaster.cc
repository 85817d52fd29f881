#include "learner/broadcaster.h"

#include <random>

#include "common/zmq_util.h"

namespace fleet::learner {
namespace {

uint64_t DrawEpoch() {
  std::random_device rd;
  return ((uint64_t{rd()} << 32) | rd()) | 1;  // never 0 (0: weights of an older Fleet)
}

}  // namespace

Broadcaster::Broadcaster(zmq::context_t& ctx, const std::string& weights_endpoint,
                         const std::string& stats_endpoint)
    : zap_(StartZapIfSecure(ctx)),
      weights_(ctx, zmq::socket_type::pub),
      stats_(ctx, zmq::socket_type::pub),
      has_weights_(!weights_endpoint.empty()),
      has_stats_(!stats_endpoint.empty()),
      epoch_(DrawEpoch()) {
  zmqu::Configure(weights_, 4);
  zmqu::Configure(stats_, 16);
  if (has_weights_) {
    SecureServer(weights_, weights_endpoint);
    weights_.bind(weights_endpoint);
  }
  if (has_stats_) {
    SecureServer(stats_, stats_endpoint);
    stats_.bind(stats_endpoint);
  }
}

void Broadcaster::PublishWeights(const proto::PolicyWeights& weights) {
  latest_ = weights;
  latest_.set_weights_epoch(epoch_);
  weights_bytes_ = latest_.SerializeAsString();
  SendWeights();
}

void Broadcaster::NewEpoch() {
  epoch_ = DrawEpoch();
  if (!weights_bytes_.empty()) PublishWeights(latest_);
}

void Broadcaster::RepublishIfDue(std::chrono::milliseconds every) {
  if (!weights_bytes_.empty() && std::chrono::steady_clock::now() - last_publish_ > every) {
    SendWeights();
  }
}

void Broadcaster::SendWeights() {
  if (!has_weights_) return;
  zmq::message_t msg(weights_bytes_.data(), weights_bytes_.size());
  (void)zmqu::RetryOnInterrupt([&] { return weights_.send(msg, zmq::send_flags::dontwait); });
  last_publish_ = std::chrono::steady_clock::now();
}

void Broadcaster::PublishStats(const proto::LearnerStats& stats) {
  if (has_stats_) (void)zmqu::SendProto(stats_, stats);
}

}  // namespace fleet::learner
