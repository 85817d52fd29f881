#include "replay/recorder.h"

#include <sys/statvfs.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <map>
#include <regex>

#include "replay/manifest.h"
#include "replay/shard_reader.h"

namespace fleet::replay {
namespace fs = std::filesystem;

std::string Recorder::WalPath(int shard) const {
  char name[32];
  std::snprintf(name, sizeof(name), "/wal-%05d.log", shard);
  return o_.writer.dir + name;
}

StatusOr<std::unique_ptr<Recorder>> Recorder::Open(RecorderOptions options) {
  std::unique_ptr<Recorder> r(new Recorder(std::move(options)));
  std::error_code ec;
  fs::create_directories(r->o_.writer.dir, ec);
  if (Status st = r->Recover(); !st.ok()) {
    r->Abandon();  // nothing half-replayed is sealed; the log still holds it all
    return st;
  }
  Manifest m;
  const EpisodeWriterOptions& w = r->o_.writer;
  m.env_id = w.env_id;
  m.obs_dim = w.obs_dim;
  m.action_dim = w.action_dim;
  m.observation_space = w.observation_space;
  m.action_space = w.action_space;
  m.shard_index = r->writer_->shard_index();
  m.optional_columns = w.optional_columns;
  m.behaviour = w.behaviour;
  m.config_yaml = w.config_yaml;
  const std::string rec = w.dir + "/" + kRecordingFile;
  if (Status st = r->Written(m.WriteFor(rec.substr(0, rec.size() - 5))); !st.ok()) {
    r->Abandon();
    return st;
  }
  return r;
}

uint64_t RecordingEpisodeLimit(const ExperimentConfig& cfg, bool learner_fed) {
  if (learner_fed || cfg.collect.episodes <= 0) return 0;
  return static_cast<uint64_t>(cfg.collect.episodes);
}

StatusOr<EpisodeWriterOptions> RecordingOptions(const std::string& dir) {
  const std::string rec = dir + "/" + kRecordingFile;
  auto m = Manifest::ReadFor(rec.substr(0, rec.size() - 5));
  if (!m.ok()) {
    if (m.status().code() != StatusCode::kNotFound) return m.status();
    // a recording from before recording.json: its last sealed shard says the same
    auto shards = ListShards(dir);
    if (!shards.ok()) {
      return NotFoundError("no " + std::string(kRecordingFile) + " and no sealed shard in '" +
                           dir + "': nothing says what the log records");
    }
    m = Manifest::ReadFor(shards->back());
    if (!m.ok()) return m.status();
  }
  EpisodeWriterOptions w;
  w.dir = dir;
  w.env_id = m->env_id;
  w.obs_dim = m->obs_dim;
  w.action_dim = m->action_dim;
  w.observation_space = m->observation_space;
  w.action_space = m->action_space;
  w.optional_columns = m->optional_columns;
  w.behaviour = m->behaviour;
  w.config_yaml = m->config_yaml;
  // a collect's episode limit holds for its recovery too (the log has what the actors
  // sent past it).
  if (!m->config_yaml.empty()) {
    auto cfg = ParseExperimentConfig(m->config_yaml);
    const bool learner_fed = m->behaviour.is_object() && m->behaviour.contains("policy") &&
                             m->behaviour["policy"] == "learner";
    if (cfg.ok()) w.max_episodes = RecordingEpisodeLimit(*cfg, learner_fed);
  }
  return w;
}

Recorder::~Recorder() { (void)Close(); }

Status Recorder::Recover() {
  const std::string& dir = o_.writer.dir;
  // what is there: complete shards, log segments, leftovers.
  static const std::regex shard_re(R"(shard-(\d+)\.h5)"), wal_re(R"(wal-(\d+)\.log)");
  int last_sealed = -1;
  std::map<int, fs::path> wals;
  std::vector<fs::path> leftovers;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    std::smatch m;
    if (std::regex_match(name, m, shard_re)) {
      last_sealed = std::max(last_sealed, std::stoi(m[1]));
      ++recovery_.sealed_shards;
    } else if (std::regex_match(name, m, wal_re)) {
      wals[std::stoi(m[1])] = entry.path();
    } else if (name.ends_with(".tmp")) {
      leftovers.push_back(entry.path());
    }
  }
  if (ec) return UnavailableError("cannot list the dataset folder '" + dir + "': " + ec.message());
  // a manifest whose shard never got its final name belongs to the interrupted seal.
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("shard-") && name.ends_with(".h5.json") &&
        !fs::exists(dir + "/" + name.substr(0, name.size() - 5))) {
      leftovers.push_back(entry.path());
    }
  }
  const int open_shard = last_sealed + 1;
  for (const auto& [index, path] : wals) {
    if (index != open_shard) leftovers.push_back(path);
  }
  for (const auto& p : leftovers) {
    fs::remove(p, ec);
    ++recovery_.removed_files;
  }

  EpisodeWriterOptions wo = o_.writer;
  wo.first_shard = open_shard;
  wo.on_seal = [this](int next) { return OnSeal(next); };
  auto it = wals.find(open_shard);
  if (it == wals.end()) {
    if (last_sealed >= 0) {
      log_->warn("dataset {} has {} complete shards but no log for shard {}; deduplication "
                 "starts empty and the totals count from this run",
                 dir, recovery_.sealed_shards, open_shard);
    }
    FLEET_ASSIGN_OR_RETURN(writer_, EpisodeWriter::Create(wo));
    proto::WalCheckpoint cp;
    cp.set_shard_index(open_shard);
    FLEET_ASSIGN_OR_RETURN(wal_, WalWriter::Create(WalPath(open_shard), cp, o_.wal_fsync));
    return OkStatus();
  }

  FLEET_ASSIGN_OR_RETURN(WalContents wal, ReadWal(it->second.string()));
  if (static_cast<int>(wal.checkpoint.shard_index()) != open_shard) {
    return DataLossError("log " + it->second.string() + " is for shard " +
                         std::to_string(wal.checkpoint.shard_index()) + ", expected " +
                         std::to_string(open_shard));
  }
  wo.steps_before = wal.checkpoint.steps_written();
  wo.episodes_before = wal.checkpoint.episodes_written();
  FLEET_ASSIGN_OR_RETURN(writer_, EpisodeWriter::Create(wo));
  writer_->RestoreOpen(wal.checkpoint);
  dedup_.Restore(wal.checkpoint.dedup());
  // the segment stays the log of the open shard; replayed records are not written again
  // unless a seal during the replay moved the log to a new segment. A damaged segment is
  // kept aside and its readable records are written to a fresh one.
  const std::string wal_path = it->second.string();
  uint64_t append_at = wal.valid_bytes;
  if (wal.damaged() || wal.legacy_format) {
    // the readable records go to a fresh segment, written whole and synced beside the old
    // one and renamed over it: a crash in between leaves the old log to read again. A
    // damaged log is first hard-linked to its kept name, so its bytes are never lost.
    if (wal.damaged()) {
      recovery_.damage = wal.damage;
      recovery_.damaged_bytes = wal.damaged_bytes();
      recovery_.kept_log = wal_path + ".damaged";
      for (int k = 1; fs::exists(recovery_.kept_log); ++k) {
        recovery_.kept_log = wal_path + ".damaged." + std::to_string(k);
      }
      fs::create_hard_link(wal_path, recovery_.kept_log, ec);
      if (ec) fs::copy_file(wal_path, recovery_.kept_log, ec);
      if (ec) {
        return DataLossError("the log '" + wal_path + "' is damaged (" + wal.DescribeDamage() +
                             ") and cannot be kept aside: " + ec.message());
      }
    }
    errno = 0;
    FLEET_RETURN_IF_ERROR(Written(WriteWalFile(wal_path, wal.checkpoint, wal.chunks)));
    append_at = fs::file_size(wal_path, ec);
    if (ec) return UnavailableError("cannot read the size of '" + wal_path + "': " + ec.message());
  }
  FLEET_ASSIGN_OR_RETURN(wal_, WalWriter::Reopen(wal_path, append_at, o_.wal_fsync));
  const int start_shard = writer_->shard_index();
  for (const std::string& bytes : wal.chunks) {
    proto::TrajectoryChunk chunk;
    if (!chunk.ParseFromString(bytes)) {
      return DataLossError("unparseable chunk record in " + wal_path);
    }
    if (writer_->shard_index() != start_shard) {
      errno = 0;
      FLEET_RETURN_IF_ERROR(Written(wal_->AppendChunk(bytes)));
    }
    errno = 0;
    FLEET_RETURN_IF_ERROR(Written(Apply(chunk)));
    if (!retired_wal_.empty()) {
      fs::remove(retired_wal_, ec);
      retired_wal_.clear();
    }
    ++recovery_.replayed_chunks;
  }
  recovery_.torn_tail = wal.torn_tail;
  if (recovery_.damaged()) {
    log_->error("{}", recovery_.DescribeDamage());
    return OkStatus();
  }
  log_->info("recovered dataset {}: {} complete shards, {} chunks replayed from the log{}, "
             "{} leftover files removed",
             dir, recovery_.sealed_shards, recovery_.replayed_chunks,
             wal.torn_tail ? " (a torn last record cut off)" : "", recovery_.removed_files);
  return OkStatus();
}

std::string RecoveryReport::DescribeDamage() const {
  WalContents c;
  c.damage = damage;
  return "DATA LOSS: the write-ahead log was damaged inside (" + c.DescribeDamage() +
         "); acknowledged chunks in those bytes are lost. " + std::to_string(replayed_chunks) +
         " readable chunks were recovered into the dataset; the damaged log is kept as '" +
         kept_log + "'";
}

Status Recorder::OnSeal(int next_shard) {
  proto::WalCheckpoint cp;
  cp.set_shard_index(next_shard);
  cp.set_steps_written(writer_->sealed_steps());
  cp.set_episodes_written(writer_->sealed_episodes());
  for (auto& s : dedup_.Snapshot()) *cp.add_dedup() = std::move(s);
  writer_->SnapshotOpen(cp);
  const std::string old = wal_ ? wal_->path() : "";
  FLEET_ASSIGN_OR_RETURN(wal_, WalWriter::Create(WalPath(next_shard), cp, o_.wal_fsync));
  retired_wal_ = old;
  return OkStatus();
}

Status Recorder::Apply(const proto::TrajectoryChunk& chunk) {
  bool new_epoch = false;
  if (!dedup_.Insert(chunk.actor_id(), chunk.actor_epoch(), chunk.sequence(), &new_epoch)) {
    return OkStatus();  // a duplicate record cannot happen, but is harmless
  }
  // a restarted actor: its previous process's open episodes will never continue.
  if (new_epoch) FLEET_RETURN_IF_ERROR(writer_->CutOpenEpisodes(chunk.actor_id()));
  return writer_->Add(chunk);
}

namespace {

// Whether a failed write was the disk running full: the write's errno (no space, quota,
// the process's file size limit), or, as HDF5 may not leave errno set, less than 1 MiB
// left on the dataset's file system.
bool DiskFull(const std::string& dir, int saved_errno) {
  if (saved_errno == ENOSPC || saved_errno == EDQUOT || saved_errno == EFBIG) return true;
  struct statvfs v;
  if (::statvfs(dir.c_str(), &v) != 0) return false;
  return uint64_t{v.f_bavail} * v.f_frsize < (uint64_t{1} << 20);
}

}  // namespace

Status Recorder::Written(Status st) const {
  if (st.ok()) return st;
  const int saved_errno = errno;
  if (!DiskFull(o_.writer.dir, saved_errno)) return st;
  return ResourceExhaustedError("disk full: cannot write to the dataset folder '" + o_.writer.dir +
                                "' (" + st.message() + "); every acknowledged chunk is in its "
                                "log: on a disk with room, `fleet dataset recover` rebuilds the "
                                "shards");
}

StatusOr<bool> Recorder::Add(std::string_view payload, const proto::TrajectoryChunk& chunk) {
  if (closed_) return FailedPreconditionError("recorder is closed");
  if (dedup_.Contains(chunk.actor_id(), chunk.actor_epoch(), chunk.sequence())) return false;
  errno = 0;
  FLEET_RETURN_IF_ERROR(Written(wal_->AppendChunk(payload)));
  FLEET_RETURN_IF_ERROR(Written(Apply(chunk)));
  if (!retired_wal_.empty()) {
    std::error_code ec;
    fs::remove(retired_wal_, ec);
    retired_wal_.clear();
  }
  return true;
}

void Recorder::Abandon() {
  closed_ = true;
  if (writer_) writer_->Abandon();
  wal_.reset();
}

Status Recorder::Close() {
  if (closed_ || !writer_) return OkStatus();
  closed_ = true;
  Status st = writer_->Close(CloseMode::kCutOpen);
  if (writer_->episodes_over_limit() > 0) {
    log_->info("{} episode(s) ({} steps) ended after the dataset reached its limit of {} "
               "episodes: not recorded", writer_->episodes_over_limit(),
               writer_->steps_over_limit(), o_.writer.max_episodes);
  }
  if (!retired_wal_.empty()) {
    std::error_code ec;
    fs::remove(retired_wal_, ec);
    retired_wal_.clear();
  }
  wal_.reset();
  return st;
}

}  // namespace fleet::replay
