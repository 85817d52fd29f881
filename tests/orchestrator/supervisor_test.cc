// The supervisor over real child processes (small shell scripts standing in for roles):
// what each exit policy makes of an exit, restarts, the stop order, log tails in failures.
#include "orchestrator/supervisor.h"

#include <signal.h>

#include <gtest/gtest.h>

#include "orchestrator/local_launcher.h"
#include "tests/test_util.h"

namespace fleet::orchestrator {
namespace {

using std::chrono::milliseconds;

RoleSpec Shell(const std::string& role, const std::string& script, OnExit on_exit, int count = 1) {
  RoleSpec r;
  r.role = role;
  r.count = count;
  r.program = "/bin/sh";
  r.args = {"-c", script, "role", "{index}"};
  r.log_name = role + "-{index}";
  r.on_exit = on_exit;
  return r;
}

Supervisor::State PollUntilDone(Supervisor& s, int max_ms = 5000) {
  for (int t = 0; t < max_ms; t += 10) {
    const auto st = s.Poll();
    if (st != Supervisor::State::kRunning) return st;
    ::usleep(10000);
  }
  return Supervisor::State::kRunning;
}

TEST(SupervisorTest, ACleanExitOfTheEndingRoleFinishesTheRun) {
  testing::TempDir dir;
  LocalLauncher launcher("/unused", dir.path());
  LaunchPlan plan;
  plan.roles = {Shell("worker", "sleep 30", OnExit::kFailsIfNonZero, 2),
                Shell("learner", "sleep 0.2; exit 0", OnExit::kEndsRun)};
  plan.roles[0].stop_signal_exit_is_clean = true;
  plan.stop_order = {"learner", "worker"};
  Supervisor sup(plan, launcher);
  ASSERT_TRUE(sup.StartAll().ok());
  EXPECT_EQ(PollUntilDone(sup), Supervisor::State::kFinished);
  EXPECT_FALSE(sup.AllExited("worker"));
  // sleep dies of the SIGTERM (exit 143): the stop it was asked for, not a failure.
  EXPECT_TRUE(sup.StopAll(milliseconds(2000)).ok());
  EXPECT_TRUE(sup.StoppedBeforeHandling("worker", 0));
  EXPECT_TRUE(sup.AllExited("worker"));
  // every instance's pid is where the launcher said.
  EXPECT_FALSE(testing::ReadFile(dir.path() + "/worker-1.pid").empty());
}

TEST(SupervisorTest, AFailureIsNamedWithItsLogTail) {
  testing::TempDir dir;
  LocalLauncher launcher("/unused", dir.path());
  LaunchPlan plan;
  plan.roles = {Shell("learner", "trap 'exit 6' TERM; while true; do sleep 0.05; done", OnExit::kEndsRun),
                Shell("actor", "if [ $1 = 1 ]; then echo 'no weights from the learner'; exit 3; fi; sleep 30",
                      OnExit::kFailsIfNonZero, 2)};
  plan.stop_order = {"learner", "actor"};
  Supervisor sup(plan, launcher);
  ASSERT_TRUE(sup.StartAll().ok());
  EXPECT_EQ(PollUntilDone(sup), Supervisor::State::kFailed);
  const std::string msg = sup.failure().message();
  EXPECT_NE(msg.find("actor 1 failed (exit code 3)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("no weights from the learner"), std::string::npos) << msg;
  // stopping the rest (the learner fails its stop) does not replace the failure found.
  ::usleep(200000);  // the learner has set its trap
  const Status stop = sup.StopAll(milliseconds(2000));
  EXPECT_NE(stop.message().find("learner failed (exit code 6)"), std::string::npos) << stop.message();
  EXPECT_EQ(sup.failure().message(), msg);
  EXPECT_TRUE(sup.AllExited("learner"));
}

TEST(SupervisorTest, AnyExitOfAFailsRunRoleFailsTheRun) {
  testing::TempDir dir;
  LocalLauncher launcher("/unused", dir.path());
  LaunchPlan plan;
  plan.roles = {Shell("store", "exit 0", OnExit::kFailsRun)};
  plan.stop_order = {"store"};
  Supervisor sup(plan, launcher);
  ASSERT_TRUE(sup.StartAll().ok());
  EXPECT_EQ(PollUntilDone(sup), Supervisor::State::kFailed);
  EXPECT_NE(sup.failure().message().find("store failed (exit code 0)"), std::string::npos)
      << sup.failure().message();
}

TEST(SupervisorTest, RestartsUpToTheLimitThenFails) {
  testing::TempDir dir;
  LocalLauncher launcher("/unused", dir.path());
  LaunchPlan plan;
  RoleSpec store = Shell("store", "echo started >> " + dir.path() + "/starts; exit 9", OnExit::kFailsRun);
  store.restart = RestartPolicy::kAlways;
  store.max_restarts = 2;
  plan.roles = {store};
  plan.stop_order = {"store"};
  Supervisor sup(plan, launcher);
  ASSERT_TRUE(sup.StartAll().ok());
  std::vector<int> restarts;
  Supervisor::State st = Supervisor::State::kRunning;
  for (int t = 0; t < 500 && st == Supervisor::State::kRunning; ++t) {
    st = sup.Poll([&](const std::string&, int code, int n) {
      EXPECT_EQ(code, 9);
      restarts.push_back(n);
    });
    ::usleep(10000);
  }
  EXPECT_EQ(st, Supervisor::State::kFailed);
  EXPECT_EQ(restarts, (std::vector<int>{1, 2}));
  EXPECT_EQ(sup.restarts("store"), 2);
  EXPECT_EQ(testing::ReadFile(dir.path() + "/starts"), "started\nstarted\nstarted\n");
}

// Actors: a crash (non-zero exit, kill) is restarted after a doubling backoff, a clean
// exit is not; while it waits for its restart the instance counts as running.
TEST(SupervisorTest, RestartsOnFailureAfterABackoffButNotAfterACleanExit) {
  testing::TempDir dir;
  LocalLauncher launcher("/unused", dir.path());
  LaunchPlan plan;
  // instance 0: killed on its first two starts, then exits cleanly; instance 1: exits cleanly
  const std::string starts = dir.path() + "/starts-$1";
  RoleSpec actor = Shell("actor",
                         "echo x >> " + starts + "; n=$(wc -l < " + starts + "); "
                         "if [ $1 = 0 ] && [ $n -le 2 ]; then kill -9 $$; fi; exit 0",
                         OnExit::kFailsIfNonZero, 2);
  actor.restart = RestartPolicy::kOnFailure;
  actor.max_restarts = 3;
  actor.restart_backoff_ms = 150;
  plan.roles = {actor};
  plan.stop_order = {"actor"};
  Supervisor sup(plan, launcher);
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(sup.StartAll().ok());
  std::vector<std::pair<int, int>> seen;  // (exit code, restart number)
  bool waiting_counted_as_running = false;
  while (!sup.AllExited("actor") && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5)) {
    ASSERT_EQ(sup.Poll([&](const std::string& name, int code, int n) {
      EXPECT_EQ(name, "actor 0");
      seen.push_back({code, n});
    }), Supervisor::State::kRunning);
    if (!seen.empty() && !sup.AllExited("actor")) waiting_counted_as_running = true;
    ::usleep(5000);
  }
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(seen, (std::vector<std::pair<int, int>>{{128 + 9, 1}, {128 + 9, 2}}));
  EXPECT_TRUE(waiting_counted_as_running);
  EXPECT_EQ(testing::ReadFile(dir.path() + "/starts-0"), "x\nx\nx\n");
  EXPECT_EQ(testing::ReadFile(dir.path() + "/starts-1"), "x\n");  // clean: not restarted
  // the backoffs, 150 ms then 300 ms, were waited
  EXPECT_GE(elapsed, 0.45);
  EXPECT_EQ(sup.restarts("actor"), 2);
  EXPECT_TRUE(sup.StopAll(milliseconds(1000)).ok());
}

// An instance started again gets its role's restart_args (the learner's --restarted);
// the first start does not.
TEST(SupervisorTest, ARestartedInstanceGetsTheRestartArguments) {
  testing::TempDir dir;
  LocalLauncher launcher("/unused", dir.path());
  LaunchPlan plan;
  const std::string args = dir.path() + "/args";
  RoleSpec learner = Shell("learner",
                           "echo \"$*\" >> " + args + "; [ $(wc -l < " + args + ") -ge 2 ] || kill -9 $$",
                           OnExit::kEndsRun);
  learner.restart = RestartPolicy::kOnFailure;
  learner.max_restarts = 1;
  learner.restart_args = {"--restarted"};
  plan.roles = {learner};
  plan.stop_order = {"learner"};
  Supervisor sup(plan, launcher);
  ASSERT_TRUE(sup.StartAll().ok());
  EXPECT_EQ(PollUntilDone(sup), Supervisor::State::kFinished) << sup.failure().message();
  EXPECT_EQ(testing::ReadFile(args), "0\n0 --restarted\n");
  EXPECT_EQ(sup.restarts("learner"), 1);
}

// Beyond the budget the crash fails the run; a restart still pending when the run stops
// is dropped, not reported as a failure.
TEST(SupervisorTest, CrashesBeyondTheBudgetFailAndPendingRestartsAreDroppedAtStop) {
  testing::TempDir dir;
  LocalLauncher launcher("/unused", dir.path());
  {
    LaunchPlan plan;
    RoleSpec actor = Shell("actor", "exit 3", OnExit::kFailsIfNonZero);
    actor.restart = RestartPolicy::kOnFailure;
    actor.max_restarts = 1;
    plan.roles = {actor};
    plan.stop_order = {"actor"};
    Supervisor sup(plan, launcher);
    ASSERT_TRUE(sup.StartAll().ok());
    EXPECT_EQ(PollUntilDone(sup), Supervisor::State::kFailed);
    EXPECT_NE(sup.failure().message().find("actor 0 failed (exit code 3)"), std::string::npos)
        << sup.failure().message();
    EXPECT_EQ(sup.restarts("actor"), 1);
  }
  LaunchPlan plan;
  RoleSpec actor = Shell("actor", "exit 3", OnExit::kFailsIfNonZero);
  actor.restart = RestartPolicy::kOnFailure;
  actor.max_restarts = 5;
  actor.restart_backoff_ms = 60000;
  plan.roles = {actor};
  plan.stop_order = {"actor"};
  Supervisor sup(plan, launcher);
  ASSERT_TRUE(sup.StartAll().ok());
  for (int t = 0; t < 200 && sup.restarts("actor") == 0; ++t) {
    ASSERT_EQ(sup.Poll(), Supervisor::State::kRunning);
    ::usleep(10000);
  }
  ASSERT_EQ(sup.restarts("actor"), 1);
  EXPECT_TRUE(sup.StopAll(milliseconds(1000)).ok());
}

// The heartbeat tests' role: two instances running `script` ($1: the index), watched
// through dir/hb-{index}, restarted once on failure.
RoleSpec WatchedActor(const testing::TempDir& dir, const std::string& script, int64_t timeout_ms) {
  RoleSpec actor = Shell("actor", script, OnExit::kFailsIfNonZero, 2);
  actor.restart = RestartPolicy::kOnFailure;
  actor.max_restarts = 1;
  actor.heartbeat_file = dir.path() + "/hb-{index}";
  actor.heartbeat_timeout_ms = timeout_ms;
  return actor;
}

// Polls until every actor has exited (10 s at most); the restarts seen, by name and code.
std::vector<std::pair<std::string, int>> PollUntilExited(Supervisor& sup) {
  std::vector<std::pair<std::string, int>> restarts;
  const auto t0 = std::chrono::steady_clock::now();
  while (!sup.AllExited("actor") && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10)) {
    const auto state = sup.Poll([&](const std::string& name, int code, int) { restarts.push_back({name, code}); });
    EXPECT_EQ(state, Supervisor::State::kRunning);
    if (state != Supervisor::State::kRunning) break;
    ::usleep(10000);
  }
  return restarts;
}

// An instance that stops touching its heartbeat file is killed after the role's timeout
// and restarted; one that keeps beating is left alone.
TEST(SupervisorTest, AnInstanceWithoutHeartbeatIsKilledAndRestarted) {
  testing::TempDir dir;
  LocalLauncher launcher("/unused", dir.path());
  LaunchPlan plan;
  const std::string hb = dir.path() + "/hb-$1", starts = dir.path() + "/starts-$1";
  // instance 0 hangs on its first start (no beats), instance 1 beats for 1.2 s; both then exit
  plan.roles = {WatchedActor(dir,
                             "echo x >> " + starts + "; n=$(wc -l < " + starts + "); "
                             "if [ $1 = 0 ] && [ $n = 1 ]; then sleep 30; fi; "
                             "if [ $1 = 1 ]; then for i in 1 2 3 4 5 6; do touch " + hb +
                                 "; sleep 0.2; done; fi; exit 0",
                             400)};
  plan.stop_order = {"actor"};
  Supervisor sup(plan, launcher);
  std::vector<std::string> notices;
  sup.set_notice_handler([&](const std::string& line) { notices.push_back(line); });
  ASSERT_TRUE(sup.StartAll().ok());
  const auto restarts = PollUntilExited(sup);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_NE(notices[0].find("actor 0 gave no sign of life"), std::string::npos) << notices[0];
  EXPECT_EQ(restarts, (std::vector<std::pair<std::string, int>>{{"actor 0", 128 + 9}}));
  EXPECT_EQ(testing::ReadFile(dir.path() + "/starts-0"), "x\nx\n");
  EXPECT_EQ(testing::ReadFile(dir.path() + "/starts-1"), "x\n");
  EXPECT_TRUE(sup.StopAll(milliseconds(1000)).ok());
}

// Starting up is not a hang: before its first beat an instance gets the role's startup
// time (here 5 s against a 300 ms heartbeat timeout); after it, the heartbeat timeout.
TEST(SupervisorTest, StartupGetsItsOwnTimeAndTheHeartbeatTimeoutAppliesAfterTheFirstBeat) {
  testing::TempDir dir;
  LocalLauncher launcher("/unused", dir.path());
  LaunchPlan plan;
  const std::string hb = dir.path() + "/hb-$1", starts = dir.path() + "/starts-$1";
  // instance 0 starts slowly (1 s without a beat), then beats for 1 s and exits;
  // instance 1 beats once, then hangs on its first start (killed, restarted, exits)
  RoleSpec actor = WatchedActor(dir,
                                "echo x >> " + starts + "; n=$(wc -l < " + starts + "); "
                                "if [ $1 = 0 ]; then sleep 1; for i in 1 2 3 4 5 6 7 8 9 10; do touch " +
                                    hb + "; sleep 0.1; done; fi; "
                                "if [ $1 = 1 ] && [ $n = 1 ]; then touch " + hb + "; sleep 30; fi; exit 0",
                                300);
  actor.startup_timeout_ms = 5000;
  plan.roles = {actor};
  plan.stop_order = {"actor"};
  Supervisor sup(plan, launcher);
  std::vector<std::string> notices;
  const auto t0 = std::chrono::steady_clock::now();
  double noticed_s = -1;
  sup.set_notice_handler([&](const std::string& line) {
    notices.push_back(line);
    noticed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  });
  ASSERT_TRUE(sup.StartAll().ok());
  const auto restarts = PollUntilExited(sup);
  // instance 1 would hang for 30 s: it was killed a heartbeat timeout after its beat, not
  // at the end of the startup time (5 s)
  EXPECT_GT(noticed_s, 0.0);
  EXPECT_LT(noticed_s, 4.0);
  ASSERT_TRUE(sup.AllExited("actor"));
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_NE(notices[0].find("actor 1 gave no sign of life"), std::string::npos) << notices[0];
  EXPECT_EQ(restarts, (std::vector<std::pair<std::string, int>>{{"actor 1", 128 + 9}}));
  EXPECT_EQ(testing::ReadFile(dir.path() + "/starts-0"), "x\n");  // never killed
  EXPECT_EQ(testing::ReadFile(dir.path() + "/starts-1"), "x\nx\n");
  EXPECT_TRUE(sup.StopAll(milliseconds(1000)).ok());
}

// Told to stop, an instance stays stopped: one killed by the SIGTERM itself (signalled
// before it installed a handler: a collect whose target is reached while its actors start)
// is neither restarted nor a failure, and a restart still pending is dropped. A crash
// after the stop request is still a failure, and is not restarted either.
TEST(SupervisorTest, AStopRequestIsNeverUndoneByARestart) {
  testing::TempDir dir;
  LocalLauncher launcher("/unused", dir.path());
  LaunchPlan plan;
  const std::string starts = dir.path() + "/starts-$1";
  // 0: dies of the SIGTERM; 1: crashes at once (restart pending, 60 s backoff);
  // 2: handles the SIGTERM and exits cleanly
  RoleSpec actor = Shell("actor",
                         "echo x >> " + starts + "; "
                         "if [ $1 = 1 ]; then exit 3; fi; "
                         "if [ $1 = 2 ]; then trap 'exit 0' TERM; fi; "
                         "while true; do sleep 0.05; done",
                         OnExit::kFailsIfNonZero, 3);
  actor.restart = RestartPolicy::kOnFailure;
  actor.max_restarts = 3;
  actor.restart_backoff_ms = 60000;
  actor.stop_signal_exit_is_clean = true;
  plan.roles = {actor};
  plan.stop_order = {"actor"};
  Supervisor sup(plan, launcher);
  ASSERT_TRUE(sup.StartAll().ok());
  for (int t = 0; t < 300 && sup.restarts("actor") == 0; ++t) {
    ASSERT_EQ(sup.Poll(), Supervisor::State::kRunning);
    ::usleep(10000);
  }
  ASSERT_EQ(sup.restarts("actor"), 1);
  ::usleep(200000);  // instance 2 has set its trap
  sup.Signal("actor", SIGTERM);
  const auto t0 = std::chrono::steady_clock::now();
  while (!sup.AllExited("actor") && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5)) {
    ASSERT_EQ(sup.Poll(), Supervisor::State::kRunning) << sup.failure().message();
    ::usleep(10000);
  }
  ASSERT_TRUE(sup.AllExited("actor"));
  EXPECT_EQ(sup.Poll(), Supervisor::State::kRunning);
  EXPECT_EQ(sup.restarts("actor"), 1);
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(testing::ReadFile(dir.path() + "/starts-" + std::to_string(k)), "x\n") << k;
  }
  EXPECT_TRUE(sup.StoppedBeforeHandling("actor", 0));
  EXPECT_TRUE(sup.StoppedBeforeHandling("actor", 1));
  EXPECT_FALSE(sup.StoppedBeforeHandling("actor", 2));
  EXPECT_TRUE(sup.StopAll(milliseconds(1000)).ok());

  // a role with something to finish (a store sealing, a learner saving) that dies of the
  // stop signal has failed
  LaunchPlan store_plan;
  store_plan.roles = {Shell("store", "sleep 30", OnExit::kFailsRun)};
  store_plan.stop_order = {"store"};
  Supervisor sup3(store_plan, launcher);
  ASSERT_TRUE(sup3.StartAll().ok());
  ::usleep(100000);
  const Status stopped = sup3.StopAll(milliseconds(2000));
  EXPECT_NE(stopped.message().find("store failed (exit code 143)"), std::string::npos)
      << stopped.message();

  // a crash after the stop request: a failure, and no restart
  LaunchPlan crash;
  RoleSpec crasher = Shell("actor", "echo x >> " + starts + "; trap 'exit 5' TERM; "
                           "while true; do sleep 0.05; done", OnExit::kFailsIfNonZero);
  crasher.args.back() = "9";
  crasher.restart = RestartPolicy::kOnFailure;
  crasher.max_restarts = 3;
  crasher.restart_backoff_ms = 10;
  crash.roles = {crasher};
  crash.stop_order = {"actor"};
  Supervisor sup2(crash, launcher);
  ASSERT_TRUE(sup2.StartAll().ok());
  ::usleep(200000);
  sup2.Signal("actor", SIGTERM);
  EXPECT_EQ(PollUntilDone(sup2), Supervisor::State::kFailed);
  EXPECT_NE(sup2.failure().message().find("exit code 5"), std::string::npos) << sup2.failure().message();
  EXPECT_EQ(sup2.restarts("actor"), 0);
  EXPECT_EQ(testing::ReadFile(dir.path() + "/starts-9"), "x\n");
}

TEST(SupervisorTest, AFinishSeenTogetherWithTheExitsItCausesIsAFinish) {
  testing::TempDir dir;
  LocalLauncher launcher("/unused", dir.path());
  LaunchPlan plan;
  // the store (listed first) ends at the same moment as the learner: the learner's clean
  // exit decides.
  plan.roles = {Shell("store", "sleep 0.1; exit 0", OnExit::kFailsRun),
                Shell("learner", "sleep 0.1; exit 0", OnExit::kEndsRun)};
  plan.stop_order = {"learner", "store"};
  Supervisor sup(plan, launcher);
  ASSERT_TRUE(sup.StartAll().ok());
  ::usleep(500000);
  EXPECT_EQ(sup.Poll(), Supervisor::State::kFinished);
}

TEST(SupervisorTest, StoppingReportsWhatFailedOrHadToBeKilled) {
  testing::TempDir dir;
  LocalLauncher launcher("/unused", dir.path());
  LaunchPlan plan;
  plan.roles = {Shell("store", "trap 'echo cannot seal; exit 4' TERM; while true; do sleep 0.05; done",
                      OnExit::kFailsRun),
                Shell("actor", "sleep 30", OnExit::kFailsIfNonZero)};  // not in the stop order
  plan.stop_order = {"store"};
  Supervisor sup(plan, launcher);
  ASSERT_TRUE(sup.StartAll().ok());
  ::usleep(200000);
  const Status st = sup.StopAll(milliseconds(2000));
  EXPECT_NE(st.message().find("store failed (exit code 4)"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("cannot seal"), std::string::npos) << st.message();
  EXPECT_TRUE(sup.AllExited("actor"));  // stopped too, after the listed roles

  LaunchPlan stubborn;
  stubborn.roles = {Shell("store", "trap '' TERM; while true; do sleep 0.05; done", OnExit::kFailsRun)};
  stubborn.stop_order = {"store"};
  Supervisor sup2(stubborn, launcher);
  ASSERT_TRUE(sup2.StartAll().ok());
  ::usleep(200000);
  const Status killed = sup2.StopAll(milliseconds(300));
  EXPECT_EQ(killed.code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(killed.message().find("store did not stop within"), std::string::npos) << killed.message();
}

TEST(SupervisorTest, StopsRolesInThePlansOrder) {
  testing::TempDir dir;
  const std::string log = dir.path() + "/order";
  LocalLauncher launcher("/unused", dir.path());
  LaunchPlan plan;
  // each records its SIGTERM, then exits after a moment (so that the next role's stop
  // would show up first if the supervisor did not wait).
  const std::string script = "trap 'sleep 0.2; echo $0 >> " + log + "; exit 0' TERM; while true; do sleep 0.05; done";
  for (const char* role : {"store", "learner", "actor"}) {
    RoleSpec r = Shell(role, script, OnExit::kFailsIfNonZero);
    r.args = {"-c", script, role};
    plan.roles.push_back(r);
  }
  plan.stop_order = {"learner", "actor", "store"};
  Supervisor sup(plan, launcher);
  ASSERT_TRUE(sup.StartAll().ok());
  ::usleep(200000);
  EXPECT_TRUE(sup.StopAll(milliseconds(3000)).ok());
  EXPECT_EQ(testing::ReadFile(log), "learner\nactor\nstore\n");
}

}  // namespace
}  // namespace fleet::orchestrator
