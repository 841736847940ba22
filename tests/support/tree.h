/*
 * Host directory trees for the tests that compare what a program did to
 * its files under kvmelf with what it did natively: copy a tree, describe
 * one as text (so that two descriptions compare with proc_same_output and
 * a difference shows as a line), remove one.  Plain files, directories
 * and symbolic links; a FIFO or device is described by its type only.
 * Nothing here uses cmocka: errors come back as -1 with errno set.
 */
#ifndef KVMELF_TESTS_TREE_H
#define KVMELF_TESTS_TREE_H

#include <stddef.h>
#include <time.h>

/* Times before this (2020-01-01 UTC) are ones the test or the program set
 * on purpose (touch -d, cp -p, the fixture's own), so a description shows
 * them; later ones are the clock at the run, which differs between two
 * runs, so it leaves them out. */
#define TREE_SET_TIME_BEFORE ((time_t)1577836800)

/* Copies the directory src to dst (which must not exist): directories,
 * regular files with their permission bits, symbolic links as links.
 * Names are copied in name order, so two copies of one tree were made
 * the same way.  0 or -1 (errno; a partial dst is left for the caller to
 * remove). */
int tree_copy(const char *src, const char *dst);

/* One line per entry below dir, in name order, paths relative to dir:
 *
 *     d 0755 sub
 *     f 0644 11 sub/a.txt "alpha\nbeta\n"
 *     l sub/link -> ../a.txt
 *
 * a file's bytes C-escaped (at most 240 of them, then its length and an
 * FNV-1a hash of the whole), and " mtime=SECONDS" after any entry (not a
 * link) whose modification time is before TREE_SET_TIME_BEFORE.  A
 * malloc'd string (its length in *len when len is not NULL), or NULL
 * (errno). */
char *tree_describe(const char *dir, size_t *len);

/* Sets the access and modification times of every entry below dir, and
 * of dir itself, to t (links themselves, not their targets), deepest
 * first.  0 or -1 (errno). */
int tree_set_times(const char *dir, time_t t);

/* One entry of a tree a test lays out: 'd' a directory (mode 0755), 'f'
 * a file holding data (0644), 'l' a symbolic link to data. */
struct tree_entry {
    char type;
    const char *path;        /* below the tree's directory */
    const char *data;
};

/* Makes entries[0..n) below dir (which exists), in their order: a
 * parent comes before what it holds.  0, or -1 (errno; *failed, when
 * not NULL, is the entry's path). */
int tree_make(const char *dir, const struct tree_entry *entries, size_t n,
              const char **failed);

/* rm -rf path: 0 (also when it does not exist) or -1 (errno). */
int tree_remove(const char *path);

#endif
