/*
 * kvmelf guest ABI, version 1: the single source of truth shared by the
 * monitor (host), the guest runtime (C and assembly) and the guest linker
 * script (run through cpp with __ASSEMBLER__ defined).  docs/abi.md explains
 * every item; change both together and bump KVMELF_ABI_VERSION when a guest
 * built against the old values could misbehave.
 *
 * Only #define lines may appear outside the C-only section below, and their
 * values must be integers (or parenthesized sums of them, which ld also
 * evaluates) without C suffixes, so that ld and gas can read them too.
 */
#ifndef KVMELF_ABI_H
#define KVMELF_ABI_H

#define KVMELF_ABI_VERSION 1

/* ---- Guest-physical memory map (virtual == physical everywhere) ---------
 * One KVM memory slot covers [0, RAM size).  The first MiB belongs to the
 * monitor; only the pages marked "user" below are reachable from ring 3. */
#define KVMELF_PAGE_SIZE        0x1000

#define KVMELF_NULL_PAGE        0x0      /* not present: NULL faults        */
#define KVMELF_GDT_ADDR         0x1000   /* GDT incl. 16-byte TSS descriptor */
#define KVMELF_IDT_ADDR         0x2000   /* 256 gates x 16 bytes            */
#define KVMELF_TSS_ADDR         0x3000   /* TSS + I/O bitmap, 3 pages       */
#define KVMELF_STUB_ADDR        0x6000   /* ring-0 exception stubs, 2 pages */
#define KVMELF_KSTACK_ADDR      0x8000   /* ring-0 stack (TSS.RSP0), 16 KiB */
#define KVMELF_KSTACK_TOP       0xC000
#define KVMELF_IST_DF_TOP       0xD000   /* IST1: double fault              */
#define KVMELF_IST_NMI_TOP      0xE000   /* IST2: NMI                       */
#define KVMELF_IST_MC_TOP       0xF000   /* IST3: machine check             */
#define KVMELF_SYSCALL_ENTRY_ADDR 0xF000 /* user R X: SYSCALL entry (LSTAR)  */
#define KVMELF_PT_ADDR          0x10000  /* page tables, allocated upward   */
#define KVMELF_PT_END           0x80000
#define KVMELF_BOOT_INFO_ADDR   0x80000  /* user, read-only                 */
#define KVMELF_BOOT_INFO_END    0x81000
#define KVMELF_RESERVED_END     0x100000 /* first byte a segment may use    */

/* The stack occupies the top of RAM; one unmapped guard page sits below it.
 * PT_LOAD segments must lie in [KVMELF_RESERVED_END, RAM size - stack size
 * - KVMELF_GUARD_SIZE).  The stack size is --stack, or by default Linux's
 * 8 MiB where RAM allows it: RAM / 8, from KVMELF_STACK_SMALL up to
 * KVMELF_STACK_DEFAULT (64 MiB of RAM and more get 8 MiB).  Guests read
 * the result from the boot info (heap_end is the guard page). */
#define KVMELF_STACK_DEFAULT    0x800000 /* 8 MiB, Linux's RLIMIT_STACK   */
#define KVMELF_STACK_SMALL      0x40000  /* 256 KiB: the default at 2 MiB  */
#define KVMELF_STACK_MIN        0x4000   /* 16 KiB: the least --stack     */
#define KVMELF_GUARD_SIZE       0x1000

#define KVMELF_MEM_DEFAULT      0x4000000    /* 64 MiB */
#define KVMELF_MEM_MIN          0x200000     /* 2 MiB  */
#define KVMELF_MEM_MAX          0x1000000000 /* 64 GiB: page-table area limit */

/* ---- Segment selectors (GDT index << 3 | RPL) --------------------------
 * Order follows SYSCALL/SYSRET: user data sits right below user code. */
#define KVMELF_SEL_KERNEL_CS    0x08
#define KVMELF_SEL_KERNEL_DS    0x10
#define KVMELF_SEL_USER_DS      0x1B
#define KVMELF_SEL_USER_CS      0x23
#define KVMELF_SEL_TSS          0x28
#define KVMELF_GDT_ENTRIES      7    /* null, 4 segments, TSS (2 slots) */

/* ---- I/O ports ---------------------------------------------------------- */
#define KVMELF_PORT_COM1        0x3F8  /* 16550 UART, 8 registers           */
#define KVMELF_PORT_COM1_LAST   0x3FF
#define KVMELF_PORT_DEBUGCON    0xE9   /* Bochs/QEMU debug console: prints  */
#define KVMELF_PORT_EXIT        0x500  /* 32-bit write: exit with value & 255 */
#define KVMELF_PORT_QEMU_EXIT   0xF4   /* isa-debug-exit: status v << 1 | 1  */
#define KVMELF_PORT_TRAP        0x510  /* monitor only: exception stubs     */
#define KVMELF_PORT_TRAP_LAST   0x513  /* ... the range ring 3 may not use  */
#define KVMELF_PORT_SYSCALL     0x520  /* the SYSCALL entry page reports here */
/* At that report RAX holds the call number moved up by this many bits,
 * and AX the low 16 bits of RDX (the entry needs DX for the port). */
#define KVMELF_SYSCALL_NR_SHIFT 16
/* 32-bit write of the guest address of a struct kvmelf_write_desc: the
 * buffer it names goes to stdout in one exit (docs/abi.md, "Bulk write"). */
#define KVMELF_PORT_WRITE       0x504
/* kvmelf_write_desc.flags: this descriptor is the guest's stdout buffer;
 * whatever it holds when the guest ends (exit, crash, timeout) is written
 * then.  The latest such write registers it. */
#define KVMELF_WRITE_REGISTER   0x1

/* 16550 register offsets from KVMELF_PORT_COM1 and the bits the monitor
 * models.  LSR_BREAK is set (with LSR_DATA_READY clear) once stdin is at
 * end of input: this is how a guest sees EOF. */
#define KVMELF_UART_RBR_THR     0
#define KVMELF_UART_LSR         5
#define KVMELF_UART_LSR_DATA_READY  0x01
#define KVMELF_UART_LSR_BREAK       0x10
#define KVMELF_UART_LSR_THR_EMPTY   0x20
#define KVMELF_UART_LSR_TX_EMPTY    0x40

/* ---- Exception stubs ----------------------------------------------------
 * Vector v's stub starts at KVMELF_STUB_ADDR + v * KVMELF_STUB_STRIDE.  It
 * pushes (error code or 0, v) and reports through KVMELF_PORT_TRAP with the
 * frame below at RSP; the monitor may edit the saved RIP before resuming. */
#define KVMELF_STUB_STRIDE      16
/* Bit v set: the CPU pushes an error code for vector v (SDM Vol. 3A,
 * table 6-1: #DF #TS #NP #SS #GP #PF #AC #CP #VC #SX); other stubs push 0. */
#define KVMELF_ERRCODE_VECTORS  0x60227d00
#define KVMELF_IDT_VECTORS      256

#define KVMELF_BOOT_MAGIC       0x454d564b /* "KVME" */
#define KVMELF_BOOT_RING0       0x1        /* boot_info.flags: guest in ring 0 */
#define KVMELF_BOOT_STDOUT_TTY  0x2        /* stdout is a terminal: line-buffer */
#define KVMELF_BOOT_WRITE_PORT  0x4        /* KVMELF_PORT_WRITE is available */

#ifndef __ASSEMBLER__
#include <stdint.h>

/* Entry state: 64-bit long mode, CS = KVMELF_SEL_USER_CS (ring 3) or
 * KVMELF_SEL_KERNEL_CS with --ring0, RIP = e_entry, RDI =
 * KVMELF_BOOT_INFO_ADDR, interrupts off, EFER.SCE set.  RSP (16-byte
 * aligned, a little below the RAM size) points at argc, argv[], envp[] and
 * the auxiliary vector as Linux starts a static program, so libc's _start
 * works unchanged; a freestanding guest may use RDI's boot info instead.
 * SYSCALL enters KVMELF_SYSCALL_ENTRY_ADDR (LSTAR), which reports on
 * KVMELF_PORT_SYSCALL; docs/abi.md section 11 has the protocol. */
struct kvmelf_boot_info {
    uint32_t magic;          /* KVMELF_BOOT_MAGIC                          */
    uint32_t abi_version;    /* KVMELF_ABI_VERSION                         */
    uint64_t ram_size;       /* bytes of guest RAM from address 0          */
    uint64_t heap_start;     /* first free page after the highest segment  */
    uint64_t heap_end;       /* the stack guard page starts here           */
    uint64_t stack_top;      /* top of the stack (RSP starts below it)     */
    uint64_t argc;           /* argv[0] is the ELF path as given           */
    uint64_t argv;           /* guest address of char *argv[argc + 1]: the
                                process entry's, on the stack              */
    uint64_t cmdline;        /* guest address: argv joined by spaces (on
                                the stack, above the strings)             */
    uint32_t flags;          /* KVMELF_BOOT_*                              */
    uint32_t reserved;
};

/* Named by a write to KVMELF_PORT_WRITE; lies anywhere in guest RAM below
 * 4 GiB.  Once the bytes are written the monitor sets len to 0, so bytes
 * are never written twice (not even when the run ends before the guest
 * resumes). */
struct kvmelf_write_desc {
    uint64_t addr;           /* guest address of the bytes                 */
    uint32_t len;            /* bytes to write                             */
    uint32_t flags;          /* KVMELF_WRITE_*; other bits must be 0       */
};

/* What an exception stub leaves at RSP when it writes KVMELF_PORT_TRAP. */
struct kvmelf_trap_frame {
    uint64_t rdx, rax;       /* saved by the stub before it used them      */
    uint64_t vector;
    uint64_t error_code;     /* 0 for vectors without one                  */
    uint64_t rip, cs, rflags, rsp, ss;  /* pushed by the CPU               */
};

_Static_assert(sizeof(struct kvmelf_boot_info) == 72, "boot info layout");
_Static_assert(sizeof(struct kvmelf_trap_frame) == 72, "trap frame layout");
_Static_assert(sizeof(struct kvmelf_write_desc) == 16, "write desc layout");
#endif /* !__ASSEMBLER__ */

#endif /* KVMELF_ABI_H */
