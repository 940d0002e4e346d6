// End to end on the default model: 200 greedy tokens from BOS (one full forward pass per step, no
// cache), decoded with stories260K's tokenizer.json, equal the text llama2.c's run.c prints with
// temperature 0 (tests/data/stories260K/reference_vectors.txt).
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "core/forward/forward.h"
#include "core/model/model.h"
#include "core/tokenizer/tokenizer.h"

namespace tl {
namespace {

const std::filesystem::path kStories = std::filesystem::path(TL_TEST_DATA_DIR) / "stories260K";

// The lines after the "# run.c -t 0.0 -n 200" header, without run.c's final newline.
std::string run_c_text() {
  std::ifstream file(kStories / "reference_vectors.txt");
  std::string line, text;
  bool in_text = false;
  while (std::getline(file, line)) {
    if (in_text) {
      text += (text.empty() ? "" : "\n") + line;
    } else if (line.rfind("# run.c -t 0.0 -n 200", 0) == 0) {
      in_text = true;
    }
  }
  return text;
}

TEST(ForwardGeneration, Stories260KGreedy200TokenTextMatchesRunC) {
  auto model = load_model(kStories);
  ASSERT_TRUE(model.ok()) << model.error().message;
  auto tokenizer = Tokenizer::from_file(kStories / "tokenizer.json");
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  const std::string expected = run_c_text();
  ASSERT_FALSE(expected.empty());

  ForwardInput in;
  in.ids = {1};
  std::vector<int> generated;
  while (generated.size() < 200) {
    auto trace = forward(**model, in);
    ASSERT_TRUE(trace.ok()) << trace.error().message;
    Eigen::Index next = 0;
    trace->logits.row(trace->num_tokens() - 1).maxCoeff(&next);
    ASSERT_NE(next, 1) << "BOS generated at step " << generated.size() << " (run.c would stop there)";
    generated.push_back(int(next));
    in.ids.push_back(int(next));
  }
  EXPECT_EQ(tokenizer->decode(generated), expected);
}

}  // namespace
}  // namespace tl
