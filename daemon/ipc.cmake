# Tier 3 analysis (pure, no kernel): windows of user instructions/cycles,
# the CPI regression, and the IPC recovery curve.
add_library(iotax_ipc STATIC
  ${CMAKE_CURRENT_LIST_DIR}/ipc_windows.cc
  ${CMAKE_CURRENT_LIST_DIR}/recovery_curve.cc
  ${CMAKE_CURRENT_LIST_DIR}/ipc_analyzer.cc)
target_include_directories(iotax_ipc PUBLIC ${CMAKE_CURRENT_LIST_DIR} ${PROJECT_SOURCE_DIR}/probes)
target_link_libraries(iotax_ipc PUBLIC absl::strings absl::str_format)

# Tier 3 in the daemon: the window sampler thread and the IPC metric families.
add_library(iotax_ipc_export STATIC
  ${CMAKE_CURRENT_LIST_DIR}/ipc_metrics.cc
  ${CMAKE_CURRENT_LIST_DIR}/ipc_sampler.cc)
target_link_libraries(iotax_ipc_export PUBLIC iotax_ipc prometheus-cpp::core Threads::Threads)
