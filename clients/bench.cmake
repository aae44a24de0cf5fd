# iotax-bench: the experiment runner (config -> matrix -> runs -> results.json,
# CSV, plots, report.md). The library holds everything but main() so the
# tests link it.
find_package(nlohmann_json 3 REQUIRED)  # Debian: nlohmann-json3-dev

add_library(iotax_bench STATIC
  agent_session.cc
  bench_aggregate.cc
  bench_config.cc
  bench_matrix.cc
  bench_presets.cc
  bench_report.cc
  bench_runner.cc
  bench_session.cc
  child_process.cc
  cpu_interrupts.cc
  http_get.cc
  machine_info.cc
  process_accounting.cc
  progress.cc
  proof_analysis.cc
  results_store.cc
  run_record.cc
  saturation.cc)
target_include_directories(iotax_bench PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(iotax_bench PUBLIC iotax_client iotax_net iotax_pmu_kernel_answer nlohmann_json::nlohmann_json
  absl::status absl::statusor absl::strings absl::str_format absl::time Threads::Threads)
target_compile_definitions(iotax_bench PRIVATE IOTAX_BENCH_VERSION="${PROJECT_VERSION}")

add_executable(iotax-bench bench_main.cc)
target_link_libraries(iotax-bench PRIVATE iotax_bench absl::flags absl::flags_parse)
target_compile_definitions(iotax-bench PRIVATE IOTAX_BENCH_VERSION="${PROJECT_VERSION}")
