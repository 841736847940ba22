/* kvmelf info: the memory map run would build for a file, as tables and a
 * to-scale picture.  It draws on run's own plan and map, and builds the
 * page tables and boot info for real in a scratch copy of the monitor's
 * area, so the page counts and heap bounds are what run would write. */
#include "cli.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>

#define INFO_COLS       6
#define INFO_CELL       112
#define INFO_MAX_ROWS   (2 * PAGING_MAX_REGIONS + 8)
#define PICTURE_WIDTH   64
#define CPUINFO_PATH    "/proc/cpuinfo"

enum { SIZE_4K, SIZE_2M, SIZE_1G, SIZE_KINDS };

struct page_counts {
    uint64_t n[SIZE_KINDS];
};

/* Page tables built into a scratch monitor area (never shown to KVM). */
struct scratch {
    struct guest_mem gm;
    gpa_t cr3;
    uint64_t table_bytes;
};

/* An aligned text table: cells filled first, widths measured at print. */
struct text_table {
    size_t ncols, nrows;
    char cell[INFO_MAX_ROWS][INFO_COLS][INFO_CELL];
};

/* One line of the memory map: a region, or a gap the tables leave absent. */
struct map_row {
    gpa_t start, end;
    char symbol;             /* its letter in the picture */
};

struct info {
    const struct info_request *req;
    struct kvmelf_boot_info boot;
    struct scratch tables;   /* as run would build them on this host */
    bool host_1g;
    struct map_row rows[INFO_MAX_ROWS];
    size_t nrows;
    struct text_table table;
};

/* ---- Facts: host, scratch tables, boot info, page counts ------------------ */

/* KVM offers 1 GiB pages when the host CPU has them; info does not open
 * KVM, so it asks the CPU flags instead (and shows both answers). */
static bool host_has_1g_pages(void)
{
    FILE *f = fopen(CPUINFO_PATH, "r");
    char line[4096];
    bool found = false;

    while (f && !found && fgets(line, sizeof line, f))
        found = strncmp(line, "flags", 5) == 0 && strstr(line, " pdpe1gb");
    if (f)
        fclose(f);
    return found;
}

static int scratch_build(const struct info_request *req, bool huge_1g,
                         struct scratch *s, struct kerr *err)
{
    struct paging_config cfg = *req->paging;

    cfg.huge_1g = huge_1g;
    cfg.nx = true;
    if (guest_mem_init(&s->gm, KVMELF_RESERVED_END, err) < 0)
        return -1;
    return paging_build_tables(&s->gm, &cfg, req->map, &s->cr3,
                               &s->table_bytes, err);
}

static int read_boot_info(struct info *in, struct kerr *err)
{
    const struct info_request *req = in->req;
    struct boot_params bp = { .layout = req->paging->layout };

    if (boot_write_info(&in->tables.gm, &bp, err) < 0)
        return -1;
    const void *p = guest_mem_ptr(&in->tables.gm, KVMELF_BOOT_INFO_ADDR,
                                  sizeof in->boot);
    if (!p)
        return kerr_set(err, "scratch monitor area has no boot info page");
    memcpy(&in->boot, p, sizeof in->boot);
    return 0;
}

/* Counts the leaf pages that start in [lo, hi), by walking like the CPU. */
static void count_pages(const struct scratch *s, gpa_t lo, gpa_t hi,
                        struct page_counts *c)
{
    struct translation t;

    memset(c, 0, sizeof *c);
    for (gpa_t va = lo; va < hi; ) {
        if (paging_walk(&s->gm, s->cr3, va, &t) < 0) {
            va += X86_PAGE_4K;
            continue;
        }
        gpa_t base = va & ~(t.page_size - 1);
        if (base >= lo)
            c->n[t.page_size == X86_PAGE_1G ? SIZE_1G :
                 t.page_size == X86_PAGE_2M ? SIZE_2M : SIZE_4K]++;
        va = base + t.page_size;
    }
}

/* "2M x 30, 4K x 248", largest first; "-" when no page starts here. */
static const char *format_counts(const struct page_counts *c, char *buf,
                                 size_t len)
{
    static const char *const names[SIZE_KINDS] = { "4K", "2M", "1G" };
    size_t n = 0;

    buf[0] = '\0';
    for (int k = SIZE_KINDS - 1; k >= 0; k--) {
        if (!c->n[k] || n >= len)
            continue;
        int w = snprintf(buf + n, len - n, "%s%s x %llu", n ? ", " : "",
                         names[k], (unsigned long long)c->n[k]);
        n += w > 0 ? (size_t)w : 0;
    }
    if (!buf[0])
        snprintf(buf, len, "-");
    return buf;
}

/* ---- Text tables ---------------------------------------------------------- */

static char *table_cell(struct text_table *t, size_t row, size_t col)
{
    return t->cell[row][col];
}

static void table_row(struct text_table *t, const char *const *cols)
{
    if (t->nrows == INFO_MAX_ROWS)
        return;
    for (size_t c = 0; c < t->ncols; c++)
        snprintf(table_cell(t, t->nrows, c), INFO_CELL, "%s", cols[c]);
    t->nrows++;
}

static void table_print(FILE *f, struct text_table *t)
{
    size_t width[INFO_COLS] = { 0 };

    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++) {
            size_t w = strlen(table_cell(t, r, c));
            width[c] = w > width[c] ? w : width[c];
        }
    for (size_t r = 0; r < t->nrows; r++) {
        fputs("  ", f);
        for (size_t c = 0; c + 1 < t->ncols; c++)
            fprintf(f, "%-*s  ", (int)width[c], table_cell(t, r, c));
        fprintf(f, "%s\n", table_cell(t, r, t->ncols - 1));
    }
    t->nrows = 0;
}

static const char *hex(uint64_t v, char *buf, size_t len)
{
    snprintf(buf, len, "0x%llx", (unsigned long long)v);
    return buf;
}

/* ---- Header and segments ---------------------------------------------------- */

/* The stack's size and where it came from: a small --mem gets less than
 * Linux's 8 MiB, and says so. */
static void print_stack_line(FILE *f, const struct guest_layout *l)
{
    char st[32], args[32], full[32];

    fprintf(f, "Stack: %s from 0x%llx to 0x%llx, guard page below it; "
            "arguments and environment may take %s\n",
            format_size(l->stack_size, st, sizeof st),
            (unsigned long long)l->stack_bottom,
            (unsigned long long)l->stack_top,
            format_size(l->args_max, args, sizeof args));
    if (!l->stack_default)
        fputs("  (set by --stack)\n", f);
    else if (l->stack_size < KVMELF_STACK_DEFAULT)
        fprintf(f, "  (RAM / 8: Linux's %s stack needs --mem %uM or more, "
                "or --stack)\n",
                format_size(KVMELF_STACK_DEFAULT, full, sizeof full),
                (unsigned)(8 * KVMELF_STACK_DEFAULT >> 20));
    else
        fputs("  (Linux's default RLIMIT_STACK)\n", f);
}

static void print_header(FILE *f, const struct info *in)
{
    const struct info_request *req = in->req;
    struct code_location loc;
    char where[256], ram[32], heap[32];

    symbolize(req->symbolizer, req->plan->entry, false, &loc);
    format_location(&loc, req->plan->entry, where, sizeof where);
    fprintf(f, "%s: %u loadable segment%s, entry point 0x%llx",
            req->path, req->plan->nsegs, req->plan->nsegs == 1 ? "" : "s",
            (unsigned long long)req->plan->entry);
    if (loc.function || loc.file)
        fprintf(f, " %s", where);
    if (loc.note[0])
        fprintf(f, "\nnote: %s", loc.note);
    fprintf(f, "\nGuest RAM: %s; heap %s from 0x%llx to 0x%llx, shared by "
            "brk (grows up) and mmap (grows down)\n",
            format_size(in->boot.ram_size, ram, sizeof ram),
            format_size(in->boot.heap_end - in->boot.heap_start, heap,
                        sizeof heap),
            (unsigned long long)in->boot.heap_start,
            (unsigned long long)in->boot.heap_end);
    print_stack_line(f, req->paging->layout);
}

static void flags_text(uint32_t flags, char out[4])
{
    out[0] = flags & PF_R ? 'r' : '-';
    out[1] = flags & PF_W ? 'w' : '-';
    out[2] = flags & PF_X ? 'x' : '-';
    out[3] = '\0';
}

static void print_segments(FILE *f, struct info *in)
{
    const struct load_plan *plan = in->req->plan;
    const char *head[] = { "PT_LOAD", "start", "end", "size", "in file",
                           "rights" };
    char idx[16], a[24], b[24], sz[32], fsz[32], rights[4];

    fputs("\nSegments (program headers):\n", f);
    in->table.ncols = ARRAY_SIZE(head);
    table_row(&in->table, head);
    for (unsigned i = 0; i < plan->nsegs; i++) {
        const struct load_segment *s = &plan->segs[i];
        snprintf(idx, sizeof idx, "%u", s->index);
        flags_text(s->flags, rights);
        const char *cols[] = {
            idx, hex(s->vaddr, a, sizeof a),
            hex(s->vaddr + s->memsz, b, sizeof b),
            format_size(s->memsz, sz, sizeof sz),
            format_size(s->filesz, fsz, sizeof fsz), rights,
        };
        table_row(&in->table, cols);
    }
    table_print(f, &in->table);
}

/* ---- The memory map's rows ---------------------------------------------------- */

static void add_row(struct info *in, gpa_t start, gpa_t end, char symbol)
{
    if (start < end && in->nrows < INFO_MAX_ROWS)
        in->rows[in->nrows++] = (struct map_row){ start, end, symbol };
}

/* Absent ranges, cut where the ABI gives them different meanings. */
static void add_gap(struct info *in, gpa_t lo, gpa_t hi)
{
    const gpa_t guard = in->boot.heap_end;
    const gpa_t cuts[] = { KVMELF_GDT_ADDR, KVMELF_PT_ADDR, KVMELF_PT_END,
                           guard, guard + KVMELF_GUARD_SIZE };

    while (lo < hi) {
        gpa_t next = hi;
        for (size_t i = 0; i < ARRAY_SIZE(cuts); i++)
            if (cuts[i] > lo && cuts[i] < next)
                next = cuts[i];
        char symbol = '.';
        if (lo >= KVMELF_PT_ADDR && lo < KVMELF_PT_END)
            symbol = 'P';
        else if (lo == guard)
            symbol = 'G';
        add_row(in, lo, next, symbol);
        lo = next;
    }
}

static bool segment_touches(const struct load_segment *s, gpa_t lo, gpa_t hi)
{
    gpa_t first = s->vaddr & ~(gpa_t)(KVMELF_PAGE_SIZE - 1);
    return first < hi && s->vaddr + s->memsz > lo;
}

static char region_symbol(const struct info *in, const struct mem_region *r)
{
    if (r->start < KVMELF_RESERVED_END)
        return r->start >= KVMELF_BOOT_INFO_ADDR ? 'B' : 'M';
    if (r->start >= in->req->paging->layout->stack_bottom)
        return 'S';
    if ((r->attrs & (PAGE_WRITE | PAGE_EXEC)) == (PAGE_WRITE | PAGE_EXEC))
        return '!';
    if (r->attrs & PAGE_EXEC)
        return 'X';
    for (unsigned i = 0; i < in->req->plan->nsegs; i++)
        if (segment_touches(&in->req->plan->segs[i], r->start, r->end))
            return r->attrs & PAGE_WRITE ? 'W' : 'R';
    return r->start >= in->boot.heap_start ? 'H' : 'h';
}

static void build_rows(struct info *in)
{
    const struct memory_map *map = in->req->map;
    gpa_t at = 0;

    for (size_t i = 0; i < map->count; i++) {
        const struct mem_region *r = &map->regions[i];
        add_gap(in, at, r->start);
        add_row(in, r->start, r->end, region_symbol(in, r));
        at = r->end;
    }
    add_gap(in, at, in->boot.ram_size);
}

/* "PT_LOAD 1" or "PT_LOAD 1+2": the segments whose pages these are. */
static void describe_segments(const struct info *in, const struct map_row *row,
                              char *buf, size_t len)
{
    size_t n = (size_t)snprintf(buf, len, "PT_LOAD ");
    const char *sep = "";

    for (unsigned i = 0; i < in->req->plan->nsegs && n < len; i++) {
        const struct load_segment *s = &in->req->plan->segs[i];
        if (!segment_touches(s, row->start, row->end))
            continue;
        int w = snprintf(buf + n, len - n, "%s%u", sep, s->index);
        n += w > 0 ? (size_t)w : 0;
        sep = "+";
    }
}

static void describe_row(const struct info *in, const struct map_row *row,
                         char *buf, size_t len)
{
    const struct mem_region *r = paging_region_at(in->req->map, row->start);
    char used[32];

    switch (row->symbol) {
    case 'M': case 'B':
        snprintf(buf, len, "%s", r->what);
        break;
    case 'X': case 'R': case 'W': case '!':
        describe_segments(in, row, buf, len);
        break;
    case 'H':
        snprintf(buf, len, "heap: brk up from 0x%llx, mmap down from 0x%llx",
                 (unsigned long long)in->boot.heap_start,
                 (unsigned long long)in->boot.heap_end);
        break;
    case 'h': snprintf(buf, len, "unused, mapped like the heap"); break;
    case 'S':
        snprintf(buf, len, "stack, grows down from 0x%llx",
                 (unsigned long long)in->boot.stack_top);
        break;
    case 'P':
        snprintf(buf, len, "page tables (%s used)",
                 format_size(in->tables.table_bytes, used, sizeof used));
        break;
    case 'G': snprintf(buf, len, "stack guard page"); break;
    default:
        snprintf(buf, len, row->start == 0 ? "null page" : "unused");
    }
}

/* "rw- user", "r-x ring0"; absent pages are "---". */
static const char *rights_text(const struct mem_region *r, char *buf,
                               size_t len)
{
    if (!r)
        return "---";
    snprintf(buf, len, "r%c%c %s", r->attrs & PAGE_WRITE ? 'w' : '-',
             r->attrs & PAGE_EXEC ? 'x' : '-',
             r->attrs & PAGE_USER ? "user" : "ring0");
    return buf;
}

static void print_map(FILE *f, struct info *in)
{
    const char *head[] = { "start", "end", "size", "rights", "pages",
                           "contents" };
    char a[24], b[24], sz[32], rights[16], pages[64], what[INFO_CELL];
    struct page_counts c;

    fputs("\nMemory map (virtual = physical):\n", f);
    in->table.ncols = ARRAY_SIZE(head);
    table_row(&in->table, head);
    for (size_t i = 0; i < in->nrows; i++) {
        const struct map_row *row = &in->rows[i];
        const struct mem_region *r = paging_region_at(in->req->map,
                                                      row->start);
        count_pages(&in->tables, row->start, row->end, &c);
        describe_row(in, row, what, sizeof what);
        const char *cols[] = {
            hex(row->start, a, sizeof a), hex(row->end, b, sizeof b),
            format_size(row->end - row->start, sz, sizeof sz),
            rights_text(r, rights, sizeof rights),
            r ? format_counts(&c, pages, sizeof pages) : "not mapped", what,
        };
        table_row(&in->table, cols);
    }
    table_print(f, &in->table);
}

/* ---- Page sizes ---------------------------------------------------------- */

static int print_page_sizes(FILE *f, const struct info *in, struct kerr *err)
{
    struct scratch other = { 0 };
    struct page_counts mine, theirs;
    char used[32], area[32], a[64], b[64];
    uint64_t ram = in->boot.ram_size;

    count_pages(&in->tables, 0, ram, &mine);
    fprintf(f, "\nPages: %s; the tables take %s of the %s table area\n",
            format_counts(&mine, a, sizeof a),
            format_size(in->tables.table_bytes, used, sizeof used),
            format_size(KVMELF_PT_END - KVMELF_PT_ADDR, area, sizeof area));
    if (scratch_build(in->req, !in->host_1g, &other, err) < 0) {
        guest_mem_fini(&other.gm);
        return -1;
    }
    count_pages(&other, 0, ram, &theirs);
    guest_mem_fini(&other.gm);
    fprintf(f, "1 GiB pages: %s (pdpe1gb in %s: %s); %s them: %s\n",
            in->host_1g ? "counted above" : "not counted above",
            CPUINFO_PATH, in->host_1g ? "yes" : "no",
            in->host_1g ? "without" : "with",
            memcmp(&mine, &theirs, sizeof mine) == 0 ? "the same"
            : format_counts(&theirs, b, sizeof b));
    return 0;
}

/* ---- The picture ---------------------------------------------------------- */

/* The row covering most of the cell [lo, hi): every bar is to scale, so a
 * region smaller than a character may not show; the zoomed bars do. */
static char cell_symbol(const struct info *in, gpa_t lo, gpa_t hi)
{
    uint64_t best = 0;
    char symbol = ' ';

    for (size_t i = 0; i < in->nrows; i++) {
        const struct map_row *r = &in->rows[i];
        gpa_t a = r->start > lo ? r->start : lo;
        gpa_t b = r->end < hi ? r->end : hi;
        if (a < b && b - a > best) {
            best = b - a;
            symbol = r->symbol;
        }
    }
    return symbol;
}

/* One line of the picture: [lo, hi) in cells of `cell` bytes. */
static void print_bar(FILE *f, const struct info *in, const char *title,
                      gpa_t lo, gpa_t hi, uint64_t cell)
{
    char scale[32];

    if (lo >= hi)
        return;
    fprintf(f, "  %-10s %10llx |", title, (unsigned long long)lo);
    for (gpa_t a = lo; a < hi; a += cell)
        fputc(cell_symbol(in, a, a + cell < hi ? a + cell : hi), f);
    fprintf(f, "| %llx  (%s each)\n", (unsigned long long)hi,
            format_size(cell, scale, sizeof scale));
}

/* Whole pages, at most PICTURE_WIDTH cells for [lo, hi). */
static uint64_t cell_for(gpa_t lo, gpa_t hi)
{
    uint64_t cell = (hi - lo + PICTURE_WIDTH - 1) / PICTURE_WIDTH;
    return (cell + KVMELF_PAGE_SIZE - 1) & ~(uint64_t)(KVMELF_PAGE_SIZE - 1);
}

/* All RAM, then zooms on what is smaller than one character of it: the
 * monitor's area, the segments, the top of RAM (the stack in about
 * STACK_CELLS cells, with some heap below it) and the guard page in cells
 * of one page, so it shows whatever the stack's size. */
#define STACK_CELLS 40
#define GUARD_ZOOM_PAGES 12
static void print_picture(FILE *f, const struct info *in)
{
    const struct kvmelf_boot_info *b = &in->boot;
    const struct guest_layout *l = in->req->paging->layout;
    const uint64_t top_cell = cell_for(0, l->stack_size * PICTURE_WIDTH /
                                          STACK_CELLS);
    const uint64_t heap_span = (PICTURE_WIDTH - STACK_CELLS) * top_cell;
    const uint64_t zoom = (uint64_t)GUARD_ZOOM_PAGES * KVMELF_PAGE_SIZE;
    gpa_t image = in->req->plan->nsegs
                  ? in->req->plan->segs[0].vaddr & ~(gpa_t)(KVMELF_PAGE_SIZE - 1)
                  : b->heap_start;
    gpa_t top = l->guard - b->heap_start > heap_span ? l->guard - heap_span
                                                      : b->heap_start;
    gpa_t near = l->guard - b->heap_start > zoom ? l->guard - zoom
                                                  : b->heap_start;
    gpa_t far = l->stack_top - l->stack_bottom > zoom ? l->stack_bottom + zoom
                                                      : l->stack_top;

    fputs("\nPicture (each line to scale, addresses in hex):\n", f);
    print_bar(f, in, "all RAM", 0, b->ram_size, cell_for(0, b->ram_size));
    print_bar(f, in, "monitor", 0, KVMELF_RESERVED_END,
              cell_for(0, KVMELF_RESERVED_END));
    print_bar(f, in, "program", image, b->heap_start,
              cell_for(image, b->heap_start));
    print_bar(f, in, "top of RAM", top, b->ram_size, top_cell);
    print_bar(f, in, "guard page", near, far, KVMELF_PAGE_SIZE);
    fputs("  . not mapped  M monitor  P page tables  B boot info\n"
          "  X text (r-x)  R read-only  W data (rw-)  ! write+execute\n"
          "  h unused gap  H heap (brk up, mmap down)  G guard page  "
          "S stack\n", f);
}

/* ---- Entry ------------------------------------------------------------------ */

int print_info(FILE *f, const struct info_request *req, struct kerr *err)
{
    struct info *in = calloc(1, sizeof *in);
    int rc = -1;

    if (!in)
        return kerr_set(err, "out of memory for kvmelf info");
    in->req = req;
    in->host_1g = host_has_1g_pages();
    if (scratch_build(req, in->host_1g, &in->tables, err) == 0 &&
        read_boot_info(in, err) == 0) {
        build_rows(in);
        print_header(f, in);
        print_segments(f, in);
        print_map(f, in);
        rc = print_page_sizes(f, in, err);
        if (rc == 0)
            print_picture(f, in);
        if (rc == 0 && req->files) {
            fputs("\nFiles (what the guest sees of the host):\n", f);
            print_files(f, "  ", req->files);
        }
    }
    guest_mem_fini(&in->tables.gm);
    free(in);
    return rc;
}
