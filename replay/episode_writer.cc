#include "replay/episode_writer.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <type_traits>

#include "replay/h5.h"
#include "replay/manifest.h"

namespace fleet::replay {

// The open shard: its file and one growing dataset per column of its layout.
struct EpisodeWriter::Impl {
  h5::Id file;
  std::map<std::string, h5::GrowingDataset> steps, episodes;
};

namespace {

// Creates a growing dataset for every column of `Columns` the layout has.
template <class Columns>
Status CreateColumns(hid_t file, const ShardLayout& layout, int deflate,
                     std::map<std::string, h5::GrowingDataset>& out) {
  Status status = OkStatus();
  Columns::ForEachColumn([&](const ColumnInfo& c, auto member) {
    if (!status.ok() || !layout.Allows(c)) return;
    using T = typename std::remove_reference_t<decltype(std::declval<Columns&>().*member)>::value_type;
    auto d = h5::GrowingDataset::Create(file, c.name, h5::NativeType<T>(), layout.Cols(c), deflate);
    if (!d.ok()) {
      status = d.status();
      return;
    }
    out.emplace(c.name, std::move(*d));
  });
  return status;
}

// Appends `rows` rows of every column of `data` to its dataset.
template <class Columns>
Status AppendColumns(const Columns& data, uint64_t rows, const ShardLayout& layout,
                     std::map<std::string, h5::GrowingDataset>& datasets) {
  Status status = OkStatus();
  Columns::ForEachColumn([&](const ColumnInfo& c, auto member) {
    if (!status.ok() || !layout.Allows(c)) return;
    auto it = datasets.find(c.name);
    if (it == datasets.end()) {
      status = InternalError(std::string("no dataset for column '") + c.name + "'");
      return;
    }
    const auto& values = data.*member;
    if (values.size() != rows * std::max<uint64_t>(1, it->second.cols())) {
      status = InternalError(std::string("column '") + c.name + "' has " +
                             std::to_string(values.size()) + " values for " +
                             std::to_string(rows) + " rows");
      return;
    }
    status = it->second.Append(values.data(), rows);
  });
  return status;
}

}  // namespace

EpisodeWriter::EpisodeWriter(EpisodeWriterOptions options)
    : options_(std::move(options)),
      steps_written_(options_.steps_before),
      episodes_written_(options_.episodes_before),
      sealed_steps_(options_.steps_before),
      sealed_episodes_(options_.episodes_before),
      shard_index_(options_.first_shard) {
  const auto& opt = options_.optional_columns;
  record_logprob_ = std::find(opt.begin(), opt.end(), kLogprob.name) != opt.end();
  record_value_ = std::find(opt.begin(), opt.end(), kValue.name) != opt.end();
}

ShardLayout EpisodeWriter::layout() const {
  return {kDatasetFormat, options_.obs_dim, options_.action_dim, options_.optional_columns};
}

std::string EpisodeWriter::ShardPath(int index) const {
  char name[32];
  std::snprintf(name, sizeof(name), "/shard-%05d.h5", index);
  return options_.dir + name;
}

EpisodeWriter::~EpisodeWriter() { (void)Close(CloseMode::kDropOpen); }

StatusOr<std::unique_ptr<EpisodeWriter>> EpisodeWriter::Create(const EpisodeWriterOptions& o) {
  FLEET_RETURN_IF_ERROR(CheckOptionalColumns(o.optional_columns));
  std::unique_ptr<EpisodeWriter> w(new EpisodeWriter(o));
  FLEET_RETURN_IF_ERROR(w->OpenShard());
  return w;
}

Status EpisodeWriter::OpenShard() {
  auto impl = std::make_unique<Impl>();
  FLEET_ASSIGN_OR_RETURN(impl->file, h5::CreateFile(ShardPath(shard_index_) + ".tmp"));
  const ShardLayout l = layout();
  FLEET_RETURN_IF_ERROR(
      CreateColumns<StepColumns>(impl->file.get(), l, options_.compression, impl->steps));
  FLEET_RETURN_IF_ERROR(
      CreateColumns<EpisodeColumns>(impl->file.get(), l, options_.compression, impl->episodes));
  impl_ = std::move(impl);
  shard_steps_ = 0;
  shard_episodes_ = 0;
  return OkStatus();
}

void EpisodeWriter::EndEpisode(OpenEpisode& ep, uint32_t actor, uint32_t env,
                               const float* final_obs, bool cut) {
  if (options_.max_episodes > 0 && episodes_written() >= options_.max_episodes) {
    ++episodes_over_limit_;
    steps_over_limit_ += ep.steps.size();
    ep.steps.Clear();
    ep.last_next_obs.clear();
    return;
  }
  double ret = 0.0;
  for (float r : ep.steps.rewards) ret += r;
  EpisodeColumns& x = pending_index_;
  x.start.push_back(shard_steps_ + pending_.size());
  x.length.push_back(ep.steps.size());
  x.episode_return.push_back(ret);
  x.actor_id.push_back(actor);
  x.env_index.push_back(env);
  x.cut.push_back(cut ? 1 : 0);
  x.seed.push_back(ep.seed);
  const int D = options_.obs_dim;
  if (final_obs != nullptr) {
    x.final_observation.insert(x.final_observation.end(), final_obs, final_obs + D);
  } else {
    x.final_observation.resize(x.final_observation.size() + D, 0.0f);
  }
  pending_.Append(ep.steps);
  ep.steps.Clear();
  ep.last_next_obs.clear();
}

Status EpisodeWriter::Add(const proto::TrajectoryChunk& c) {
  if (closed_) return FailedPreconditionError("episode writer is closed");
  const int T = c.num_steps(), N = c.num_envs(), D = c.obs_dim(), A = c.action_dim();
  if ((record_logprob_ && c.logprobs_size() != T * N) || (record_value_ && c.values_size() != T * N)) {
    return InvalidArgumentError("the chunk lacks logprobs or values this dataset records");
  }
  // final observations by flat step index.
  std::map<uint32_t, int> final_at;
  for (int k = 0; k < c.final_indices_size(); ++k) final_at[c.final_indices(k)] = k;
  for (int e = 0; e < N; ++e) {
    OpenEpisode& ep = open_[{c.actor_id(), static_cast<uint32_t>(e)}];
    ep.seed = c.env_seed_base() + static_cast<uint64_t>(e);
    StepColumns& s = ep.steps;
    for (int t = 0; t < T; ++t) {
      const int i = t * N + e;
      s.observations.insert(s.observations.end(), c.observations().begin() + i * D,
                            c.observations().begin() + (i + 1) * D);
      if (A == 0) {
        s.discrete_actions.push_back(c.discrete_actions(i));
      } else {
        s.continuous_actions.insert(s.continuous_actions.end(),
                                    c.continuous_actions().begin() + i * A,
                                    c.continuous_actions().begin() + (i + 1) * A);
      }
      s.rewards.push_back(c.rewards(i));
      s.terminals.push_back(static_cast<uint8_t>(c.terminated()[i]));
      s.timeouts.push_back(static_cast<uint8_t>(c.truncated()[i]));
      s.policy_version.push_back(c.policy_version());
      s.actor_id.push_back(c.actor_id());
      s.chunk_sequence.push_back(c.sequence());
      s.actor_epoch.push_back(c.actor_epoch());
      if (record_logprob_) s.logprob.push_back(c.logprobs(i));
      if (record_value_) s.value.push_back(c.values(i));
      if (c.terminated()[i] || c.truncated()[i]) {
        auto it = final_at.find(static_cast<uint32_t>(i));
        const float* fo = it == final_at.end() ? nullptr : c.final_observations().data() + it->second * D;
        // grouped seeding: each episode's own reset seed
        if (it != final_at.end() && c.episode_seeds_size() > 0) ep.seed = c.episode_seeds(it->second);
        EndEpisode(ep, c.actor_id(), static_cast<uint32_t>(e), fo, /*cut=*/false);
        // the next episode's own seed is reported when it ends; until then (and if it is
        // cut at close) it carries the env's stream seed.
        ep.seed = c.env_seed_base() + static_cast<uint64_t>(e);
        if (pending_.size() >= options_.flush_steps) FLEET_RETURN_IF_ERROR(Flush());
      }
    }
    if (s.size() > 0) {
      ep.last_next_obs.assign(c.next_observations().begin() + e * D,
                              c.next_observations().begin() + (e + 1) * D);
    }
  }
  if (options_.max_shard_steps > 0 &&
      shard_steps_ + pending_.size() >= options_.max_shard_steps) {
    FLEET_RETURN_IF_ERROR(Seal());
  }
  return OkStatus();
}

Status EpisodeWriter::AddEpisode(const StepColumns& steps, uint32_t actor, uint32_t env,
                                 uint64_t seed, std::span<const float> final_obs, bool cut) {
  if (closed_) return FailedPreconditionError("episode writer is closed");
  const int64_t n = steps.size();
  if (n == 0) return InvalidArgumentError("an episode without steps");
  const ShardLayout l = layout();
  Status status = OkStatus();
  StepColumns::ForEachColumn([&](const ColumnInfo& c, auto member) {
    const size_t want = l.Allows(c) ? static_cast<size_t>(n) * std::max<uint64_t>(1, l.Cols(c)) : 0;
    if (status.ok() && (steps.*member).size() != want) {
      status = InvalidArgumentError(std::string("episode column '") + c.name + "' has " +
                                    std::to_string((steps.*member).size()) + " values, expected " +
                                    std::to_string(want));
    }
  });
  FLEET_RETURN_IF_ERROR(status);
  if (!final_obs.empty() && final_obs.size() != static_cast<size_t>(options_.obs_dim)) {
    return InvalidArgumentError("final observation of the wrong size");
  }
  OpenEpisode ep;
  ep.steps = steps;
  ep.seed = seed;
  EndEpisode(ep, actor, env, final_obs.empty() ? nullptr : final_obs.data(), cut);
  if (pending_.size() >= options_.flush_steps) FLEET_RETURN_IF_ERROR(Flush());
  if (options_.max_shard_steps > 0 &&
      shard_steps_ + pending_.size() >= options_.max_shard_steps) {
    FLEET_RETURN_IF_ERROR(Seal());
  }
  return OkStatus();
}

Status EpisodeWriter::CutOpenEpisodes(std::optional<uint32_t> actor) {
  for (auto& [key, ep] : open_) {
    if (ep.steps.size() == 0 || (actor && key.first != *actor)) continue;
    ep.steps.timeouts.back() = 1;
    const std::vector<float> fo = ep.last_next_obs;
    EndEpisode(ep, key.first, key.second,
               fo.size() == static_cast<size_t>(options_.obs_dim) ? fo.data() : nullptr,
               /*cut=*/true);
  }
  std::erase_if(open_, [](const auto& kv) { return kv.second.steps.size() == 0; });
  if (pending_.size() >= options_.flush_steps) FLEET_RETURN_IF_ERROR(Flush());
  return OkStatus();
}

uint64_t EpisodeWriter::open_steps() const {
  uint64_t n = 0;
  for (const auto& [key, ep] : open_) n += ep.steps.size();
  return n;
}

Status EpisodeWriter::Flush() {
  if (closed_) return FailedPreconditionError("episode writer is closed");
  const uint64_t n = pending_.size(), e = pending_index_.size();
  if (n == 0) return OkStatus();
  if (!impl_) FLEET_RETURN_IF_ERROR(OpenShard());  // the shard after a seal, opened lazily
  const ShardLayout l = layout();
  FLEET_RETURN_IF_ERROR(AppendColumns(pending_, n, l, impl_->steps));
  FLEET_RETURN_IF_ERROR(AppendColumns(pending_index_, e, l, impl_->episodes));
  steps_written_ += n;
  episodes_written_ += e;
  shard_steps_ += static_cast<int64_t>(n);
  shard_episodes_ += static_cast<int64_t>(e);
  pending_.Clear();
  pending_index_.Clear();
  return OkStatus();
}

Status EpisodeWriter::Seal() {
  FLEET_RETURN_IF_ERROR(Flush());
  if (!impl_ || shard_steps_ == 0) return OkStatus();
  impl_->steps.clear();
  impl_->episodes.clear();
  FLEET_RETURN_IF_ERROR(impl_->file.Close());  // an error: the data is not on disk
  impl_.reset();
  FLEET_RETURN_IF_ERROR(WriteManifest());
  const std::string path = ShardPath(shard_index_);
  sealed_steps_ += shard_steps_;
  sealed_episodes_ += shard_episodes_;
  ++shard_index_;
  ++shards_sealed_;
  shard_steps_ = 0;
  shard_episodes_ = 0;
  if (options_.on_seal) FLEET_RETURN_IF_ERROR(options_.on_seal(shard_index_));
  if (std::rename((path + ".tmp").c_str(), path.c_str()) != 0) {
    return UnavailableError("cannot rename '" + path + ".tmp' to its final name");
  }
  return OkStatus();
}

Status EpisodeWriter::WriteManifest() {
  Manifest m;
  m.env_id = options_.env_id;
  m.obs_dim = options_.obs_dim;
  m.action_dim = options_.action_dim;
  m.observation_space = options_.observation_space;
  m.action_space = options_.action_space;
  m.shard_index = shard_index_;
  m.total_steps = shard_steps_;
  m.total_episodes = shard_episodes_;
  m.optional_columns = options_.optional_columns;
  m.config_yaml = options_.config_yaml;
  m.behaviour = options_.behaviour;
  // named for the final shard file, which gets its name after the manifest exists.
  return m.WriteFor(ShardPath(shard_index_));
}

void EpisodeWriter::SnapshotOpen(proto::WalCheckpoint& out) const {
  for (const auto& [key, ep] : open_) {
    const StepColumns& s = ep.steps;
    if (s.size() == 0) continue;
    proto::OpenEpisode* o = out.add_open_episodes();
    o->set_actor_id(key.first);
    o->set_env_index(key.second);
    o->mutable_observations()->Add(s.observations.begin(), s.observations.end());
    o->mutable_discrete_actions()->Add(s.discrete_actions.begin(), s.discrete_actions.end());
    o->mutable_continuous_actions()->Add(s.continuous_actions.begin(), s.continuous_actions.end());
    o->mutable_rewards()->Add(s.rewards.begin(), s.rewards.end());
    o->mutable_logprobs()->Add(s.logprob.begin(), s.logprob.end());
    o->mutable_values()->Add(s.value.begin(), s.value.end());
    o->mutable_policy_versions()->Add(s.policy_version.begin(), s.policy_version.end());
    o->mutable_chunk_sequences()->Add(s.chunk_sequence.begin(), s.chunk_sequence.end());
    o->mutable_last_next_observation()->Add(ep.last_next_obs.begin(), ep.last_next_obs.end());
    o->set_env_seed(ep.seed);
    if (!s.actor_epoch.empty()) o->set_actor_epoch(s.actor_epoch.front());
  }
}

void EpisodeWriter::RestoreOpen(const proto::WalCheckpoint& cp) {
  open_.clear();
  for (const auto& o : cp.open_episodes()) {
    OpenEpisode& ep = open_[{o.actor_id(), o.env_index()}];
    StepColumns& s = ep.steps;
    s.observations.assign(o.observations().begin(), o.observations().end());
    s.discrete_actions.assign(o.discrete_actions().begin(), o.discrete_actions().end());
    s.continuous_actions.assign(o.continuous_actions().begin(), o.continuous_actions().end());
    s.rewards.assign(o.rewards().begin(), o.rewards().end());
    s.logprob.assign(o.logprobs().begin(), o.logprobs().end());
    s.value.assign(o.values().begin(), o.values().end());
    s.policy_version.assign(o.policy_versions().begin(), o.policy_versions().end());
    s.chunk_sequence.assign(o.chunk_sequences().begin(), o.chunk_sequences().end());
    s.terminals.assign(s.rewards.size(), 0);
    s.timeouts.assign(s.rewards.size(), 0);
    s.actor_id.assign(s.rewards.size(), o.actor_id());
    s.actor_epoch.assign(s.rewards.size(), o.actor_epoch());
    ep.last_next_obs.assign(o.last_next_observation().begin(), o.last_next_observation().end());
    ep.seed = o.env_seed();
  }
}

void EpisodeWriter::Abandon() {
  closed_ = true;
  impl_.reset();
}

Status EpisodeWriter::Close(CloseMode mode) {
  if (closed_) return OkStatus();
  Status st = OkStatus();
  if (mode == CloseMode::kCutOpen) st = CutOpenEpisodes();
  if (st.ok()) st = Seal();
  closed_ = true;
  if (impl_) {
    // an open shard with nothing in it: remove the empty .tmp file.
    impl_.reset();
    std::error_code ec;
    std::filesystem::remove(ShardPath(shard_index_) + ".tmp", ec);
  }
  return st;
}

}  // namespace fleet::replay
