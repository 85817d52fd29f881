#include "common/process.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <fstream>
#include <thread>

namespace fleet {

StatusOr<ChildProcess> ChildProcess::Spawn(const std::string& name,
                                           const std::vector<std::string>& argv,
                                           const std::string& log_path, const std::vector<int>& cpus) {
  FLEET_CHECK(!argv.empty());
  cpu_set_t cpu_set;
  CPU_ZERO(&cpu_set);
  if (!cpus.empty()) {
    const std::vector<int> allowed = AllowedCpus();
    for (int c : cpus) {
      if (c < 0 || c >= CPU_SETSIZE || !std::binary_search(allowed.begin(), allowed.end(), c)) {
        std::string list;
        for (int a : allowed) {
          if (!list.empty()) list += ',';
          list += std::to_string(a);
        }
        return InvalidArgumentError("cannot start " + name + " on CPU " + std::to_string(c) +
                                    ": this process may run on CPUs " + list + " only");
      }
      CPU_SET(c, &cpu_set);
    }
  }
  // everything the child needs is prepared before fork: after it, only async-signal-safe
  // calls until exec.
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return UnavailableError("cannot open log file '" + log_path + "': " + std::strerror(errno));
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log_fd);
    return UnavailableError(std::string("fork failed: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    if (!cpus.empty() && ::sched_setaffinity(0, sizeof(cpu_set), &cpu_set) != 0) {
      const char msg[] = "sched_setaffinity failed: cannot run on the CPUs asked for\n";
      (void)!::write(STDERR_FILENO, msg, sizeof(msg) - 1);
      ::_exit(127);
    }
    ::execv(args[0], args.data());
    const char msg[] = "exec failed\n";
    (void)!::write(STDERR_FILENO, msg, sizeof(msg) - 1);
    ::_exit(127);
  }
  ::close(log_fd);
  ChildProcess c;
  c.name_ = name;
  c.log_path_ = log_path;
  c.pid_ = pid;
  return c;
}

ChildProcess::ChildProcess(ChildProcess&& o) noexcept
    : name_(std::move(o.name_)), log_path_(std::move(o.log_path_)), pid_(o.pid_),
      exit_code_(o.exit_code_) {
  o.pid_ = -1;
}

ChildProcess& ChildProcess::operator=(ChildProcess&& o) noexcept {
  std::swap(name_, o.name_);
  std::swap(log_path_, o.log_path_);
  std::swap(pid_, o.pid_);
  std::swap(exit_code_, o.exit_code_);
  return *this;
}

ChildProcess::~ChildProcess() {
  if (running()) {
    Signal(SIGKILL);
    Wait(std::chrono::milliseconds(2000));
  }
}

std::optional<int> ChildProcess::Poll() {
  if (exit_code_ || pid_ <= 0) return exit_code_;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  return exit_code_;
}

void ChildProcess::Signal(int sig) {
  if (running()) ::kill(pid_, sig);
}

bool ChildProcess::Wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!Poll()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

std::string TailFile(const std::string& path, int lines) {
  std::ifstream in(path);
  std::deque<std::string> last;
  std::string line;
  while (std::getline(in, line)) {
    last.push_back(line);
    if (static_cast<int>(last.size()) > lines) last.pop_front();
  }
  std::string out;
  for (const auto& l : last) out += "    " + l + "\n";
  return out;
}

StatusOr<std::vector<int>> ParseCpuList(const std::string& text) {
  std::vector<int> out;
  auto bad = [&](const std::string& why) {
    return InvalidArgumentError("'" + text + "' is not a CPU list like 0-3,6: " + why);
  };
  auto number = [&](const std::string& s, int* v) {
    if (s.empty() || s.size() > 6 || !std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
      return false;
    }
    *v = std::stoi(s);
    return *v < CPU_SETSIZE;
  };
  size_t start = 0;
  while (start <= text.size() && !text.empty()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    const size_t dash = item.find('-');
    int lo = 0, hi = 0;
    if (dash == std::string::npos) {
      if (!number(item, &lo)) return bad("'" + item + "' is not a CPU number below " + std::to_string(CPU_SETSIZE));
      hi = lo;
    } else if (!number(item.substr(0, dash), &lo) || !number(item.substr(dash + 1), &hi)) {
      return bad("'" + item + "' is not a range of CPU numbers below " + std::to_string(CPU_SETSIZE));
    } else if (hi < lo) {
      return bad("the range '" + item + "' runs backwards");
    }
    for (int c = lo; c <= hi; ++c) out.push_back(c);
    start = comma + 1;
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<int> AllowedCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> out;
  if (::sched_getaffinity(0, sizeof(set), &set) != 0) return out;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &set)) out.push_back(c);
  }
  return out;
}

}  // namespace fleet
