# Tier 3 analysis (pure, no kernel): windows of user instructions/cycles,
# the CPI regression, and the IPC recovery curve.
add_library(iotax_ipc STATIC
  ${CMAKE_CURRENT_LIST_DIR}/ipc_windows.cc
  ${CMAKE_CURRENT_LIST_DIR}/recovery_curve.cc)
target_include_directories(iotax_ipc PUBLIC ${CMAKE_CURRENT_LIST_DIR} ${PROJECT_SOURCE_DIR}/probes)
target_link_libraries(iotax_ipc PUBLIC absl::strings absl::str_format)
