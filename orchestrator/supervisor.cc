#include "orchestrator/supervisor.h"

#include <signal.h>

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
      FLEET_ASSIGN_OR_RETURN(auto handle, launcher_.Start(role, k));
      instances_.push_back({&role, k, std::move(handle)});
    }
  }
  return OkStatus();
}

Status Supervisor::Fail(Instance& i, int code) {
  failure_ = InternalError(i.role->InstanceName(i.index) + " failed (exit code " +
                           std::to_string(code) + "); last lines of " + i.handle->log_path() +
                           ":\n" + i.handle->LogTail(15));
  return failure_;
}

Supervisor::State Supervisor::Poll(const std::function<void(const std::string&, int, int)>& on_restart) {
  for (auto& i : instances_) {
    if (i.done) continue;
    const std::optional<int> code = i.handle->Poll();
    if (!code) continue;
    if (i.role->restart == RestartPolicy::kAlways && i.restarts < i.role->max_restarts) {
      ++i.restarts;
      if (on_restart) on_restart(i.role->InstanceName(i.index), *code, i.restarts);
      auto handle = launcher_.Start(*i.role, i.index);
      if (!handle.ok()) {
        failure_ = handle.status();
        return State::kFailed;
      }
      i.handle = std::move(*handle);
      continue;
    }
    i.done = true;
    i.code = code;
    switch (i.role->on_exit) {
      case OnExit::kEndsRun:
        if (*code == 0) return State::kFinished;
        (void)Fail(i, *code);
        return State::kFailed;
      case OnExit::kFailsRun:
        (void)Fail(i, *code);
        return State::kFailed;
      case OnExit::kFailsIfNonZero:
        if (*code != 0) {
          (void)Fail(i, *code);
          return State::kFailed;
        }
        break;
    }
  }
  return State::kRunning;
}

void Supervisor::Signal(const std::string& role, int sig) {
  for (auto& i : instances_) {
    if (i.role->role == role && !i.done) i.handle->Signal(sig);
  }
}

bool Supervisor::AllExited(const std::string& role) {
  for (auto& i : instances_) {
    if (i.role->role == role && !i.handle->Poll()) return false;
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

void Supervisor::StopAll(std::chrono::milliseconds grace) {
  for (const std::string& role : plan_.stop_order) {
    Signal(role, SIGTERM);
    if (!Wait(role, grace)) {
      Signal(role, SIGKILL);
      Wait(role, std::chrono::milliseconds(2000));
    }
    for (auto& i : instances_) {
      if (i.role->role == role) i.done = true;
    }
  }
}

int Supervisor::restarts(const std::string& role) const {
  int n = 0;
  for (const auto& i : instances_) {
    if (i.role->role == role) n += i.restarts;
  }
  return n;
}

}  // namespace fleet::orchestrator
