#include <gtest/gtest.h>

#include "core/model/embedded_model.h"
#include "core/model/spec.h"

TEST(Smoke, EmbeddedModelFilesPresent) {
  EXPECT_GT(tl::resources::default_model_file("model.safetensors").size(), 1000000u);
  EXPECT_GT(tl::resources::default_model_file("config.json").size(), 10u);
  EXPECT_TRUE(tl::resources::default_model_file("nope").empty());
}
