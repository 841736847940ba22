/* The floor program's guest memory layout and modes (bench/floor.c). */
#ifndef KVMELF_BENCH_FLOOR_H
#define KVMELF_BENCH_FLOOR_H

#define FLOOR_HELLO    0
#define FLOOR_OUTS     1
#define FLOOR_REPOUTS  2

#define FLOOR_RAM      0x200000   /* one 2 MiB page */
#define FLOOR_PML4_GPA 0x1000
#define FLOOR_PDPT_GPA 0x2000
#define FLOOR_PD_GPA   0x3000
#define FLOOR_GDT_GPA  0x4000
#define FLOOR_TSS_GPA  0x5000     /* + I/O bitmap: 0x5000-0x7069 */
#define FLOOR_DESC_GPA 0x8000
#define FLOOR_MSG_GPA  0x9000
#define FLOOR_CODE_GPA 0x10000
#define FLOOR_DATA_GPA 0x100000   /* rep outsb source, up to 1 MiB */
#define FLOOR_DATA_MAX 0x100000

#endif
