/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kinds of shared kernel object that checkpoint/restart knows.
 *
 * Each line is CKPT_OBJ(name): @name is the object kind, and its back
 * end provides "const struct ckpt_obj_ops ckpt_obj_<name>_ops" (declared
 * in <linux/checkpoint.h>), which names the record type that defines such
 * an object in the image.  The kind enum and the ops table are generated
 * from this list, so a new kind is one line here, its declaration and its
 * back end in the file of its subsystem.
 *
 * The order is the order in which a task's objects appear in the image.
 */
CKPT_OBJ(cred)
CKPT_OBJ(pty)
CKPT_OBJ(pipe)
CKPT_OBJ(file)
CKPT_OBJ(shmem)
CKPT_OBJ(sysv_shm)
CKPT_OBJ(mm)
CKPT_OBJ(files)
CKPT_OBJ(fs)
CKPT_OBJ(sighand)
CKPT_OBJ(seccomp)
