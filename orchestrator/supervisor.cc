#include "orchestrator/supervisor.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

namespace fleet::orchestrator {

Supervisor::~Supervisor() {
  for (auto& i : instances_) {
    if (i.handle && !i.handle->Poll()) {
      i.handle->Signal(SIGKILL);
      i.handle->Wait(std::chrono::milliseconds(2000));
    }
  }
}

Status Supervisor::StartAll() {
  for (const RoleSpec& role : plan_.roles) {
    for (int k = 0; k < role.count; ++k) {
      ForgetHeartbeat(role, k);
      FLEET_ASSIGN_OR_RETURN(auto handle, launcher_.Start(role, k));
      instances_.push_back({&role, k, std::move(handle)});
    }
  }
  return OkStatus();
}

Status Supervisor::Failed(const Instance& i, int code) const {
  const std::string message = i.role->InstanceName(i.index) + " failed (exit code " +
                              std::to_string(code) + "); last lines of " +
                              i.handle->log_path() + ":\n" + i.handle->LogTail(15);
  // an exit that names a persistent condition keeps its meaning (and `fleet`'s exit code)
  switch (code) {
    case kExitUsage: return InvalidArgumentError(message);
    case kExitDataLoss: return DataLossError(message);
    case kExitNoSpace: return ResourceExhaustedError(message);
    default: return InternalError(message);
  }
}

void Supervisor::ForgetHeartbeat(const RoleSpec& role, int index) {
  // the file exists again only once this start beats: no clock comparison (a shared
  // filesystem's clock may differ from ours) decides whether start-up is over
  if (!role.heartbeat_file.empty()) ::unlink(role.HeartbeatFileFor(index).c_str());
}

void Supervisor::CheckHeartbeat(Instance& i) {
  if (i.role->heartbeat_file.empty() || i.role->heartbeat_timeout_ms <= 0) return;
  const auto now = std::chrono::system_clock::now();
  const auto timeout = std::chrono::milliseconds(i.role->heartbeat_timeout_ms);
  if (now - i.started_at < timeout) return;  // starting up
  struct stat st {};
  const std::string path = i.role->HeartbeatFileFor(i.index);
  auto last = i.started_at;
  const bool beaten = ::stat(path.c_str(), &st) == 0;  // removed at every (re)start
  if (beaten) {
    const auto mtime = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec)));
    last = std::max(last, mtime);
  }
  // no beat since this instance started (the file is removed at every start): it is
  // still starting (loading libraries, a checkpoint), which gets the role's startup time
  const auto limit =
      beaten ? timeout : std::max(timeout, std::chrono::milliseconds(i.role->startup_timeout_ms));
  if (now - last < limit) return;
  if (notice_) {
    notice_(i.role->InstanceName(i.index) + " gave no sign of life for " +
            std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now - last).count()) +
            " s (hung or stopped); killing it");
  }
  i.handle->Signal(SIGKILL);
  i.started_at = now;  // one kill per timeout; the exit is seen by the next Poll
}

const RoleSpec& Supervisor::RestartSpec(const RoleSpec& role) {
  if (role.restart_args.empty()) return role;
  auto it = restart_specs_.find(role.role);
  if (it == restart_specs_.end()) {
    RoleSpec again = role;
    again.args.insert(again.args.end(), role.restart_args.begin(), role.restart_args.end());
    it = restart_specs_.emplace(role.role, std::move(again)).first;
  }
  return it->second;
}

bool Supervisor::WillRestart(const Instance& i, int code) {
  if (i.stop_signal != 0) return false;  // being stopped: whatever the exit, it stays stopped
  if (IsPersistentExit(code)) return false;  // a full disk, damaged data: it would recur
  const bool restartable = i.role->restart == RestartPolicy::kAlways ||
                           (i.role->restart == RestartPolicy::kOnFailure && code != 0);
  return restartable && i.restarts < i.role->max_restarts;
}

int Supervisor::Judged(Instance& i, int code) {
  if (i.role->stop_signal_exit_is_clean && i.stop_signal != 0 && i.stop_signal != SIGKILL &&
      code == 128 + i.stop_signal) {
    i.stopped_unhandled = true;
    return 0;
  }
  return code;
}

Supervisor::State Supervisor::Poll(const std::function<void(const std::string&, int, int)>& on_restart) {
  for (const bool ending_roles : {true, false}) {
    for (auto& i : instances_) {
      if (i.done || (i.role->on_exit == OnExit::kEndsRun) != ending_roles) continue;
      if (i.restart_at) {
        if (std::chrono::steady_clock::now() < *i.restart_at) continue;
        i.restart_at.reset();
        ForgetHeartbeat(*i.role, i.index);
        auto handle = launcher_.Start(RestartSpec(*i.role), i.index);
        if (!handle.ok()) {
          failure_ = handle.status();
          return State::kFailed;
        }
        i.handle = std::move(*handle);
        i.started_at = std::chrono::system_clock::now();
        continue;
      }
      const std::optional<int> code = i.handle->Poll();
      if (!code) {
        CheckHeartbeat(i);
        continue;
      }
      if (WillRestart(i, *code)) {
        const int64_t backoff =
            std::min<int64_t>(30000, static_cast<int64_t>(i.role->restart_backoff_ms)
                                         << std::min(i.restarts, 20));
        ++i.restarts;
        if (on_restart) on_restart(i.role->InstanceName(i.index), *code, i.restarts);
        i.restart_at = std::chrono::steady_clock::now() + std::chrono::milliseconds(backoff);
        continue;
      }
      i.done = true;
      i.code = Judged(i, *code);
      switch (i.role->on_exit) {
        case OnExit::kEndsRun:
          if (*i.code == 0) return State::kFinished;
          failure_ = Failed(i, *i.code);
          return State::kFailed;
        case OnExit::kFailsRun:
          failure_ = Failed(i, *i.code);
          return State::kFailed;
        case OnExit::kFailsIfNonZero:
          if (*i.code != 0) {
            failure_ = Failed(i, *i.code);
            return State::kFailed;
          }
          break;
      }
    }
  }
  return State::kRunning;
}

void Supervisor::Signal(const std::string& role, int sig) {
  for (auto& i : instances_) {
    if (i.role->role != role || i.done) continue;
    if (i.restart_at) {  // died and waiting for its restart: asked to stop, it stays stopped
      i.restart_at.reset();
      i.done = true;
      i.stopped_unhandled = true;
      continue;
    }
    if (i.stop_signal == 0) i.stop_signal = sig;  // the first stop request is the one judged
    i.handle->Signal(sig);
  }
}

bool Supervisor::StoppedBeforeHandling(const std::string& role, int index) const {
  for (const auto& i : instances_) {
    if (i.role->role == role && i.index == index) return i.stopped_unhandled;
  }
  return false;
}

bool Supervisor::AllExited(const std::string& role) {
  for (auto& i : instances_) {
    if (i.role->role != role || i.done) continue;
    if (i.restart_at) return false;
    // an exit Poll has not seen yet still counts as running when it will be restarted
    const std::optional<int> code = i.handle->Poll();
    if (!code || WillRestart(i, *code)) return false;
  }
  return true;
}

bool Supervisor::Wait(const std::string& role, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (auto& i : instances_) {
    if (i.role->role != role) continue;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!i.handle->Wait(std::max(left, std::chrono::milliseconds(0)))) return false;
  }
  return true;
}

Status Supervisor::StopAll(std::chrono::milliseconds grace) {
  std::vector<std::string> order = plan_.stop_order;
  for (const RoleSpec& r : plan_.roles) {
    if (std::find(order.begin(), order.end(), r.role) == order.end()) order.push_back(r.role);
  }
  Status first = OkStatus();
  for (const std::string& role : order) {
    Signal(role, SIGTERM);
    const bool stopped = Wait(role, grace);
    if (!stopped) {
      Signal(role, SIGKILL);
      Wait(role, std::chrono::milliseconds(2000));
    }
    for (auto& i : instances_) {
      if (i.role->role != role || i.done) continue;
      i.done = true;
      if (i.restart_at) {  // died and was waiting for its restart: not started again
        i.restart_at.reset();
        continue;
      }
      i.code = i.handle->Poll();
      if (i.code) i.code = Judged(i, *i.code);
      if (!first.ok()) continue;
      if (!stopped && i.code == 128 + SIGKILL) {
        first = DeadlineExceededError(i.role->InstanceName(i.index) + " did not stop within " +
                                      std::to_string(grace.count() / 1000) +
                                      " s and was killed; last lines of " + i.handle->log_path() +
                                      ":\n" + i.handle->LogTail(15));
      } else if (i.code.value_or(0) != 0) {
        first = Failed(i, *i.code);  // failure_ stays what Poll found
      }
    }
  }
  return first;
}

int Supervisor::restarts(const std::string& role) const {
  int n = 0;
  for (const auto& i : instances_) {
    if (i.role->role == role) n += i.restarts;
  }
  return n;
}

}  // namespace fleet::orchestrator
