/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kinds of shared kernel object that checkpoint/restart knows.
 *
 * Each line is CKPT_OBJ(name, record): @name is the object kind (its
 * back end provides "const struct ckpt_obj_ops ckpt_obj_<name>_ops") and
 * @record is the CKPT_REC_* type of the record that defines such an
 * object in the image.  The kind enum, the ops table and the names used in
 * the log are generated from this list, so a new kind is one line here
 * plus its back end in the file of its subsystem.
 *
 * The order is the order in which a task's objects appear in the image.
 */
CKPT_OBJ(cred,		CRED)
CKPT_OBJ(file,		FILE)
CKPT_OBJ(mm,		MM)
CKPT_OBJ(files,		FILES)
CKPT_OBJ(fs,		FS)
CKPT_OBJ(sighand,	SIGHAND)
