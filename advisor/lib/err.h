/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A message for people, beside a -errno: what failed and where (a file and line, a
 * rule, the netlink object the kernel refused). Every layer may fill one; only the
 * command line prints it.
 */
#ifndef CTA_ERR_H
#define CTA_ERR_H

struct cta_err {
	char msg[1024]; /* NUL-terminated; "" when the caller has nothing to add */
};

#endif
