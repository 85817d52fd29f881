#include "learner/episodes.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

namespace fleet::learner {

double Episode::Return() const {
  double sum = 0.0;
  for (float r : rewards) sum += r;
  return sum;
}

EpisodeAssembler::EpisodeAssembler(int obs_dim, int action_dim)
    : obs_dim_(obs_dim), action_dim_(action_dim) {}

int64_t EpisodeAssembler::open_steps() const {
  int64_t n = 0;
  for (const auto& [id, s] : streams_) {
    for (const Episode& e : s.open) n += e.length();
  }
  return n;
}

StatusOr<std::vector<Episode>> EpisodeAssembler::Add(const proto::TrajectoryChunk& c) {
  const int64_t T = c.num_steps(), N = c.num_envs(), D = obs_dim_, A = action_dim_;
  const std::string what = "chunk " + std::to_string(c.sequence()) + " of actor " +
                           std::to_string(c.actor_id());
  if (N < 1 || T < 1) return InvalidArgumentError(what + " has no steps");
  if (static_cast<int>(c.obs_dim()) != obs_dim_ || static_cast<int>(c.action_dim()) != action_dim_) {
    return InvalidArgumentError(what + " has obs_dim " + std::to_string(c.obs_dim()) +
                                " and action_dim " + std::to_string(c.action_dim()) +
                                ", the learner's env has " + std::to_string(obs_dim_) + " and " +
                                std::to_string(action_dim_));
  }
  const int64_t steps = T * N;
  const bool shapes_ok =
      c.observations_size() == steps * D && c.rewards_size() == steps &&
      static_cast<int64_t>(c.terminated().size()) == steps &&
      static_cast<int64_t>(c.truncated().size()) == steps &&
      (A == 0 ? c.discrete_actions_size() == steps : c.continuous_actions_size() == steps * A);
  if (!shapes_ok) return InvalidArgumentError(what + " has arrays of the wrong lengths");
  if (c.logprobs_size() != steps) {
    return InvalidArgumentError(what + " lacks the behaviour policy's log-probs");
  }
  if (c.episode_seeds_size() != 0 && c.episode_seeds_size() != c.final_indices_size()) {
    return InvalidArgumentError(what + " has " + std::to_string(c.episode_seeds_size()) +
                                " episode seeds for " + std::to_string(c.final_indices_size()) +
                                " episode ends");
  }

  Stream& s = streams_[c.actor_id()];
  const bool fresh = s.open.empty() || s.epoch != c.actor_epoch();
  if (!fresh && static_cast<int64_t>(s.open.size()) != N) {
    return InvalidArgumentError(what + " has " + std::to_string(N) + " envs, its earlier chunks " +
                                std::to_string(s.open.size()));
  }
  if (fresh || c.sequence() != s.next_sequence) {
    // a new stream (or a new process of the actor), or a gap: what is open is incomplete.
    for (const Episode& e : s.open) {
      if (e.length() > 0) {
        ++dropped_episodes_;
        dropped_steps_ += e.length();
      }
    }
    s.epoch = c.actor_epoch();
    s.open.assign(N, Episode{});
    // the actor reset every env before its chunk 0; anything later starts mid-episode.
    s.whole.assign(N, fresh && c.sequence() == 0 ? 1 : 0);
  }
  s.next_sequence = c.sequence() + 1;

  std::map<uint32_t, int> final_at;
  for (int k = 0; k < c.final_indices_size(); ++k) final_at[c.final_indices(k)] = k;
  std::vector<Episode> done;
  for (int64_t t = 0; t < T; ++t) {
    for (int64_t e = 0; e < N; ++e) {
      const int64_t i = t * N + e;
      Episode& ep = s.open[e];
      ep.observations.insert(ep.observations.end(), c.observations().begin() + i * D,
                             c.observations().begin() + (i + 1) * D);
      if (A == 0) {
        ep.discrete_actions.push_back(c.discrete_actions(static_cast<int>(i)));
      } else {
        ep.continuous_actions.insert(ep.continuous_actions.end(),
                                     c.continuous_actions().begin() + i * A,
                                     c.continuous_actions().begin() + (i + 1) * A);
      }
      ep.rewards.push_back(c.rewards(static_cast<int>(i)));
      ep.logprobs.push_back(c.logprobs(static_cast<int>(i)));
      const bool term = c.terminated()[i] != 0, trunc = c.truncated()[i] != 0;
      if (!term && !trunc) continue;
      if (s.whole[e]) {
        ep.actor_id = c.actor_id();
        ep.actor_epoch = c.actor_epoch();
        ep.env = static_cast<uint32_t>(e);
        ep.terminated = term;
        if (auto it = final_at.find(static_cast<uint32_t>(i));
            it != final_at.end() && c.episode_seeds_size() > 0) {
          ep.seed = c.episode_seeds(it->second);
        }
        done.push_back(std::move(ep));
      } else {
        ++dropped_episodes_;
        dropped_steps_ += ep.length();
      }
      ep = Episode{};
      s.whole[e] = 1;
    }
  }
  return done;
}

std::vector<float> DiscountedReturns(std::span<const float> rewards, double gamma) {
  std::vector<float> out(rewards.size());
  double g = 0.0;
  for (size_t k = rewards.size(); k-- > 0;) {
    g = rewards[k] + gamma * g;
    out[k] = static_cast<float>(g);
  }
  return out;
}

SampleMoments Moments(std::span<const double> x) {
  SampleMoments m;
  const size_t n = x.size();
  if (n == 0) return m;
  m.mean = std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(n);
  if (n < 2) return m;
  double ss = 0.0;
  for (double v : x) ss += (v - m.mean) * (v - m.mean);
  m.std = std::sqrt(ss / static_cast<double>(n - 1));
  return m;
}

std::vector<float> GroupAdvantages(std::span<const double> returns, double eps) {
  std::vector<float> out(returns.size(), 0.0f);
  const SampleMoments m = Moments(returns);
  if (m.std == 0.0) return out;
  for (size_t i = 0; i < returns.size(); ++i) {
    out[i] = static_cast<float>((returns[i] - m.mean) / (m.std + eps));
  }
  return out;
}

std::vector<std::vector<float>> ProcessAdvantages(const std::vector<std::span<const float>>& rewards,
                                                  double eps) {
  std::vector<std::vector<float>> out;
  std::vector<double> all;
  for (const auto& r : rewards) {
    out.emplace_back(r.size(), 0.0f);
    all.insert(all.end(), r.begin(), r.end());
  }
  const SampleMoments m = Moments(all);
  if (m.std == 0.0) return out;
  for (size_t e = 0; e < rewards.size(); ++e) {
    double to_go = 0.0;
    for (size_t k = rewards[e].size(); k-- > 0;) {
      to_go += (rewards[e][k] - m.mean) / (m.std + eps);
      out[e][k] = static_cast<float>(to_go);
    }
  }
  return out;
}

EpisodeGrouper::EpisodeGrouper(int group_size, int max_wait)
    : group_size_(group_size), max_wait_(max_wait) {}

Status EpisodeGrouper::Add(std::vector<Episode> episodes) {
  for (const Episode& e : episodes) {
    if (!e.seed) {
      return InvalidArgumentError(
          "an episode of actor " + std::to_string(e.actor_id) +
          " has no seed: a group-relative update needs grouped seeding (env.group_size > 1)");
    }
  }
  for (Episode& e : episodes) {
    Key key{e.actor_id, e.actor_epoch, e.env / static_cast<uint32_t>(group_size_), *e.seed};
    auto [it, inserted] = pending_.try_emplace(key);
    if (inserted) it->second.order = next_order_++;
    it->second.episodes.push_back(std::move(e));
  }
  return OkStatus();
}

std::vector<std::vector<Episode>> EpisodeGrouper::Take() {
  std::vector<std::pair<int64_t, std::vector<Episode>>> ready;
  for (auto it = pending_.begin(); it != pending_.end();) {
    Pending& p = it->second;
    if (static_cast<int>(p.episodes.size()) >= group_size_) {
      ready.emplace_back(p.order, std::move(p.episodes));
      it = pending_.erase(it);
    } else if (++p.waited > max_wait_) {
      ++dropped_groups_;
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
  std::sort(ready.begin(), ready.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::vector<Episode>> out;
  out.reserve(ready.size());
  for (auto& [order, g] : ready) out.push_back(std::move(g));
  return out;
}

int64_t EpisodeGrouper::waiting_episodes() const {
  int64_t n = 0;
  for (const auto& [k, p] : pending_) n += static_cast<int64_t>(p.episodes.size());
  return n;
}

}  // namespace fleet::learner
