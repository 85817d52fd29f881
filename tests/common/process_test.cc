#include "common/process.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "orchestrator/launch_plan.h"
#include "orchestrator/local_launcher.h"

namespace fleet {
namespace {

TEST(CpuListTest, ParsesTasksetSyntax) {
  auto one = ParseCpuList("1");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one, std::vector<int>({1}));
  auto mixed = ParseCpuList("4,0-2,2");
  ASSERT_TRUE(mixed.ok());
  EXPECT_EQ(*mixed, std::vector<int>({0, 1, 2, 4}));
  auto none = ParseCpuList("");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(CpuListTest, BadListsAreNamed) {
  for (const auto& [text, why] : std::vector<std::pair<std::string, std::string>>{
           {"a", "'a' is not a CPU number"},
           {"0,", "'' is not a CPU number"},
           {"3-1", "the range '3-1' runs backwards"},
           {"0-x", "'0-x' is not a range"},
           {"-1", "'-1' is not a range"},
           {"5000", "'5000' is not a CPU number below 1024"}}) {
    auto r = ParseCpuList(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_NE(r.status().message().find(why), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("'" + text + "' is not a CPU list"), std::string::npos)
        << r.status().message();
  }
}

// The local launcher starts a role's processes on the CPUs its config key names: a real
// child reports the kernel's view of its own affinity.
TEST(CpuListTest, TheLocalLauncherPinsARoleToItsCpus) {
  const std::vector<int> allowed = AllowedCpus();
  ASSERT_FALSE(allowed.empty());
  const int cpu = allowed.back();
  const std::string dir = ::testing::TempDir() + "/fleet_cpu_pin_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  orchestrator::RoleSpec role;
  role.role = "pinned";
  role.program = "/bin/sh";
  role.args = {"-c", "grep Cpus_allowed_list /proc/self/status"};
  role.log_name = "pinned";
  role.resources.cpu_list = std::to_string(cpu);
  orchestrator::LocalLauncher launcher(dir, dir);
  auto handle = launcher.Start(role, 0);
  ASSERT_TRUE(handle.ok()) << handle.status().ToString();
  ASSERT_TRUE((*handle)->Wait(std::chrono::milliseconds(10000)));
  EXPECT_EQ((*handle)->Poll(), 0);
  std::ifstream log(dir + "/pinned.log");
  std::stringstream text;
  text << log.rdbuf();
  EXPECT_EQ(text.str(), "Cpus_allowed_list:\t" + std::to_string(cpu) + "\n");

  // a CPU this process may not use: an error naming it, nothing started.
  role.resources.cpu_list = "1023";
  auto refused = launcher.Start(role, 0);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("cannot start pinned on CPU 1023"), std::string::npos)
      << refused.status().message();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace fleet
