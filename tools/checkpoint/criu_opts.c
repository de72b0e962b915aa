// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt criu: what each option of a DUMP or RESTORE request means here.
 *
 * Every field of CriuOpts that the request sets (present, with another
 * value than its default) is looked up in criu_rules[] and is either
 * used (criu_dump.c and criu_restore.c check its value), accepted because
 * the kernel does that anyway (the log says what happens instead), or
 * refused with EOPNOTSUPP.  A field the table does not name, and one
 * that this rpc.proto does not know (a newer client's), is refused: no
 * option is ignored silently.  Documentation/checkpoint/criu.rst has the
 * same table for people.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "criu.h"

enum criu_policy {
	P_REFUSE,	/* EOPNOTSUPP, with why */
	P_OK,		/* accepted; why says what happens instead */
	P_USED,		/* its value is used and checked by DUMP or RESTORE */
};

struct criu_rule {
	const char *name;
	unsigned char dump, restore;	/* enum criu_policy */
	const char *why;
};

static const struct criu_rule criu_rules[] = {
	{ "images_dir_fd", P_USED, P_USED, NULL },
	{ "pid", P_USED, P_OK, "not used on restore" },
	{ "leave_running", P_USED, P_OK, "a dump option" },
	{ "ext_unix_sk", P_USED, P_OK,
	  "a socket saved as external is given back with inherit_fd socket:[INO]" },
	{ "tcp_established", P_OK, P_OK,
	  "the kernel saves and restores TCP connections anyway (sockets.rst)" },
	{ "evasive_devices", P_OK, P_OK, "device files are reopened by their saved path" },
	{ "shell_job", P_OK, P_OK,
	  "a terminal from outside is replaced by the caller's; a console, by orphan_pts_master" },
	{ "file_locks", P_OK, P_OK, "the kernel saves file locks and takes them again anyway" },
	{ "log_level", P_OK, P_OK, "everything is logged" },
	{ "log_file", P_USED, P_USED, NULL },
	{ "ps", P_REFUSE, P_REFUSE, "there is no page server: the image is one file" },
	{ "notify_scripts", P_USED, P_USED, NULL },
	{ "root", P_USED, P_USED, NULL },
	{ "parent_img", P_USED, P_OK,
	  "RESTORE finds the parents through the images directory's parent link" },
	{ "track_mem", P_USED, P_OK, "a dump option" },
	{ "auto_dedup", P_OK, P_OK,
	  "parent images keep their pages: RESTORE merges the chain by reference" },
	{ "work_dir_fd", P_USED, P_USED, NULL },
	{ "link_remap", P_OK, P_OK, "the kernel saves the contents of unlinked files anyway" },
	{ "veths", P_REFUSE, P_USED, "a restore option" },
	{ "cpu_cap", P_REFUSE, P_REFUSE,
	  "the kernel compares the CPU's XSAVE features itself; no other check can be chosen" },
	{ "force_irmap", P_REFUSE, P_REFUSE, "inotify watches are saved by the kernel, by inode" },
	{ "exec_cmd", P_REFUSE, P_REFUSE, "no command is run after a restore" },
	{ "ext_mnt", P_USED, P_USED, NULL },
	{ "manage_cgroups", P_OK, P_OK,
	  "a cgroup namespace is saved and restored with its cgroups and limits anyway" },
	{ "cg_root", P_OK, P_USED, "the kernel saves the cgroup namespace from its root" },
	{ "rst_sibling", P_OK, P_USED, "a restore option" },
	{ "inherit_fd", P_REFUSE, P_USED, "a restore option" },
	{ "auto_ext_mnt", P_OK, P_OK, "the kernel decides which mounts are external" },
	{ "ext_sharing", P_OK, P_OK, "the kernel saves the propagation of external mounts" },
	{ "ext_masters", P_OK, P_OK, "the kernel saves the propagation of external mounts" },
	{ "skip_mnt", P_REFUSE, P_REFUSE, "every mount of the namespace is saved" },
	{ "enable_fs", P_REFUSE, P_REFUSE,
	  "only the filesystems the kernel knows are mounted anew (namespaces.rst)" },
	{ "unix_sk_ino", P_REFUSE, P_REFUSE, "external sockets are chosen with ext_unix_sk" },
	{ "manage_cgroups_mode", P_OK, P_OK,
	  "the cgroups below the namespace's root come back with their limits in any mode" },
	{ "ghost_limit", P_REFUSE, P_REFUSE,
	  "the kernel saves unlinked files whatever their size: no limit can be set" },
	{ "irmap_scan_paths", P_REFUSE, P_REFUSE, "there is no inotify path map" },
	{ "external", P_USED, P_USED, NULL },
	{ "empty_ns", P_USED, P_USED, NULL },
	{ "join_ns", P_REFUSE, P_REFUSE,
	  "restart(2) creates the namespaces the image has; it cannot join existing ones" },
	{ "cgroup_props", P_REFUSE, P_REFUSE, "the saved cgroup files are fixed (namespaces.rst)" },
	{ "cgroup_props_file", P_REFUSE, P_REFUSE,
	  "the saved cgroup files are fixed (namespaces.rst)" },
	{ "cgroup_dump_controller", P_REFUSE, P_REFUSE, "only cgroup v2 is saved, whole" },
	{ "freeze_cgroup", P_OK, P_OK,
	  "checkpoint(2) freezes the tasks itself; the cgroup is not frozen" },
	{ "timeout", P_OK, P_OK, "checkpoint(2) freezes at once, or fails with EAGAIN" },
	{ "tcp_skip_in_flight", P_REFUSE, P_REFUSE,
	  "connections not accepted yet are saved with their listener" },
	{ "weak_sysctls", P_REFUSE, P_REFUSE, "a sysctl restart(2) cannot set makes it fail" },
	{ "lazy_pages", P_REFUSE, P_REFUSE, "there are no lazy pages: memory is in the image" },
	{ "status_fd", P_REFUSE, P_REFUSE, "there is no lazy page server to report" },
	{ "orphan_pts_master", P_OK, P_USED,
	  "the kernel saves a container's console, its master outside, anyway" },
	{ "config_file", P_OK, P_OK, "CRIU configuration files are not read" },
	{ "tcp_close", P_REFUSE, P_REFUSE, "TCP connections are restored, not closed" },
	{ "lsm_profile", P_REFUSE, P_REFUSE, "no LSM profile can be chosen for the tasks" },
	{ "tls_cacert", P_REFUSE, P_REFUSE, "there is no page server" },
	{ "tls_cacrl", P_REFUSE, P_REFUSE, "there is no page server" },
	{ "tls_cert", P_REFUSE, P_REFUSE, "there is no page server" },
	{ "tls_key", P_REFUSE, P_REFUSE, "there is no page server" },
	{ "tls", P_REFUSE, P_REFUSE, "there is no page server" },
	{ "tls_no_cn_verify", P_REFUSE, P_REFUSE, "there is no page server" },
	{ "cgroup_yard", P_REFUSE, P_REFUSE, "restart(2) makes the cgroups itself" },
	{ "pre_dump_mode", P_OK, P_OK,
	  "the kernel holds the pages while the tasks are frozen, writes them after: any mode" },
	{ "pidfd_store_sk", P_REFUSE, P_REFUSE, "there is no pidfd store" },
	{ "lsm_mount_context", P_REFUSE, P_REFUSE, "no LSM mount context can be chosen" },
	{ "network_lock", P_OK, P_OK,
	  "the kernel keeps the connections silent itself (sockets.rst), in any mode" },
	{ "mntns_compat_mode", P_OK, P_OK, "the kernel has one way of restoring mounts" },
};

static const struct criu_rule *criu_rule_find(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(criu_rules); i++)
		if (!strcmp(criu_rules[i].name, name))
			return &criu_rules[i];
	return NULL;
}

static const void *criu_field(const CriuOpts *o, const ProtobufCFieldDescriptor *f)
{
	return (const char *)o + f->offset;
}

static size_t criu_field_count(const CriuOpts *o, const ProtobufCFieldDescriptor *f)
{
	return *(const size_t *)((const char *)o + f->quantifier_offset);
}

static bool criu_field_present(const CriuOpts *o, const ProtobufCFieldDescriptor *f)
{
	if (f->label == PROTOBUF_C_LABEL_REQUIRED)
		return true;
	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return criu_field_count(o, f) > 0;
	if (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE)
		return !!*(void *const *)criu_field(o, f);
	return *(const protobuf_c_boolean *)((const char *)o + f->quantifier_offset);
}

/* Present with its default value (or an empty string): as good as unset */
static bool criu_field_default(const CriuOpts *o, const ProtobufCFieldDescriptor *f)
{
	const void *p = criu_field(o, f);
	const void *d = f->default_value;
	uint64_t zero = 0;

	if (f->label != PROTOBUF_C_LABEL_OPTIONAL)
		return false;
	if (!d)
		d = &zero;
	switch (f->type) {
	case PROTOBUF_C_TYPE_BOOL:
		return !*(const protobuf_c_boolean *)p == !*(const protobuf_c_boolean *)d;
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_ENUM:
		return !memcmp(p, d, sizeof(uint32_t));
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return !memcmp(p, d, sizeof(uint64_t));
	case PROTOBUF_C_TYPE_STRING:
		return !**(char *const *)p;
	default:
		return false;
	}
}

/* The value of a field, for the log */
static void criu_field_str(const CriuOpts *o, const ProtobufCFieldDescriptor *f, char *buf,
			   size_t len)
{
	const void *p = criu_field(o, f);
	const ProtobufCEnumValue *ev;
	int32_t i32;
	uint32_t u32;

	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		snprintf(buf, len, "[%zu]", criu_field_count(o, f));
		return;
	}
	memcpy(&i32, p, sizeof(i32));
	memcpy(&u32, p, sizeof(u32));
	switch (f->type) {
	case PROTOBUF_C_TYPE_BOOL:
		snprintf(buf, len, "%s", *(const protobuf_c_boolean *)p ? "true" : "false");
		break;
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		snprintf(buf, len, "%" PRId32, i32);
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		snprintf(buf, len, "%" PRIu32 " (0x%" PRIx32 ")", u32, u32);
		break;
	case PROTOBUF_C_TYPE_ENUM:
		ev = protobuf_c_enum_descriptor_get_value(f->descriptor, i32);
		snprintf(buf, len, "%s (%" PRId32 ")", ev ? ev->name : "?", i32);
		break;
	case PROTOBUF_C_TYPE_STRING:
		snprintf(buf, len, "\"%.256s\"", *(char *const *)p);
		break;
	case PROTOBUF_C_TYPE_MESSAGE:
		snprintf(buf, len, "{...}");
		break;
	default:
		snprintf(buf, len, "(type %d)", f->type);
		break;
	}
}

/* Fields of a newer rpc.proto: only a zero varint (a default) may pass */
static int criu_unknown_fields(struct criu_ctx *c, const CriuOpts *o)
{
	const ProtobufCMessageUnknownField *u;
	unsigned int i;
	int ret = 0;

	for (i = 0; i < o->base.n_unknown_fields; i++) {
		u = &o->base.unknown_fields[i];
		if (u->wire_type == PROTOBUF_C_WIRE_TYPE_VARINT && u->len == 1 && !u->data[0]) {
			criu_log(c,
				 "option field %u (unknown to CRIU 3.17's rpc.proto) = 0: as unset",
				 u->tag);
			continue;
		}
		ret = criu_fail(c, EOPNOTSUPP,
				"option field %u is unknown to CRIU 3.17's rpc.proto (set by a newer client) and cannot be honoured",
				u->tag);
	}
	return ret;
}

/*
 * Decide on every option the request sets; log each decision.  Returns 0,
 * or -1 if one is refused (every refused one is logged, the first is the
 * request's error).
 */
int criu_opts_check(struct criu_ctx *c, const CriuOpts *o, bool restore)
{
	const ProtobufCMessageDescriptor *d = o->base.descriptor;
	const ProtobufCFieldDescriptor *f;
	const struct criu_rule *r;
	const char *op = c->op ?: restore ? "RESTORE" : "DUMP";
	char val[300];
	unsigned int i, pol;
	int ret = criu_unknown_fields(c, o);

	for (i = 0; i < d->n_fields; i++) {
		f = &d->fields[i];
		if (!criu_field_present(o, f))
			continue;
		criu_field_str(o, f, val, sizeof(val));
		if (criu_field_default(o, f)) {
			criu_log(c, "option %s = %s: the default", f->name, val);
			continue;
		}
		r = criu_rule_find(f->name);
		pol = !r ? P_REFUSE : restore ? r->restore : r->dump;
		if (pol == P_USED)
			criu_log(c, "option %s = %s: used", f->name, val);
		else if (pol == P_OK)
			criu_log(c, "option %s = %s: accepted, %s", f->name, val, r->why);
		else
			ret = criu_fail(c, EOPNOTSUPP, "option %s = %s is not supported on %s: %s",
					f->name, val, op, r ? r->why : "unknown to this front end");
	}
	return ret;
}

/* A directory of the caller's, by its descriptor number there */
static int criu_open_peer_dir(struct criu_ctx *c, const char *what, int fd)
{
	char path[64], target[PATH_MAX];
	ssize_t n;
	int dir;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", c->peer, fd);
	dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return criu_fail(c, errno, "%s %d: cannot open %s: %s", what, fd, path,
				 strerror(errno));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", dir);
	n = readlink(path, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	criu_log(c, "%s %d of pid %d: %s", what, fd, c->peer, target);
	return dir;
}

/*
 * The directories and the log of a DUMP or RESTORE, as CRIU finds them:
 * images_dir_fd and work_dir_fd are descriptors of the caller, reopened
 * through /proc/PEER/fd; the log is in the work directory, by default the
 * images directory.  Then the options.  Returns 0 or -1.
 */
int criu_setup(struct criu_ctx *c, const CriuOpts *o, bool restore)
{
	c->notify = o->has_notify_scripts && o->notify_scripts;
	if (c->peer <= 0)
		return criu_fail(c, EINVAL, "the socket has no peer process (SO_PEERCRED)");
	if (o->images_dir_fd < 0)
		return criu_fail(c, EINVAL, "images_dir_fd %d: an images directory is needed",
				 o->images_dir_fd);
	c->img_dir = criu_open_peer_dir(c, "images_dir_fd", o->images_dir_fd);
	if (c->img_dir < 0)
		return -1;
	if (o->has_work_dir_fd) {
		c->work_dir = criu_open_peer_dir(c, "work_dir_fd", o->work_dir_fd);
		if (c->work_dir < 0)
			return -1;
	} else {
		c->work_dir = c->img_dir;
	}
	if (criu_open_log(c, o))
		return -1;
	criu_log(c, "%s for pid %d: ckpt %s, reporting CRIU %s",
		 c->op ?: restore ? "RESTORE" : "DUMP", c->peer, CKPT_TOOL_VERSION,
		 CRIU_COMPAT_VERSION);
	return criu_opts_check(c, o, restore);
}

/* As ckpt_check_kernel(): never call what 463 and 464 are on newer kernels */
int criu_kernel_ok(struct criu_ctx *c)
{
	char why[256];

	if (ckpt_kernel_mismatch(why, sizeof(why)))
		return criu_fail(c, ENOSYS, "%s", why);
	return 0;
}

/*
 * An entry of CRIU's "external" option, KIND[KEY] or KIND[KEY]:VAL, if it
 * is of the kind: *key and *val (NULL if none) point into a copy that the
 * caller frees through *key.  Returns 1 if it is of the kind, 0 if not,
 * -1 if malformed.
 */
int criu_parse_external(const char *ext, const char *kind, char **key, char **val)
{
	size_t klen = strlen(kind);
	char *copy, *end;

	if (strncmp(ext, kind, klen) || ext[klen] != '[')
		return 0;
	copy = strdup(ext + klen + 1);
	if (!copy)
		return -1;
	end = strchr(copy, ']');
	if (!end || end == copy || (end[1] && end[1] != ':')) {
		free(copy);
		return -1;
	}
	*end = '\0';
	*key = copy;
	*val = end[1] ? end + 2 : NULL;
	return 1;
}
