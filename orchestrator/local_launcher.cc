#include "orchestrator/local_launcher.h"

#include <fstream>

#include "common/process.h"

namespace fleet::orchestrator {
namespace {

class LocalHandle : public RoleHandle {
 public:
  explicit LocalHandle(ChildProcess child) : child_(std::move(child)) {}
  std::optional<int> Poll() override { return child_.Poll(); }
  void Signal(int sig) override { child_.Signal(sig); }
  bool Wait(std::chrono::milliseconds timeout) override { return child_.Wait(timeout); }
  std::string log_path() const override { return child_.log_path(); }
  std::string LogTail(int lines) const override { return TailFile(child_.log_path(), lines); }

 private:
  ChildProcess child_;
};

}  // namespace

StatusOr<std::unique_ptr<RoleHandle>> LocalLauncher::Start(const RoleSpec& role, int index) {
  std::vector<std::string> argv = role.ArgsFor(index);
  argv.insert(argv.begin(), role.program.starts_with("/") ? role.program : bin_dir_ + "/" + role.program);
  const std::string log = logs_dir_ + "/" + role.LogNameFor(index);
  FLEET_ASSIGN_OR_RETURN(const std::vector<int> cpus, ParseCpuList(role.resources.cpu_list));
  FLEET_ASSIGN_OR_RETURN(ChildProcess child,
                         ChildProcess::Spawn(role.InstanceName(index), argv, log + ".log", cpus));
  std::ofstream(log + ".pid", std::ios::trunc) << child.pid() << "\n";
  return std::unique_ptr<RoleHandle>(new LocalHandle(std::move(child)));
}

}  // namespace fleet::orchestrator
