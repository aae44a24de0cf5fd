find_package(nlohmann_json 3 REQUIRED)  # Debian: nlohmann-json3-dev

add_library(iotax_verdict STATIC
  ${CMAKE_CURRENT_LIST_DIR}/target_window.cc
  ${CMAKE_CURRENT_LIST_DIR}/blocking_model.cc
  ${CMAKE_CURRENT_LIST_DIR}/async_cost.cc
  ${CMAKE_CURRENT_LIST_DIR}/verdict.cc
  ${CMAKE_CURRENT_LIST_DIR}/calibration_store.cc
  ${CMAKE_CURRENT_LIST_DIR}/calibration_math.cc
  ${CMAKE_CURRENT_LIST_DIR}/calibration_check.cc
  ${CMAKE_CURRENT_LIST_DIR}/calibration_retry.cc
  ${CMAKE_CURRENT_LIST_DIR}/machine_load.cc
  ${CMAKE_CURRENT_LIST_DIR}/report.cc
  ${CMAKE_CURRENT_LIST_DIR}/report_json.cc
  ${CMAKE_CURRENT_LIST_DIR}/report_text.cc
  ${CMAKE_CURRENT_LIST_DIR}/process_facts.cc
  ${CMAKE_CURRENT_LIST_DIR}/subprocess.cc
  ${CMAKE_CURRENT_LIST_DIR}/window_sampler.cc
  ${CMAKE_CURRENT_LIST_DIR}/iotax_cli.cc)
target_include_directories(iotax_verdict PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(iotax_verdict PUBLIC iotax_daemon iotax_ipc nlohmann_json::nlohmann_json
  absl::strings absl::str_format absl::time absl::status absl::statusor)

# iotaxd's verdict loop, metrics, JSON endpoints and the embedded page.
set(_web_page_cc ${CMAKE_CURRENT_BINARY_DIR}/gen/web_page_data.cc)
add_custom_command(
  OUTPUT ${_web_page_cc}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_CURRENT_BINARY_DIR}/gen
  COMMAND ${CMAKE_COMMAND} -DINPUT=${CMAKE_CURRENT_LIST_DIR}/web/index.html -DOUTPUT=${_web_page_cc}
          -P ${CMAKE_CURRENT_LIST_DIR}/embed_web_page.cmake
  DEPENDS ${CMAKE_CURRENT_LIST_DIR}/web/index.html ${CMAKE_CURRENT_LIST_DIR}/embed_web_page.cmake
  COMMENT "Embedding daemon/web/index.html"
  VERBATIM)
add_library(iotax_verdict_web STATIC
  ${CMAKE_CURRENT_LIST_DIR}/verdict_sampler.cc
  ${CMAKE_CURRENT_LIST_DIR}/verdict_metrics.cc
  ${CMAKE_CURRENT_LIST_DIR}/series_json.cc
  ${CMAKE_CURRENT_LIST_DIR}/web_routes.cc
  ${_web_page_cc})
target_link_libraries(iotax_verdict_web PUBLIC iotax_verdict prometheus-cpp::core Threads::Threads)
