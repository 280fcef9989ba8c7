# EMBERVLM_SANITIZE (default OFF): AddressSanitizer and UndefinedBehaviorSanitizer on the torch-free
# and widget code: embervlm_base, embervlm_datasets, embervlm_scoring, embervlm_widgets, the studio
# shell and program, embervlm_bench_runs and every executable under tests/.
# scripts/test-sanitize.sh configures build-asan/ with it and runs the studio suites.
#
# The torch translation units (core's engine, the batches, training, the `embervlm` program) stay
# uninstrumented with the plain Release flags: the widget suites run the model, which would crawl
# under ASan, and those objects are the very compilations build/ makes (ccache can share them).
# Every program links the sanitizer runtimes, since each links at least one instrumented library.
option(EMBERVLM_SANITIZE "Build the torch-free and widget code with ASan and UBSan" OFF)

# What the tests run with (tests/CMakeLists.txt appends it to each test's ENVIRONMENT); the
# `embervlm` and crash children inherit it. Leak checking stays on: the studio suites leak
# nothing but what tests/lsan.supp names (Qt's, fontconfig's and LibTorch's caches stay
# reachable from globals, so LSan does not count them). An error ends the process with a
# non-zero exit (UBSan too: -fno-sanitize-recover). ASan's and LSan's reports go to
# <build>/sanitizer-reports/asan.<pid>, so that one from a child process whose exit a test
# tolerates is not lost: scripts/test-sanitize.sh prints them and fails when there is any.
# (GCC's UBSan runtime ignores log_path when linked with ASan: its reports go to stderr.)
set(EMBERVLM_SANITIZE_TEST_ENV "")

if(EMBERVLM_SANITIZE)
  set(_ember_san -fsanitize=address,undefined -fno-sanitize-recover=undefined)
  add_link_options(${_ember_san})
  set(_reports "${CMAKE_BINARY_DIR}/sanitizer-reports")
  file(MAKE_DIRECTORY "${_reports}")
  set(EMBERVLM_SANITIZE_TEST_ENV
      "ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1:log_path=${_reports}/asan"
      "LSAN_OPTIONS=suppressions=${CMAKE_SOURCE_DIR}/tests/lsan.supp:print_suppressions=0"
      "UBSAN_OPTIONS=print_stacktrace=1")

  # Applied once every directory has defined its targets (end of the top-level CMakeLists.txt).
  function(_embervlm_sanitize_targets)
    set(targets embervlm_base embervlm_datasets embervlm_scoring embervlm_widgets
                embervlm_studio_shell embervlm-studio embervlm_bench_runs)
    if(BUILD_TESTING)
      get_property(tests DIRECTORY "${CMAKE_SOURCE_DIR}/tests" PROPERTY BUILDSYSTEM_TARGETS)
      list(APPEND targets ${tests})
    endif()
    foreach(t IN LISTS targets)
      get_target_property(type ${t} TYPE)
      if(type MATCHES "EXECUTABLE|STATIC_LIBRARY|SHARED_LIBRARY|OBJECT_LIBRARY")
        target_compile_options(${t} PRIVATE ${_ember_san} -fno-omit-frame-pointer -g)
      endif()
    endforeach()
  endfunction()
  cmake_language(DEFER DIRECTORY "${CMAKE_SOURCE_DIR}" CALL _embervlm_sanitize_targets)
endif()
