#include "stacks_view.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace iotax::stacks {

std::string FormatStacksSummary(const StacksView& view, const std::string& where) {
  std::string out =
      absl::StrCat("\nWhere threads blocked (top call sites by off-CPU time; flame graphs ", where, "):\n");
  absl::StrAppend(&out, FormatCallSites(view.call_sites));
  if (view.lost_offcpu_keys + view.lost_oncpu_keys > 0) {
    absl::StrAppend(&out, absl::StrFormat("  lost: %d off-CPU and %d on-CPU stack keys (the kernel's maps were full)\n",
                                          view.lost_offcpu_keys, view.lost_oncpu_keys));
  }
  if (!view.truncation.empty()) absl::StrAppend(&out, "  note: ", view.truncation, "\n");
  return out;
}

}  // namespace iotax::stacks
