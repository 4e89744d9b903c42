#include "core/redop.hpp"

#include <string>

namespace cclbench {

const char* name(RedOp op) {
  switch (op) {
    case RedOp::kNone: return "none";
    case RedOp::kSum: return "sum";
    case RedOp::kProd: return "prod";
    case RedOp::kMin: return "min";
    case RedOp::kMax: return "max";
    case RedOp::kAvg: return "avg";
    case RedOp::kPreMulSum: return "mulsum";
  }
  return "?";
}

std::optional<RedOp> parseRedOp(std::string_view text) {
  for (RedOp op : {RedOp::kSum, RedOp::kProd, RedOp::kMin, RedOp::kMax, RedOp::kAvg,
                   RedOp::kPreMulSum}) {
    if (text == name(op)) return op;
  }
  if (text == "premulsum") return RedOp::kPreMulSum;
  return std::nullopt;
}

std::vector<RedOp> standardRedOps() {
  return {RedOp::kSum, RedOp::kProd, RedOp::kMax, RedOp::kMin, RedOp::kAvg};
}

}  // namespace cclbench
