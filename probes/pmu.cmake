# The kernel's answer on hardware counters: no dependency, so the bench's
# machine description (clients/) asks the same question the agent does.
add_library(iotax_pmu_kernel_answer STATIC ${CMAKE_CURRENT_LIST_DIR}/pmu_kernel_answer.cc)
target_include_directories(iotax_pmu_kernel_answer PUBLIC ${CMAKE_CURRENT_LIST_DIR})

# PMU set-up (tier 3): libpfm4 event encoding, per-CPU perf_event counters,
# and the PAPI capability probe.
add_library(iotax_pmu STATIC
  ${CMAKE_CURRENT_LIST_DIR}/pmu_events.cc
  ${CMAKE_CURRENT_LIST_DIR}/perf_counters.cc
  ${CMAKE_CURRENT_LIST_DIR}/pmu_capability.cc
  ${CMAKE_CURRENT_LIST_DIR}/pmu_setup.cc)
target_include_directories(iotax_pmu PUBLIC ${CMAKE_CURRENT_LIST_DIR} ${PROJECT_SOURCE_DIR}/bpf
                           PRIVATE ${PFM_INCLUDE_DIR})
target_link_libraries(iotax_pmu
  PUBLIC iotax_pmu_kernel_answer iotax_proc absl::status absl::statusor absl::strings
  PRIVATE PkgConfig::PAPI ${PFM_LIBRARY})
