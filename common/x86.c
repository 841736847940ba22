/* The names crash reports give exception vectors (SDM Vol. 3A, 6.15). */
#include "common/common.h"
#include "common/x86.h"

#include <kvmelf/abi.h>

bool x86_vector_has_error_code(unsigned vector)
{
    return vector < 32 && (((uint32_t)KVMELF_ERRCODE_VECTORS >> vector) & 1);
}

const char *x86_vector_name(unsigned vector)
{
    static const char *const names[] = {
        "divide error", "debug", "NMI", "breakpoint", "overflow",
        "bound range exceeded", "invalid opcode", "device not available",
        "double fault", "coprocessor segment overrun", "invalid TSS",
        "segment not present", "stack-segment fault", "general protection",
        "page fault", "reserved vector 15", "x87 floating-point error",
        "alignment check", "machine check", "SIMD floating-point exception",
        "virtualization exception", "control protection",
    };
    return vector < ARRAY_SIZE(names) ? names[vector] : "interrupt";
}
