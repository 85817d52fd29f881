#include "learner/checkpoint.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>
#include <google/protobuf/unknown_field_set.h>

namespace fleet::learner {
namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// Removes `dir` and the files directly in it (checkpoint folders hold no subfolders).
// Deliberately POSIX rather than std::filesystem: PyTorch's wheels export their own copy
// of libstdc++'s std::filesystem from libtorch_cpu.so, and remove_all then runs that
// copy's code against the system library's directory iterator and crashes (seen with
// torch 2.11.0+cu130 on the second checkpoint of a run).
void RemoveDir(const std::string& dir) {
  if (DIR* d = ::opendir(dir.c_str())) {
    while (const dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..") ::unlink((dir + "/" + name).c_str());
    }
    ::closedir(d);
  }
  ::rmdir(dir.c_str());
}

// The unknown fields of `m` and its sub-messages, as "LearnerCheckpoint.9".
void CollectUnknown(const google::protobuf::Message& m, std::vector<std::string>& out) {
  const auto* r = m.GetReflection();
  const auto& unknown = r->GetUnknownFields(m);
  for (int i = 0; i < unknown.field_count(); ++i) {
    out.push_back(m.GetDescriptor()->name() + "." + std::to_string(unknown.field(i).number()));
  }
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const auto* f : fields) {
    if (f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (f->is_repeated()) {
      for (int i = 0; i < r->FieldSize(m, f); ++i) CollectUnknown(r->GetRepeatedMessage(m, f, i), out);
    } else {
      CollectUnknown(r->GetMessage(m, f), out);
    }
  }
}

}  // namespace

std::string CheckpointsDir(const std::string& run_dir) { return run_dir + "/checkpoints"; }
std::string LatestCheckpointDir(const std::string& run_dir) { return CheckpointsDir(run_dir) + "/latest"; }

std::string PolicySnapshotPath(const std::string& run_dir, uint64_t version) {
  char name[32];
  std::snprintf(name, sizeof(name), "/policy-v%06llu.pb", static_cast<unsigned long long>(version));
  return CheckpointsDir(run_dir) + name;
}

std::string FindLatestCheckpoint(const std::string& run_dir) {
  const std::string latest = LatestCheckpointDir(run_dir);
  if (!Exists(latest) && Exists(latest + ".old")) return latest + ".old";
  return latest;
}
std::string FinalPolicyPath(const std::string& run_dir) {
  return CheckpointsDir(run_dir) + "/final_policy.pb";
}

StatusOr<CheckpointState> ReadCheckpointState(const std::string& dir) {
  const std::string path = dir + "/" + kStateFile;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (Exists(dir + "/learner_state.txt")) {
      return NotFoundError("the checkpoint in " + dir + " is in the text format of Fleet before "
                           "checkpoint format 1 (learner_state.txt); this build resumes only "
                           "checkpoints with " + std::string(kStateFile));
    }
    return NotFoundError("no checkpoint to resume from in " + dir + " (no " + kStateFile + ")");
  }
  CheckpointState out;
  if (!out.state.ParseFromIstream(&in)) {
    return DataLossError(path + " is not a learner checkpoint (unparseable)");
  }
  const auto& s = out.state;
  if (s.format_version() == 0) return DataLossError(path + " has no format_version");
  if (s.format_version() > kLearnerCheckpointFormat) {
    return FailedPreconditionError(path + " has checkpoint format " +
                                   std::to_string(s.format_version()) + "; this build reads up to " +
                                   std::to_string(kLearnerCheckpointFormat) +
                                   ": resume with the Fleet that wrote it");
  }
  if (s.algo().empty()) return DataLossError(path + " names no algorithm");
  if (s.env_id().empty()) return DataLossError(path + " names no env");
  if (!s.has_metrics()) return DataLossError(path + " has no run metrics");
  std::vector<std::string> unknown;
  CollectUnknown(s, unknown);
  for (const auto& u : unknown) {
    out.warnings.push_back(path + ": field " + u + " is unknown to this build and ignored");
  }
  return out;
}

Status WriteCheckpointState(const std::string& dir, const proto::LearnerCheckpoint& state) {
  return WriteFile(dir + "/" + kStateFile, state.SerializeAsString());
}

Status CheckResumable(const std::string& run_dir, const ExperimentConfig& config) {
  FLEET_ASSIGN_OR_RETURN(CheckpointState cp, ReadCheckpointState(FindLatestCheckpoint(run_dir)));
  if (cp.state.algo() != config.learner.algo) {
    return FailedPreconditionError("the checkpoint in " + run_dir + " is of algorithm '" +
                                   cp.state.algo() + "', the config says '" +
                                   config.learner.algo + "'");
  }
  if (cp.state.env_id() != config.env.id) {
    return FailedPreconditionError("the checkpoint in " + run_dir + " is for " + cp.state.env_id() +
                                   ", the config says " + config.env.id);
  }
  return OkStatus();
}

Status MakeDirs(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return UnavailableError("cannot create " + dir + ": " + ec.message());
  return OkStatus();
}

Status MakeEmptyDir(const std::string& dir) {
  RemoveDir(dir);
  if (::mkdir(dir.c_str(), 0755) != 0) {
    return UnavailableError("cannot create " + dir + ": " + std::strerror(errno));
  }
  return OkStatus();
}

Status ReplaceDir(const std::string& from, const std::string& to) {
  if (!Exists(to)) {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return UnavailableError("cannot rename " + from + " to " + to + ": " + std::strerror(errno));
    }
    return OkStatus();
  }
  // swap the two folders in one step, so `to` always names a complete checkpoint; then the
  // old one (now at `from`) goes.
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_EXCHANGE) == 0) {
    RemoveDir(from);
    return OkStatus();
  }
  // a file system without RENAME_EXCHANGE: move the old one aside first. A crash between
  // the two renames leaves the previous checkpoint as `to`.old (FindLatestCheckpoint).
  const std::string old = to + ".old";
  RemoveDir(old);
  if (::rename(to.c_str(), old.c_str()) != 0) {
    return UnavailableError("cannot move " + to + " aside: " + std::strerror(errno));
  }
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return UnavailableError("cannot rename " + from + " to " + to + ": " + std::strerror(errno));
  }
  RemoveDir(old);
  return OkStatus();
}

Status WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return UnavailableError("cannot write " + path);
  return OkStatus();
}

}  // namespace fleet::learner
