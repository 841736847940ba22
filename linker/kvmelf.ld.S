/*
 * kvmelf guest linker script.  The Makefile runs it through cpp
 * (-E -P -x assembler-with-cpp -D__ASSEMBLER__) so that the addresses come
 * from the single ABI header instead of being repeated here.
 *
 * Layout (virtual == physical):
 *
 *   KVMELF_RESERVED_END  .text     R X   segment "text"
 *   next page            .rodata   R     segment "rodata"
 *   next page            .data     R W   segment "data" (file-backed)
 *                        .bss      R W   same segment, memsz > filesz
 *
 * Every segment starts on its own page so that the monitor can give each
 * page exactly the permissions of the one segment that covers it (no page
 * ever needs to be writable and executable at once).  The ELF and program
 * headers are not loaded: nothing in the guest reads them.
 */
#include <kvmelf/abi.h>

OUTPUT_FORMAT("elf64-x86-64")
OUTPUT_ARCH(i386:x86-64)
ENTRY(_start)
/* crt0 lives in the runtime archive: make sure it is pulled in. */
EXTERN(_start)

/* Explicit program headers, so the permissions are what we say rather than
 * what ld infers from the section flags.  FLAGS: X = 1, W = 2, R = 4. */
PHDRS
{
    text   PT_LOAD FLAGS(5);        /* R X */
    rodata PT_LOAD FLAGS(4);        /* R   */
    data   PT_LOAD FLAGS(6);        /* R W */
    stack  PT_GNU_STACK FLAGS(6);   /* documents a non-executable stack */
}

SECTIONS
{
    /* Everything below this address belongs to the monitor (GDT, IDT, TSS,
     * page tables, boot info, argv). */
    . = KVMELF_RESERVED_END;
    __image_start = .;

    .text ALIGN(KVMELF_PAGE_SIZE) : {
        __text_start = .;
        KEEP(*(.text.start))        /* crt0's _start first: easy to find */
        *(.text.unlikely .text.*_unlikely .text.unlikely.*)
        *(.text.startup .text.startup.*)
        *(.text.hot .text.hot.*)
        *(.text .text.*)
        __text_end = .;
    } :text

    /* .data.rel.ro only needs relocating at link time in a static,
     * position-dependent image, so it is as read-only as .rodata. */
    .rodata ALIGN(KVMELF_PAGE_SIZE) : {
        __rodata_start = .;
        *(.rodata .rodata.*)
        *(.data.rel.ro .data.rel.ro.*)
        __rodata_end = .;
    } :rodata

    .data ALIGN(KVMELF_PAGE_SIZE) : {
        __data_start = .;
        *(.data .data.*)
        /* The GOT normally stays empty (-fno-pic, static): keep it
         * writable and in a known place in case libgcc needs one. */
        *(.got) *(.got.plt)
        __data_end = .;
    } :data

    /* Zero-filled by the loader (memsz > filesz), not by crt0. */
    .bss : {
        __bss_start = .;
        *(.bss .bss.*)
        *(COMMON)
        __bss_end = .;
    } :data

    _end = .;
    __image_end = .;

    /* Unwind tables and notes are useless to a freestanding guest and
     * would only add segments (PT_NOTE, PT_GNU_PROPERTY, PT_GNU_EH_FRAME).
     * This must come before .unexpected: an input section goes to the first
     * rule that matches it. */
    /DISCARD/ : {
        *(.comment)
        *(.note .note.*)
        *(.eh_frame .eh_frame.* .eh_frame_hdr)
    }

    /* Loaded sections we have no rule for: constructors (.init_array,
     * .ctors: crt0 does not run them), TLS (.tdata/.tbss: no thread
     * pointer is set up), IFUNC (.iplt, .rela.iplt: nothing applies
     * IRELATIVE relocations), large-model sections, ...  They all land
     * here and the ASSERT below rejects any that is not empty.  The IFUNC
     * sections are named because ld creates them itself and the flag
     * pattern does not see them.  Non-loaded sections (.debug_*, ...) stay
     * orphans and are placed by ld as usual. */
    .unexpected : {
        *(.iplt) *(.rela.iplt) *(.igot.plt)
        INPUT_SECTION_FLAGS(SHF_ALLOC) *(*)
    }
}

ASSERT(DEFINED(_start), "kvmelf.ld: no _start (is the runtime linked?)")
ASSERT(__image_start >= KVMELF_RESERVED_END,
       "kvmelf.ld: image starts below KVMELF_RESERVED_END")
ASSERT(__text_start >= KVMELF_RESERVED_END,
       "kvmelf.ld: .text below KVMELF_RESERVED_END")
ASSERT(_start >= __text_start && _start < __text_end,
       "kvmelf.ld: _start is not in .text")
ASSERT(__image_end >= __image_start, "kvmelf.ld: image wraps around")
ASSERT(SIZEOF(.unexpected) == 0,
       "kvmelf.ld: unexpected loadable section (ctors, TLS, IFUNC, ...)")
