#include "learner/rollout_source.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <tuple>

#include "common/signals.h"
#include "common/curve.h"
#include "common/zmq_util.h"

namespace fleet::learner {

RolloutSource::RolloutSource(zmq::context_t& ctx, const std::string& endpoint,
                             int chunks_per_batch)
    : socket_(ctx, zmq::socket_type::dealer),
      monitor_(ctx, zmq::socket_type::pair),
      chunks_per_batch_(chunks_per_batch) {
  zmqu::Configure(socket_);
  SecureClient(socket_, endpoint);
  static std::atomic<int> next_monitor{0};
  const std::string monitor_endpoint =
      "inproc://fleet-rollout-monitor-" + std::to_string(next_monitor++);
  if (zmq_socket_monitor(socket_.handle(), monitor_endpoint.c_str(), ZMQ_EVENT_CONNECTED) != 0) {
    throw zmq::error_t();
  }
  monitor_.set(zmq::sockopt::linger, 0);
  monitor_.connect(monitor_endpoint);
  socket_.connect(endpoint);
}

bool RolloutSource::Reconnected() {
  bool again = false;
  std::vector<zmq::message_t> event;
  while (zmqu::RecvMultipart(monitor_, event)) {
    // frame 0: uint16 event id, uint32 value; frame 1: the endpoint
    if (event.empty() || event[0].size() < 2) continue;
    uint16_t id = 0;
    std::memcpy(&id, event[0].data(), sizeof(id));
    if (id != ZMQ_EVENT_CONNECTED) continue;
    if (++connects_ > 1) again = true;  // the first connection is not a reconnection
  }
  return again;
}

Status RolloutSource::Send(const proto::RolloutRequest& req) {
  // a store restarted since the last batch lost the chunks it held: counted, so that the
  // caller can have the actors send again
  if (Reconnected()) ++reconnects_;
  FLEET_RETURN_IF_ERROR(zmqu::SendProto(socket_, req));
  pending_ = req;
  return OkStatus();
}

StatusOr<bool> RolloutSource::Await(const std::function<void()>& idle) {
  FLEET_CHECK(pending_.has_value());
  bool got = false;
  while (!got) {
    if (StopRequested()) return false;
    if (Reconnected()) {  // a restarted store: the request it held died with it
      ++reconnects_;
      FLEET_RETURN_IF_ERROR(zmqu::SendProto(socket_, *pending_));
    }
    if (zmqu::WaitReadable(socket_, std::chrono::milliseconds(50))) {
      got = zmqu::RecvMultipart(socket_, frames_);
    }
    idle();
  }
  pending_.reset();
  return true;
}

StatusOr<bool> RolloutSource::Request(const proto::RolloutRequest& req,
                                      const std::function<void()>& idle) {
  if (pending_) {
    return FailedPreconditionError("a request to the store is already in flight");
  }
  FLEET_RETURN_IF_ERROR(Send(req));
  return Await(idle);
}

Status RolloutSource::PrefetchSample(int transitions) {
  if (pending_) {
    return FailedPreconditionError("a request to the store is already in flight");
  }
  proto::RolloutRequest req;
  req.set_sample_transitions(static_cast<uint32_t>(transitions));
  return Send(req);
}

StatusOr<proto::RolloutHeader> RolloutSource::ReplyHeader() const {
  proto::RolloutHeader header;
  FLEET_RETURN_IF_ERROR(zmqu::ParseProto(frames_[0], header));
  if (!header.error().empty()) return FailedPreconditionError("the store refused: " + header.error());
  return header;
}

StatusOr<std::optional<ReplaySample>> RolloutSource::NextSample(int transitions,
                                                                const std::function<void()>& idle) {
  bool got = false;
  if (pending_ && pending_->sample_transitions() == static_cast<uint32_t>(transitions) &&
      !pending_->stats_only()) {
    FLEET_ASSIGN_OR_RETURN(got, Await(idle));  // the prefetched sample
  } else {
    proto::RolloutRequest req;
    req.set_sample_transitions(static_cast<uint32_t>(transitions));
    FLEET_ASSIGN_OR_RETURN(got, Request(req, idle));
  }
  if (!got) return std::optional<ReplaySample>();
  FLEET_ASSIGN_OR_RETURN(proto::RolloutHeader header, ReplyHeader());
  const proto::TransitionSample& s = header.sample();
  const size_t n = s.size(), d = s.obs_dim(), a = std::max<uint32_t>(1, s.action_dim());
  if (frames_.size() != 1 || n != static_cast<size_t>(transitions) ||
      static_cast<size_t>(s.observations_size()) != n * d ||
      static_cast<size_t>(s.next_observations_size()) != n * d ||
      static_cast<size_t>(s.actions_size()) != n * a || static_cast<size_t>(s.rewards_size()) != n ||
      s.terminated().size() != n ||
      header.inserted_episode_returns_size() != header.inserted_episode_lengths_size()) {
    return DataLossError("malformed sample reply: " + std::to_string(n) + " transitions for " +
                         std::to_string(transitions) + " asked, " + std::to_string(s.observations_size()) +
                         " observation and " + std::to_string(s.actions_size()) + " action values");
  }
  ReplaySample r;
  r.store = header.stats();
  r.inserted_steps = header.inserted_steps();
  r.episode_returns.assign(header.inserted_episode_returns().begin(),
                           header.inserted_episode_returns().end());
  r.episode_lengths.assign(header.inserted_episode_lengths().begin(),
                           header.inserted_episode_lengths().end());
  replay::TransitionBatch& b = r.batch;
  b.size = static_cast<int>(n);
  b.obs.assign(s.observations().begin(), s.observations().end());
  b.next_obs.assign(s.next_observations().begin(), s.next_observations().end());
  b.actions.assign(s.actions().begin(), s.actions().end());
  b.rewards.assign(s.rewards().begin(), s.rewards().end());
  b.terminated.assign(s.terminated().begin(), s.terminated().end());
  return std::optional<ReplaySample>(std::move(r));
}

StatusOr<std::optional<Rollout>> RolloutSource::Next(uint64_t version,
                                                     const std::function<void()>& idle) {
  proto::RolloutRequest req;
  req.set_learner_version(version);
  req.set_num_chunks(static_cast<uint32_t>(chunks_per_batch_));
  FLEET_ASSIGN_OR_RETURN(bool got, Request(req, idle));
  if (!got) return std::optional<Rollout>();
  FLEET_ASSIGN_OR_RETURN(proto::RolloutHeader header, ReplyHeader());
  if (frames_.size() != header.num_chunks() + 1) {
    return DataLossError("rollout reply has " + std::to_string(frames_.size() - 1) +
                         " chunk frames, header says " + std::to_string(header.num_chunks()));
  }
  if (header.dropped_episode_returns_size() != header.dropped_episode_lengths_size()) {
    return DataLossError("rollout reply has " + std::to_string(header.dropped_episode_returns_size()) +
                         " dropped episode returns and " +
                         std::to_string(header.dropped_episode_lengths_size()) + " lengths");
  }
  Rollout r;
  r.store = header.stats();
  r.dropped_steps = header.dropped_steps();
  r.dropped_episode_returns.assign(header.dropped_episode_returns().begin(),
                                   header.dropped_episode_returns().end());
  r.dropped_episode_lengths.assign(header.dropped_episode_lengths().begin(),
                                   header.dropped_episode_lengths().end());
  r.chunks.resize(header.num_chunks());
  for (size_t i = 0; i < r.chunks.size(); ++i) {
    FLEET_RETURN_IF_ERROR(zmqu::ParseProto(frames_[i + 1], r.chunks[i]));
  }
  // arrival order between actors is up to the OS; a fixed order keeps synchronous runs
  // deterministic under a seed.
  std::sort(r.chunks.begin(), r.chunks.end(), [](const auto& a, const auto& b) {
    return std::make_tuple(a.actor_id(), a.sequence()) < std::make_tuple(b.actor_id(), b.sequence());
  });
  return std::optional<Rollout>(std::move(r));
}

}  // namespace fleet::learner
