#include "actor/opponent_pool.h"

#include <algorithm>

namespace fleet::actor {

OpponentPool::OpponentPool(const SelfPlaySection& config, const envs::EnvSpec& spec)
    : config_(config), spec_(spec) {}

Status OpponentPool::Offer(const proto::PolicyWeights& weights) {
  const auto& as = spec_.action_space;
  if (!as.is_discrete()) {
    return InvalidArgumentError("self-play needs a discrete action space; " + spec_.id + " has " +
                                as.ToString());
  }
  if (weights.weights_epoch() != epoch_) {
    // a restarted learner counts versions again from its checkpoint: what the pool holds
    // was published and stays; the counting starts over.
    epoch_ = weights.weights_epoch();
    latest_.reset();
    last_joined_.reset();
  }
  if (latest_ && weights.version() <= latest_->version()) return OkStatus();  // not newer
  auto made = MlpPolicy::FromProto(weights, spec_.observation_space.FlatDim(),
                                   static_cast<int>(as.n), true, spec_.action_mask_offset);
  if (!made.ok()) {
    return InvalidArgumentError("self-play opponent v" + std::to_string(weights.version()) + ": " +
                                made.status().message());
  }
  latest_ = std::make_shared<const MlpPolicy>(std::move(*made));
  const uint64_t v = weights.version();
  if (!last_joined_ || v >= *last_joined_ + static_cast<uint64_t>(config_.snapshot_every)) {
    frozen_.push_back(latest_);
    last_joined_ = v;
    while (static_cast<int>(frozen_.size()) > config_.pool_size) frozen_.pop_front();
  }
  return OkStatus();
}

std::vector<uint64_t> OpponentPool::versions() const {
  std::vector<uint64_t> out;
  for (const auto& p : frozen_) out.push_back(p->version());
  return out;
}

std::optional<uint64_t> OpponentPool::latest_version() const {
  if (!latest_) return std::nullopt;
  return latest_->version();
}

std::shared_ptr<const MlpPolicy> OpponentPool::Draw(std::mt19937_64& rng) const {
  if (!latest_) return nullptr;
  std::bernoulli_distribution take_latest(config_.latest_prob);
  if (frozen_.empty() || take_latest(rng)) return latest_;
  std::uniform_int_distribution<size_t> pick(0, frozen_.size() - 1);
  return frozen_[pick(rng)];
}

int SelfPlaySeats::Seat::Move(const OpponentPool& pool, std::span<const float> obs, bool new_game) {
  if (new_game) {
    std::bernoulli_distribution builtin_game(pool.config().builtin_prob);
    builtin = builtin_game(rng);
    if (builtin) ++games[kBuiltin];
    std::bernoulli_distribution greedy_game(pool.config().greedy_prob);
    greedy = greedy_game(rng);
  }
  if (builtin) return -1;  // the env's own opponent plays this game
  if (new_game || !has) {
    std::shared_ptr<const MlpPolicy> drawn = pool.Draw(rng);
    if (!drawn) return -1;  // no weights yet: the env's built-in opponent moves
    policy = *drawn;
    has = true;
    ++games[policy.version()];
    greedy_games += greedy ? 1 : 0;
  }
  float action = 0.0f, logprob = 0.0f, value = 0.0f;
  if (greedy) {
    policy.ActGreedy(obs, 1, std::span<float>(&action, 1));
  } else {
    policy.Act(obs, 1, rng, std::span<float>(&action, 1), std::span<float>(&logprob, 1),
               std::span<float>(&value, 1));
  }
  return static_cast<int>(action);
}

StatusOr<std::unique_ptr<SelfPlaySeats>> SelfPlaySeats::Install(envs::VectorEnv& vec,
                                                                const OpponentPool& pool,
                                                                uint64_t seed) {
  auto seats = std::unique_ptr<SelfPlaySeats>(new SelfPlaySeats());
  for (int i = 0; i < vec.num_envs(); ++i) {
    auto* seat_env = dynamic_cast<envs::OpponentSeat*>(&vec.env(i));
    if (seat_env == nullptr) {
      return FailedPreconditionError("selfplay.enabled: " + vec.spec().id +
                                     " has no opponent seat (self-play needs a two-player env "
                                     "such as TicTacToe-v0)");
    }
    auto seat = std::make_unique<Seat>();
    seat->rng.seed(seed + static_cast<uint64_t>(i));
    Seat* s = seat.get();
    seat_env->SetOpponent(
        [s, &pool](std::span<const float> obs, bool new_game) { return s->Move(pool, obs, new_game); });
    seats->seats_.push_back(std::move(seat));
  }
  return seats;
}

int64_t SelfPlaySeats::GreedyGames() const {
  int64_t n = 0;
  for (const auto& s : seats_) n += s->greedy_games;
  return n;
}

std::map<uint64_t, int64_t> SelfPlaySeats::GamesByVersion() const {
  std::map<uint64_t, int64_t> out;
  for (const auto& s : seats_) {
    for (const auto& [v, n] : s->games) out[v] += n;
  }
  return out;
}

}  // namespace fleet::actor
