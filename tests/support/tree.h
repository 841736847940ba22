/*
 * Directory trees for the tests that compare what a program left behind
 * under kvmelf with what the same program left natively: a tree as text,
 * so that two trees compare with strcmp and a difference reads as a line,
 * and a removal that copes with whatever the program made.  Plain C, no
 * cmocka: e2e.h wraps them for the teardown.
 */
#ifndef KVMELF_TESTS_TREE_H
#define KVMELF_TESTS_TREE_H

/* What is below dir (not dir itself), one line per entry in name order,
 * depth first, never following a symbolic link:
 *
 *     d sub 0755
 *     f sub/a.txt 0644 6 "hello|"     (size, the bytes: '|' a newline,
 *                                      other unprintable bytes \xNN; at
 *                                      most 64 shown, then "...")
 *     l link -> a.txt
 *
 * Mode bits are the permission bits only.  Left out on purpose: owners,
 * times, inode numbers, a directory's size (each belongs to the host).
 * A malloc'd string, or NULL with errno set. */
char *tree_describe(const char *dir);

/* Removes dir and everything below it (without following symbolic links),
 * making directories writable first.  0, or -1 with errno of the first
 * failure (it goes on removing what it can). */
int tree_remove(const char *dir);

#endif
