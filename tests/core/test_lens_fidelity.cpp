// operator_fidelity (core/lens/fidelity.h): the composed operator rebuilds the traced hidden
// states of every family (float64 trace: < 1e-9 relative; float32 trace: < 1e-4), and a trace
// whose recorded output was tampered with shows up as a large error at that block and after.
#include "core/lens/fidelity.h"
#include "tests/core/lens_test_util.h"

namespace tl {
namespace {

using namespace lens_test;

struct FamilyCase {
  Family family;
  Activation act;
  const char* name;
};

const FamilyCase kFamilies[] = {
    {Family::Gpt2, Activation::GeluTanh, "gpt2"}, {Family::Bert, Activation::GeluErf, "bert"},
    {Family::Roberta, Activation::GeluErf, "roberta"}, {Family::GptNeox, Activation::GeluErf, "neox"},
    {Family::Llama, Activation::Silu, "llama_gqa"},
};

class FidelityFamily : public ::testing::TestWithParam<FamilyCase> {};

TEST_P(FidelityFamily, ExactOnItsOwnTrace) {
  const Model m = make_family_model(GetParam().family, 21, GetParam().act);
  for (Precision p : {Precision::Float64, Precision::Float32}) {
    const Trace t = run_forward(m, make_input(m, 6, 8), p);
    auto f = lens::operator_fidelity(m, t);
    ASSERT_TRUE(f.ok()) << f.error().message;
    ASSERT_EQ(static_cast<int>(f->after_block.size()), m.spec.num_layers);
    const double tolerance = p == Precision::Float64 ? 1e-9 : 1e-4;
    EXPECT_LT(f->max_relative_error, tolerance) << GetParam().name;
    EXPECT_LE(f->end_to_end, f->max_relative_error);
  }
}

TEST_P(FidelityFamily, TamperedTraceIsCaught) {
  const Model m = make_family_model(GetParam().family, 22, GetParam().act);
  Trace t = run_forward(m, make_input(m, 5, 9));
  t.blocks[0].output.row(2) *= 1.5;  // the recorded output of block 1 no longer matches its operator
  auto f = lens::operator_fidelity(m, t);
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_GT(f->after_block[0], 0.1);
  EXPECT_GT(f->max_relative_error, 0.1);
}

INSTANTIATE_TEST_SUITE_P(Families, FidelityFamily, ::testing::ValuesIn(kFamilies),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Fidelity, RejectsATraceOfAnotherModel) {
  const Model m = make_family_model(Family::Gpt2, 23);
  Trace t = run_forward(m, make_input(m, 4, 10));
  t.blocks.pop_back();
  EXPECT_FALSE(lens::operator_fidelity(m, t).ok());
}

}  // namespace
}  // namespace tl
