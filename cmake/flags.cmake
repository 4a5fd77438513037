# Warnings for our code; sanitizer presets via -DMLKUBE_SANITIZE=address|undefined|thread.
add_compile_options(-Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers)
set(MLKUBE_SANITIZE "" CACHE STRING "Sanitizer to build with (address, undefined, thread)")
if(MLKUBE_SANITIZE)
  add_compile_options(-fsanitize=${MLKUBE_SANITIZE} -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${MLKUBE_SANITIZE})
endif()
