#pragma once
// Post-processors of tokenizer.json ("post_processor"): TemplateProcessing, BertProcessing,
// RobertaProcessing, ByteLevel and Sequence. They add the special tokens around the encoded
// sequence(s) and assign token type ids.
#include <memory>
#include <string>
#include <vector>

#include "core/tokenizer/json_fields.h"
#include "core/tokenizer/tokenizer.h"

namespace tl::tok {

// The encoding of one input text, with the text's size so that special tokens inserted after it
// can get an empty span at its end.
struct SeqEncoding {
  Encoding enc;
  std::size_t text_size = 0;
};

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  // encodings holds one entry per input text (1 or 2); afterwards, the parts to concatenate.
  virtual void process(std::vector<SeqEncoding>& encodings, bool add_special_tokens) const = 0;
};

Result<std::unique_ptr<PostProcessor>> parse_post_processor(const Json& j, const std::string& path);

struct SpecialTokenRef {
  std::string token;
  int id = -1;
};
// "[CLS] $A [SEP]" / "[CLS] $A [SEP] $B:1 [SEP]:1", for vocab.txt folders.
std::unique_ptr<PostProcessor> make_bert_post_processor(SpecialTokenRef cls, SpecialTokenRef sep);
// Byte-level offset trimming (leading/trailing spaces leave token spans), for vocab.json folders.
std::unique_ptr<PostProcessor> make_byte_level_post_processor(bool add_prefix_space, bool trim_offsets);

}  // namespace tl::tok
