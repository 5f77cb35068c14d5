# Compile bpf/<name>.bpf.c with clang -target bpf and generate its libbpf
# skeleton with `bpftool gen skeleton` into the build tree.
# Headers are tracked through a clang depfile, so editing an ABI header
# rebuilds both the BPF object and the user-space code that includes it.
find_program(KST_CLANG NAMES clang clang-14 REQUIRED)
find_program(KST_LLVM_STRIP NAMES llvm-strip llvm-strip-14 REQUIRED)
find_program(KST_BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin REQUIRED)

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  set(KST_BPF_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(KST_BPF_ARCH arm64)
else()
  message(FATAL_ERROR "kswaptrace: unsupported architecture ${CMAKE_SYSTEM_PROCESSOR}")
endif()

set(KST_BPF_GEN_DIR ${CMAKE_BINARY_DIR}/bpf)
file(MAKE_DIRECTORY ${KST_BPF_GEN_DIR})

function(kst_bpf_skeleton name)
  set(src ${PROJECT_SOURCE_DIR}/bpf/${name}.bpf.c)
  set(obj ${KST_BPF_GEN_DIR}/${name}.bpf.o)
  set(skel ${KST_BPF_GEN_DIR}/${name}.skel.h)
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${KST_CLANG} -g -O2 -Wall -Werror -target bpf -D__TARGET_ARCH_${KST_BPF_ARCH}
            -I${PROJECT_SOURCE_DIR}/vmlinux -I${PROJECT_SOURCE_DIR}/bpf
            -MD -MT ${obj} -MF ${obj}.d -c ${src} -o ${obj}.full
    COMMAND ${KST_LLVM_STRIP} -g ${obj}.full -o ${obj}
    DEPFILE ${obj}.d
    DEPENDS ${src}
    COMMENT "BPF ${name}.bpf.c"
    VERBATIM)
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${KST_BPFTOOL} gen skeleton ${obj} name ${name}_bpf > ${skel}
    DEPENDS ${obj}
    COMMENT "skeleton ${name}.skel.h"
    VERBATIM)
  add_custom_target(${name}_skel DEPENDS ${skel})
  add_library(${name}_skel_if INTERFACE)
  add_dependencies(${name}_skel_if ${name}_skel)
  target_include_directories(${name}_skel_if INTERFACE ${KST_BPF_GEN_DIR})
endfunction()
