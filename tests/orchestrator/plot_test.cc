#include "orchestrator/plot.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/test_util.h"

namespace fleet::orchestrator {
namespace {

void ExpectTicks(double lo, double hi, const std::vector<double>& want) {
  const std::vector<double> got = NiceTicks(lo, hi);
  ASSERT_EQ(got.size(), want.size()) << lo << ".." << hi;
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-9) << lo << ".." << hi;
}

TEST(NiceTicksTest, RoundStepsCoverTheRange) {
  // (hi - lo) / 5 rounded up to 1, 2 or 5 x 10^k: 97.4 -> 100, 74.6 -> 100,
  // 200089.6 -> 500000, 0.182 -> 0.2, (3.5 - 2.5) / 5 = 0.2.
  ExpectTicks(0, 487, {0, 100, 200, 300, 400, 500});
  ExpectTicks(-123, 250, {-200, -100, 0, 100, 200, 300});
  ExpectTicks(0, 1000448, {0, 500000, 1000000, 1500000});
  ExpectTicks(0.02, 0.93, {0, 0.2, 0.4, 0.6, 0.8, 1.0});
  ExpectTicks(3, 3, {2.4, 2.6, 2.8, 3.0, 3.2, 3.4, 3.6});
  ExpectTicks(0, 500, {0, 100, 200, 300, 400, 500});  // an end on a tick adds none past it
}

TEST(NiceTicksTest, LabelsAreShort) {
  EXPECT_EQ(TickLabel(250000), "250k");
  EXPECT_EQ(TickLabel(1500000), "1.5M");
  EXPECT_EQ(TickLabel(2000000), "2M");
  EXPECT_EQ(TickLabel(0.25), "0.25");
  EXPECT_EQ(TickLabel(-200), "-200");
}

// A run directory as a finished run leaves it: metrics.csv and summary.json.
std::string FakeRun(const std::string& dir) {
  testing::WriteFile(dir + "/metrics.csv",
                     "update,env_steps,wall_seconds,mean_return_100\n"
                     "1,1000,0.5,20\n2,120000,30,150.5\n3,240000,61,380\n4,487000,122,487\n");
  testing::WriteFile(dir + "/summary.json",
                     R"({"env_id": "CartPole-v1", "threshold": 475.0, "env_steps": 487000})");
  return dir;
}

TEST(PlotTest, TitleNamesTheEnvTicksAreRoundAndTheThresholdIsDrawn) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.path() + "/run");
  PlotOptions o;
  o.run_dirs = {FakeRun(dir.path() + "/run")};
  auto out = PlotRuns(o);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const std::string svg = testing::ReadFile(*out);
  EXPECT_NE(svg.find("CartPole-v1: mean_return_100, 1 run"), std::string::npos) << svg;
  for (const char* tick : {">0<", ">100<", ">500<", ">200k<", ">400k<", ">500k<"}) {
    EXPECT_NE(svg.find(tick), std::string::npos) << tick;
  }
  EXPECT_EQ(svg.find(">487<"), std::string::npos);  // no data-driven (unround) ticks
  EXPECT_NE(svg.find("threshold 475"), std::string::npos);
  EXPECT_NE(svg.find("stroke-dasharray"), std::string::npos);
  EXPECT_NE(svg.find(">env steps<"), std::string::npos);

  // wall-clock on the x axis; no threshold line on request.
  o.x = "wall";
  o.no_threshold = true;
  out = PlotRuns(o);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const std::string wall = testing::ReadFile(*out);
  EXPECT_NE(wall.find(">wall-clock (s)<"), std::string::npos);
  EXPECT_NE(wall.find(">50<"), std::string::npos);  // 0, 50, 100, 150 s
  EXPECT_NE(wall.find(">150<"), std::string::npos);
  EXPECT_EQ(wall.find("threshold"), std::string::npos);

  // a metric that is not a return gets no threshold line.
  o.x = "steps";
  o.no_threshold = false;
  o.metrics = {"wall_seconds"};
  out = PlotRuns(o);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(testing::ReadFile(*out).find("threshold"), std::string::npos);
}

// An offline (Decision Transformer) run: metrics.csv counts gradient steps, no env steps;
// evals.csv holds the in-training evaluations.
std::string FakeOfflineRun(const std::string& dir) {
  std::filesystem::create_directories(dir);
  testing::WriteFile(dir + "/metrics.csv",
                     "update,wall_seconds,updates_per_second,action_loss\n"
                     "100,30,3.3,0.9\n5000,1300,3.8,0.12\n10000,2600,3.8,0.08\n");
  testing::WriteFile(dir + "/evals.csv",
                     "update,wall_seconds,mean_return,std_return,d4rl_score,eval_seconds\n"
                     "2500,670,519.5,104.8,16.6,5.2\n5000,1340,1800,90,56.0,7\n"
                     "7500,2000,2400,80,74.4,8\n10000,2660,2500,70,77.5,8\n");
  testing::WriteFile(dir + "/summary.json", R"({"env_id": "Hopper-v5", "threshold": 3800.0})");
  return dir;
}

TEST(PlotTest, AnOfflineRunIsPlottedFromItsEvaluationsAgainstGradientSteps) {
  testing::TempDir dir;
  PlotOptions o;
  o.run_dirs = {FakeOfflineRun(dir.path() + "/dt")};
  auto out = PlotRuns(o);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  std::string svg = testing::ReadFile(*out);
  EXPECT_NE(svg.find("Hopper-v5: mean_return, 1 run"), std::string::npos) << svg;
  EXPECT_NE(svg.find("Hopper-v5: d4rl_score, 1 run"), std::string::npos);  // D4RL scores exist
  EXPECT_NE(svg.find(">gradient steps<"), std::string::npos);
  EXPECT_NE(svg.find(">10k<"), std::string::npos);    // x ticks 0 .. 10k
  EXPECT_NE(svg.find(">3000<"), std::string::npos);   // a y tick of the return panel (0 .. 4000)
  EXPECT_NE(svg.find("threshold 3800"), std::string::npos);

  // no D4RL reference scores (an env without them): no d4rl_score panel.
  testing::WriteFile(dir.path() + "/dt/evals.csv",
                     "update,wall_seconds,mean_return,std_return,d4rl_score,eval_seconds\n"
                     "2500,670,120,10,,5\n5000,1340,180,9,,5\n");
  out = PlotRuns(o);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(testing::ReadFile(*out).find("d4rl_score"), std::string::npos);

  // its metrics.csv on request, against gradient steps too.
  o.csv = "metrics";
  o.metrics = {"action_loss"};
  out = PlotRuns(o);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  svg = testing::ReadFile(*out);
  EXPECT_NE(svg.find("Hopper-v5: action_loss"), std::string::npos);
  EXPECT_NE(svg.find(">gradient steps<"), std::string::npos);

  // a column that is not there is named, with the ones that are.
  o.metrics = {"mean_return_100"};
  out = PlotRuns(o);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("metrics.csv has no column 'mean_return_100' (it has "
                                        "update, wall_seconds, updates_per_second, action_loss)"),
            std::string::npos)
      << out.status().ToString();

  // an offline run without evaluations (yet): its training loss by default.
  std::filesystem::remove(dir.path() + "/dt/evals.csv");
  o.csv = "auto";
  o.metrics.clear();
  out = PlotRuns(o);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_NE(testing::ReadFile(*out).find("Hopper-v5: action_loss"), std::string::npos);

  // an online run without evaluations asked for them; an unknown --csv.
  std::filesystem::create_directories(dir.path() + "/ppo");
  PlotOptions online;
  online.run_dirs = {FakeRun(dir.path() + "/ppo")};
  online.csv = "evals";
  out = PlotRuns(online);
  EXPECT_EQ(out.status().code(), StatusCode::kNotFound) << out.status().ToString();
  EXPECT_NE(out.status().message().find("no evals.csv"), std::string::npos);
  online.csv = "eval";
  EXPECT_EQ(PlotRuns(online).status().code(), StatusCode::kInvalidArgument);
  // an online and an offline run do not share an axis.
  PlotOptions mixed;
  mixed.run_dirs = {dir.path() + "/ppo", dir.path() + "/dt"};
  out = PlotRuns(mixed);
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument) << out.status().ToString();
  EXPECT_NE(out.status().message().find("is an offline run"), std::string::npos)
      << out.status().ToString();
  online.csv = "auto";  // an online run: metrics.csv, env steps
  out = PlotRuns(online);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_NE(testing::ReadFile(*out).find(">env steps<"), std::string::npos);
}

}  // namespace
}  // namespace fleet::orchestrator
