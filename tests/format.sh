#!/usr/bin/env bash
# The house style holds for every C file: .clang-format (the kernel's, tabs, 100
# columns), as Debian 12's clang-format (14) applies it. Other versions break lines
# differently, so the check needs that one: skipped (77) without it. To fix a
# failure: clang-format -i FILE...
set -u
cd "${SRCDIR:?}" || exit 1
if ! command -v clang-format >/dev/null; then
	echo "SKIP: no clang-format (scripts/deps installs it)"
	exit 77
fi
ver=$(clang-format --version | sed -n 's/.*version \([0-9]*\)\..*/\1/p')
if [ "$ver" != 14 ]; then
	echo "SKIP: clang-format $ver; the style is checked with version 14 (Debian 12)"
	exit 77
fi
mapfile -t files < <(find advisor nft bpf tests -name '*.[ch]' | sort)
[ ${#files[@]} -gt 100 ] || { echo "FAIL: only ${#files[@]} C files found"; exit 1; }
clang-format --dry-run --Werror "${files[@]}" || {
	echo "FAIL: not formatted as .clang-format says (clang-format -i the files above)"
	exit 1
}
echo "${#files[@]} C files formatted as .clang-format says"
