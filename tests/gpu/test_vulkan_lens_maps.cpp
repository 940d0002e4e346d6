// Every TensorLens map computed by the engine on the Vulkan backend equals the CPU backend's map
// (docs/TENSORLENS.md §5.6): stories260K (the embedded model: GQA, RoPE, RMSNorm, SiLU gates) and one small
// model per family (post-LN BERT, parallel NeoX, GPT-2, Llama), every method and strategy, fused
// and unfused, cumulative series. Bound: max|gpu - cpu| / max|cpu| < 1e-4
// for the maps and their bias parts (both backends float32).
#include <gtest/gtest.h>

#include "core/backend/cpu_backend.h"
#include "core/forward/forward.h"
#include "core/gpu/vulkan_backend.h"
#include "core/lens/analysis.h"
#include "core/model/model.h"
#include "gpu_test_support.h"
#include "tests/core/lens_test_util.h"

namespace tl::gpu {
namespace {

using lens::Fusion;
using lens::LensMethod;
using lens::MapRequest;
using lens::Series;
using lens::Strategy;

constexpr double kBound = 1e-4;

double relative(const Eigen::MatrixXd& got, const Eigen::MatrixXd& want) {
  if (got.rows() != want.rows() || got.cols() != want.cols()) return INFINITY;
  if (want.size() == 0) return 0.0;
  const double scale = want.cwiseAbs().maxCoeff();
  return (got - want).cwiseAbs().maxCoeff() / (scale > 0 ? scale : 1.0);
}

struct Case {
  LensMethod method;
  Strategy strategy;
  Fusion fusion;
};

// Each method once, each strategy at least twice, fused and unfused column slices (fusion runs
// gemm_per_token). Kept to these seven because lavapipe computes at about 1 GFLOP/s.
const Case kCases[] = {
    {LensMethod::TensorLens, Strategy::ColumnSlices, Fusion::Off},
    {LensMethod::TensorLens, Strategy::ColumnSlices, Fusion::On},
    {LensMethod::TensorLens, Strategy::RowSlices, Fusion::Off},
    {LensMethod::In, Strategy::InputContracted, Fusion::Off},
    {LensMethod::Out, Strategy::RowSlices, Fusion::Off},
    {LensMethod::InOut, Strategy::InputContracted, Fusion::Off},
    {LensMethod::InOut, Strategy::ColumnSlices, Fusion::On},
};

// Compares the cumulative series of every case on both backends.
void expect_same_maps(const Model& model, const Trace& trace, const std::string& what) {
  testing::quiet_vulkan_loader();
  auto vk = VulkanBackend::create();
  if (!vk.ok()) GTEST_SKIP() << "no Vulkan: " << vk.error().message;
  VulkanBackend& gpu = **vk;
  CpuBackend cpu(1);
  for (const Case& c : kCases) {
    MapRequest request;
    request.method = c.method;
    request.strategy = c.strategy;
    request.fusion = c.fusion;
    const std::string label = what + " " + lens::to_string(c.method) + " " + lens::to_string(c.strategy) +
                              (c.fusion == Fusion::On ? " fused" : "");
    auto want = lens::compute_map_series(model, trace, request, Series::Cumulative, cpu);
    ASSERT_TRUE(want.ok()) << label << ": " << want.error().message;
    auto got = lens::compute_map_series(model, trace, request, Series::Cumulative, gpu);
    ASSERT_TRUE(got.ok()) << label << ": " << got.error().message;
    ASSERT_TRUE(gpu.status().ok()) << label << ": " << gpu.status().error().message;
    ASSERT_EQ(got->size(), want->size()) << label;
    for (std::size_t l = 0; l < want->size(); ++l) {
      EXPECT_LT(relative((*got)[l].values, (*want)[l].values), kBound) << label << " map " << l;
      EXPECT_LT(relative((*got)[l].bias, (*want)[l].bias), kBound) << label << " bias " << l;
    }
  }
}

TEST(VulkanLensMaps, Stories260KMatchesTheCpu) {
  auto model = load_embedded_model();
  ASSERT_TRUE(model.ok()) << model.error().message;
  ForwardInput input;
  for (int i = 0; i < 7; ++i) input.ids.push_back((i * 37 + 5) % (*model)->spec.vocab_size);
  auto trace = forward(**model, input);
  ASSERT_TRUE(trace.ok()) << trace.error().message;
  expect_same_maps(**model, *trace, "stories260K");
}

TEST(VulkanLensMaps, EveryFamilyMatchesTheCpu) {
  for (Family family : {Family::Gpt2, Family::Bert, Family::GptNeox, Family::Llama}) {
    const Model model = lens_test::make_family_model(family, 7);
    const Trace trace = lens_test::run_forward(model, lens_test::make_input(model, 7, 3), Precision::Float32);
    expect_same_maps(model, trace, "family " + std::to_string(int(family)));
  }
}

}  // namespace
}  // namespace tl::gpu
