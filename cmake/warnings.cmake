# Warning flags for the project's own code. Boost, OpenSSL and spdlog come from /usr/include and
# are system headers, so their warnings stay out of the way.
add_library(aic_proxy_warnings INTERFACE)
target_compile_options(aic_proxy_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion
  $<$<BOOL:${AIC_WERROR}>:-Werror>)
