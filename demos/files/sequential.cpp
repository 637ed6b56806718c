// files, sequential: the tutorial's example without asyncio. One loop calls
// blocking::process_file (spec.cpp: open().read(), upper(), open().write()) for each file;
// every read and write blocks the only thread until the disk is done, so the files are
// processed strictly one after another.
#include "demo.hpp"
#include "spec.hpp"

namespace cmbench::demos::files {

void sequential() {
  const Workdir dir = make_inputs();
  for (std::string_view name : inputs) blocking::process_file(dir, name);
  const std::string first = output_name(inputs[0]);
  say("{} begins: {}", first, first_line(read_text(dir / first)));
  check_outputs(dir);
  say("total {:.2f} s", elapsed_s());
}

}  // namespace cmbench::demos::files
