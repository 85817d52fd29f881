#include "replay/episode_writer.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <hdf5.h>

#include "common/json.h"

namespace fleet::replay {
namespace {

// owns an HDF5 id and closes it with the matching H5*close.
class H5Handle {
 public:
  H5Handle() = default;
  H5Handle(hid_t id, herr_t (*closer)(hid_t)) : id_(id), closer_(closer) {}
  H5Handle(H5Handle&& o) noexcept : id_(o.id_), closer_(o.closer_) { o.id_ = -1; }
  H5Handle& operator=(H5Handle&& o) noexcept {
    std::swap(id_, o.id_);
    std::swap(closer_, o.closer_);
    return *this;
  }
  ~H5Handle() {
    if (id_ >= 0) closer_(id_);
  }
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }

 private:
  hid_t id_ = -1;
  herr_t (*closer_)(hid_t) = nullptr;
};

// a 1-d or 2-d dataset that grows along its first axis.
struct GrowingDataset {
  H5Handle dset;
  hid_t type = -1;
  hsize_t cols = 0;  // 0: 1-d
  hsize_t rows = 0;
};

StatusOr<GrowingDataset> CreateDataset(hid_t loc, const std::string& name, hid_t type,
                                       hsize_t cols, int deflate) {
  const int rank = cols ? 2 : 1;
  hsize_t dims[2] = {0, cols}, maxdims[2] = {H5S_UNLIMITED, cols};
  hsize_t chunk[2] = {cols ? std::max<hsize_t>(1, 16384 / cols) : 16384, cols};
  H5Handle space(H5Screate_simple(rank, dims, maxdims), H5Sclose);
  H5Handle plist(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5Pset_chunk(plist.get(), rank, chunk);
  if (deflate > 0) {
    H5Pset_shuffle(plist.get());
    H5Pset_deflate(plist.get(), static_cast<unsigned>(deflate));
  }
  H5Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  hid_t id = H5Dcreate2(loc, name.c_str(), type, space.get(), lcpl.get(), plist.get(), H5P_DEFAULT);
  if (id < 0) return InternalError("cannot create HDF5 dataset '" + name + "'");
  GrowingDataset d;
  d.dset = H5Handle(id, H5Dclose);
  d.type = type;
  d.cols = cols;
  return d;
}

Status Append(GrowingDataset& d, const void* data, hsize_t n) {
  if (n == 0) return OkStatus();
  const int rank = d.cols ? 2 : 1;
  hsize_t new_dims[2] = {d.rows + n, d.cols};
  if (H5Dset_extent(d.dset.get(), new_dims) < 0) return InternalError("HDF5 extend failed");
  H5Handle file_space(H5Dget_space(d.dset.get()), H5Sclose);
  hsize_t start[2] = {d.rows, 0}, count[2] = {n, d.cols};
  H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr);
  H5Handle mem_space(H5Screate_simple(rank, count, nullptr), H5Sclose);
  if (H5Dwrite(d.dset.get(), d.type, mem_space.get(), file_space.get(), H5P_DEFAULT, data) < 0) {
    return InternalError("HDF5 write failed");
  }
  d.rows += n;
  return OkStatus();
}

}  // namespace

struct EpisodeWriter::Impl {
  H5Handle file;
  GrowingDataset obs, actions, rewards, terminals, timeouts, version, logprob, value, actor, chunk_seq;
  GrowingDataset ep_start, ep_length, ep_return, ep_actor, ep_env, ep_cut, ep_final_obs, ep_seed;
};

void EpisodeWriter::Columns::Append(const Columns& o) {
  obs.insert(obs.end(), o.obs.begin(), o.obs.end());
  cont_actions.insert(cont_actions.end(), o.cont_actions.begin(), o.cont_actions.end());
  disc_actions.insert(disc_actions.end(), o.disc_actions.begin(), o.disc_actions.end());
  rewards.insert(rewards.end(), o.rewards.begin(), o.rewards.end());
  logprob.insert(logprob.end(), o.logprob.begin(), o.logprob.end());
  value.insert(value.end(), o.value.begin(), o.value.end());
  terminals.insert(terminals.end(), o.terminals.begin(), o.terminals.end());
  timeouts.insert(timeouts.end(), o.timeouts.begin(), o.timeouts.end());
  version.insert(version.end(), o.version.begin(), o.version.end());
  chunk_seq.insert(chunk_seq.end(), o.chunk_seq.begin(), o.chunk_seq.end());
  actor.insert(actor.end(), o.actor.begin(), o.actor.end());
}

void EpisodeWriter::Columns::Clear() {
  // keep the capacity: the same stream's next episode reuses it.
  obs.clear();
  cont_actions.clear();
  disc_actions.clear();
  rewards.clear();
  logprob.clear();
  value.clear();
  terminals.clear();
  timeouts.clear();
  version.clear();
  chunk_seq.clear();
  actor.clear();
  last_next_obs.clear();
}

EpisodeWriter::EpisodeWriter(EpisodeWriterOptions options)
    : options_(std::move(options)),
      steps_written_(options_.steps_before),
      episodes_written_(options_.episodes_before),
      sealed_steps_(options_.steps_before),
      sealed_episodes_(options_.episodes_before),
      shard_index_(options_.first_shard) {}

std::string EpisodeWriter::ShardPath(int index) const {
  char name[32];
  std::snprintf(name, sizeof(name), "/shard-%05d.h5", index);
  return options_.dir + name;
}

EpisodeWriter::~EpisodeWriter() { (void)Close(CloseMode::kDropOpen); }

StatusOr<std::unique_ptr<EpisodeWriter>> EpisodeWriter::Create(const EpisodeWriterOptions& o) {
  std::unique_ptr<EpisodeWriter> w(new EpisodeWriter(o));
  FLEET_RETURN_IF_ERROR(w->OpenShard());
  return w;
}

Status EpisodeWriter::OpenShard() {
  const std::string path = ShardPath(shard_index_) + ".tmp";
  hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (f < 0) return UnavailableError("cannot create HDF5 file '" + path + "'");
  auto impl = std::make_unique<Impl>();
  Impl& m = *impl;
  m.file = H5Handle(f, H5Fclose);
  const hsize_t d = options_.obs_dim, a = options_.action_dim;
  const int z = options_.compression;
  FLEET_ASSIGN_OR_RETURN(m.obs, CreateDataset(f, "observations", H5T_NATIVE_FLOAT, d, z));
  if (options_.action_dim == 0) {
    FLEET_ASSIGN_OR_RETURN(m.actions, CreateDataset(f, "actions", H5T_NATIVE_INT64, 0, z));
  } else {
    FLEET_ASSIGN_OR_RETURN(m.actions, CreateDataset(f, "actions", H5T_NATIVE_FLOAT, a, z));
  }
  FLEET_ASSIGN_OR_RETURN(m.rewards, CreateDataset(f, "rewards", H5T_NATIVE_FLOAT, 0, z));
  FLEET_ASSIGN_OR_RETURN(m.terminals, CreateDataset(f, "terminals", H5T_NATIVE_UINT8, 0, z));
  FLEET_ASSIGN_OR_RETURN(m.timeouts, CreateDataset(f, "timeouts", H5T_NATIVE_UINT8, 0, z));
  FLEET_ASSIGN_OR_RETURN(m.version, CreateDataset(f, "infos/policy_version", H5T_NATIVE_UINT64, 0, z));
  FLEET_ASSIGN_OR_RETURN(m.logprob, CreateDataset(f, "infos/logprob", H5T_NATIVE_FLOAT, 0, z));
  FLEET_ASSIGN_OR_RETURN(m.value, CreateDataset(f, "infos/value", H5T_NATIVE_FLOAT, 0, z));
  FLEET_ASSIGN_OR_RETURN(m.actor, CreateDataset(f, "infos/actor_id", H5T_NATIVE_UINT32, 0, z));
  FLEET_ASSIGN_OR_RETURN(m.chunk_seq, CreateDataset(f, "infos/chunk_sequence", H5T_NATIVE_UINT64, 0, z));
  FLEET_ASSIGN_OR_RETURN(m.ep_start, CreateDataset(f, "episodes/start", H5T_NATIVE_INT64, 0, z));
  FLEET_ASSIGN_OR_RETURN(m.ep_length, CreateDataset(f, "episodes/length", H5T_NATIVE_INT64, 0, z));
  FLEET_ASSIGN_OR_RETURN(m.ep_return, CreateDataset(f, "episodes/return", H5T_NATIVE_DOUBLE, 0, z));
  FLEET_ASSIGN_OR_RETURN(m.ep_actor, CreateDataset(f, "episodes/actor_id", H5T_NATIVE_UINT32, 0, z));
  FLEET_ASSIGN_OR_RETURN(m.ep_env, CreateDataset(f, "episodes/env_index", H5T_NATIVE_UINT32, 0, z));
  FLEET_ASSIGN_OR_RETURN(m.ep_cut, CreateDataset(f, "episodes/cut", H5T_NATIVE_UINT8, 0, z));
  FLEET_ASSIGN_OR_RETURN(m.ep_seed, CreateDataset(f, "episodes/seed", H5T_NATIVE_UINT64, 0, z));
  FLEET_ASSIGN_OR_RETURN(m.ep_final_obs, CreateDataset(f, "episodes/final_observation", H5T_NATIVE_FLOAT, d, z));
  impl_ = std::move(impl);
  shard_steps_ = 0;
  shard_episodes_ = 0;
  return OkStatus();
}

void EpisodeWriter::EndEpisode(Columns& ep, uint32_t actor, uint32_t env, const float* final_obs,
                               bool cut) {
  double ret = 0.0;
  for (float r : ep.rewards) ret += r;
  ep_start_.push_back(shard_steps_ + pending_.size());
  ep_length_.push_back(ep.size());
  ep_return_.push_back(ret);
  ep_actor_.push_back(actor);
  ep_env_.push_back(env);
  ep_cut_.push_back(cut ? 1 : 0);
  ep_seed_.push_back(ep.seed);
  const int D = options_.obs_dim;
  if (final_obs != nullptr) {
    ep_final_obs_.insert(ep_final_obs_.end(), final_obs, final_obs + D);
  } else {
    ep_final_obs_.resize(ep_final_obs_.size() + D, 0.0f);
  }
  pending_.Append(ep);
  ep.Clear();
}

Status EpisodeWriter::Add(const proto::TrajectoryChunk& c) {
  if (closed_) return FailedPreconditionError("episode writer is closed");
  const int T = c.num_steps(), N = c.num_envs(), D = c.obs_dim(), A = c.action_dim();
  // final observations by flat step index.
  std::map<uint32_t, int> final_at;
  for (int k = 0; k < c.final_indices_size(); ++k) final_at[c.final_indices(k)] = k;
  for (int e = 0; e < N; ++e) {
    Columns& ep = open_[{c.actor_id(), static_cast<uint32_t>(e)}];
    ep.seed = c.env_seed_base() + static_cast<uint64_t>(e);
    for (int t = 0; t < T; ++t) {
      const int i = t * N + e;
      ep.obs.insert(ep.obs.end(), c.observations().begin() + i * D,
                    c.observations().begin() + (i + 1) * D);
      if (A == 0) {
        ep.disc_actions.push_back(c.discrete_actions(i));
      } else {
        ep.cont_actions.insert(ep.cont_actions.end(), c.continuous_actions().begin() + i * A,
                               c.continuous_actions().begin() + (i + 1) * A);
      }
      ep.rewards.push_back(c.rewards(i));
      ep.logprob.push_back(c.logprobs(i));
      ep.value.push_back(c.values(i));
      ep.terminals.push_back(static_cast<uint8_t>(c.terminated()[i]));
      ep.timeouts.push_back(static_cast<uint8_t>(c.truncated()[i]));
      ep.version.push_back(c.policy_version());
      ep.chunk_seq.push_back(c.sequence());
      ep.actor.push_back(c.actor_id());
      if (c.terminated()[i] || c.truncated()[i]) {
        auto it = final_at.find(static_cast<uint32_t>(i));
        const float* fo = it == final_at.end() ? nullptr : c.final_observations().data() + it->second * D;
        EndEpisode(ep, c.actor_id(), static_cast<uint32_t>(e), fo, /*cut=*/false);
        if (pending_.size() >= options_.flush_steps) FLEET_RETURN_IF_ERROR(Flush());
      }
    }
    if (ep.size() > 0) {
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

Status EpisodeWriter::CutOpenEpisodes(std::optional<uint32_t> actor) {
  for (auto& [key, ep] : open_) {
    if (ep.size() == 0 || (actor && key.first != *actor)) continue;
    ep.timeouts.back() = 1;
    std::vector<float> fo = ep.last_next_obs;
    EndEpisode(ep, key.first, key.second, fo.size() == static_cast<size_t>(options_.obs_dim) ? fo.data() : nullptr,
               /*cut=*/true);
  }
  std::erase_if(open_, [](const auto& kv) { return kv.second.size() == 0; });
  if (pending_.size() >= options_.flush_steps) FLEET_RETURN_IF_ERROR(Flush());
  return OkStatus();
}

uint64_t EpisodeWriter::open_steps() const {
  uint64_t n = 0;
  for (const auto& [key, ep] : open_) n += ep.size();
  return n;
}

Status EpisodeWriter::Flush() {
  if (closed_) return FailedPreconditionError("episode writer is closed");
  const hsize_t n = pending_.size(), e = ep_start_.size();
  if (n == 0) return OkStatus();
  if (!impl_) FLEET_RETURN_IF_ERROR(OpenShard());  // the shard after a seal, opened lazily
  Impl& m = *impl_;
  FLEET_RETURN_IF_ERROR(Append(m.obs, pending_.obs.data(), n));
  if (options_.action_dim == 0) {
    FLEET_RETURN_IF_ERROR(Append(m.actions, pending_.disc_actions.data(), n));
  } else {
    FLEET_RETURN_IF_ERROR(Append(m.actions, pending_.cont_actions.data(), n));
  }
  FLEET_RETURN_IF_ERROR(Append(m.rewards, pending_.rewards.data(), n));
  FLEET_RETURN_IF_ERROR(Append(m.terminals, pending_.terminals.data(), n));
  FLEET_RETURN_IF_ERROR(Append(m.timeouts, pending_.timeouts.data(), n));
  FLEET_RETURN_IF_ERROR(Append(m.version, pending_.version.data(), n));
  FLEET_RETURN_IF_ERROR(Append(m.logprob, pending_.logprob.data(), n));
  FLEET_RETURN_IF_ERROR(Append(m.value, pending_.value.data(), n));
  FLEET_RETURN_IF_ERROR(Append(m.actor, pending_.actor.data(), n));
  FLEET_RETURN_IF_ERROR(Append(m.chunk_seq, pending_.chunk_seq.data(), n));
  FLEET_RETURN_IF_ERROR(Append(m.ep_start, ep_start_.data(), e));
  FLEET_RETURN_IF_ERROR(Append(m.ep_length, ep_length_.data(), e));
  FLEET_RETURN_IF_ERROR(Append(m.ep_return, ep_return_.data(), e));
  FLEET_RETURN_IF_ERROR(Append(m.ep_actor, ep_actor_.data(), e));
  FLEET_RETURN_IF_ERROR(Append(m.ep_env, ep_env_.data(), e));
  FLEET_RETURN_IF_ERROR(Append(m.ep_cut, ep_cut_.data(), e));
  FLEET_RETURN_IF_ERROR(Append(m.ep_seed, ep_seed_.data(), e));
  FLEET_RETURN_IF_ERROR(Append(m.ep_final_obs, ep_final_obs_.data(), e));
  steps_written_ += n;
  episodes_written_ += e;
  shard_steps_ += static_cast<int64_t>(n);
  shard_episodes_ += static_cast<int64_t>(e);
  pending_.Clear();
  ep_start_.clear();
  ep_length_.clear();
  ep_return_.clear();
  ep_actor_.clear();
  ep_env_.clear();
  ep_cut_.clear();
  ep_seed_.clear();
  ep_final_obs_.clear();
  return OkStatus();
}

Status EpisodeWriter::Seal() {
  FLEET_RETURN_IF_ERROR(Flush());
  if (!impl_ || shard_steps_ == 0) return OkStatus();
  impl_.reset();  // closes the file
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
  const std::string path = ShardPath(shard_index_) + ".json";
  std::ofstream out(path + ".tmp");
  out << "{\n  \"format\": \"fleet-d4rl\",\n  \"format_version\": 2,\n"
      << "  \"env_id\": \"" << JsonEscape(options_.env_id) << "\",\n"
      << "  \"obs_dim\": " << options_.obs_dim << ",\n"
      << "  \"action_dim\": " << options_.action_dim << ",\n"
      << "  \"discrete_actions\": " << (options_.action_dim == 0 ? "true" : "false") << ",\n"
      << "  \"observation_space\": " << options_.observation_space_json << ",\n"
      << "  \"action_space\": " << options_.action_space_json << ",\n"
      << "  \"shard_index\": " << shard_index_ << ",\n"
      << "  \"total_steps\": " << shard_steps_ << ",\n"
      << "  \"total_episodes\": " << shard_episodes_ << ",\n"
      << "  \"config_yaml\": \"" << JsonEscape(options_.config_yaml) << "\"\n}\n";
  out.close();
  if (!out) return UnavailableError("cannot write manifest '" + path + "'");
  if (std::rename((path + ".tmp").c_str(), path.c_str()) != 0) {
    return UnavailableError("cannot rename manifest into '" + path + "'");
  }
  return OkStatus();
}

void EpisodeWriter::SnapshotOpen(proto::WalCheckpoint& out) const {
  for (const auto& [key, ep] : open_) {
    if (ep.size() == 0) continue;
    proto::OpenEpisode* o = out.add_open_episodes();
    o->set_actor_id(key.first);
    o->set_env_index(key.second);
    o->mutable_observations()->Add(ep.obs.begin(), ep.obs.end());
    o->mutable_discrete_actions()->Add(ep.disc_actions.begin(), ep.disc_actions.end());
    o->mutable_continuous_actions()->Add(ep.cont_actions.begin(), ep.cont_actions.end());
    o->mutable_rewards()->Add(ep.rewards.begin(), ep.rewards.end());
    o->mutable_logprobs()->Add(ep.logprob.begin(), ep.logprob.end());
    o->mutable_values()->Add(ep.value.begin(), ep.value.end());
    o->mutable_policy_versions()->Add(ep.version.begin(), ep.version.end());
    o->mutable_chunk_sequences()->Add(ep.chunk_seq.begin(), ep.chunk_seq.end());
    o->mutable_last_next_observation()->Add(ep.last_next_obs.begin(), ep.last_next_obs.end());
    o->set_env_seed(ep.seed);
  }
}

void EpisodeWriter::RestoreOpen(const proto::WalCheckpoint& cp) {
  open_.clear();
  for (const auto& o : cp.open_episodes()) {
    Columns& ep = open_[{o.actor_id(), o.env_index()}];
    ep.obs.assign(o.observations().begin(), o.observations().end());
    ep.disc_actions.assign(o.discrete_actions().begin(), o.discrete_actions().end());
    ep.cont_actions.assign(o.continuous_actions().begin(), o.continuous_actions().end());
    ep.rewards.assign(o.rewards().begin(), o.rewards().end());
    ep.logprob.assign(o.logprobs().begin(), o.logprobs().end());
    ep.value.assign(o.values().begin(), o.values().end());
    ep.version.assign(o.policy_versions().begin(), o.policy_versions().end());
    ep.chunk_seq.assign(o.chunk_sequences().begin(), o.chunk_sequences().end());
    ep.last_next_obs.assign(o.last_next_observation().begin(), o.last_next_observation().end());
    ep.seed = o.env_seed();
    ep.terminals.assign(ep.rewards.size(), 0);
    ep.timeouts.assign(ep.rewards.size(), 0);
    ep.actor.assign(ep.rewards.size(), o.actor_id());
  }
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
