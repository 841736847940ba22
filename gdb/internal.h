/* gdb/'s private helpers, shared by its files. */
#ifndef KVMELF_GDB_INTERNAL_H
#define KVMELF_GDB_INTERNAL_H

#include <stdint.h>

/* The value of one hex digit, or -1. */
int gdb_hex_value(uint8_t c);

#endif
