// SPDX-License-Identifier: GPL-2.0-only
/*
 * The object hash: shared kernel objects (an mm, a file, a credential set)
 * are written once, under an object id ("objref"), and referred to by that
 * id afterwards.  At checkpoint the hash maps object pointers to ids; at
 * restart it maps ids to the rebuilt objects.  It holds a reference on
 * every object until the context ends.
 */
#include <linux/checkpoint.h>
#include <linux/hash.h>
#include <linux/sched.h>
#include <linux/security.h>
#include <linux/slab.h>

#include "checkpoint.h"

#define CKPT_OBJ_HASH_BITS	10

struct ckpt_obj {
	struct hlist_node node;
	void *ptr;
	enum ckpt_obj_kind kind;
	u32 objref;
	u32 users;
};

/* Another pointer that stands for a saved object (ckpt_obj_key_add()) */
struct ckpt_obj_key {
	struct hlist_node node;
	const void *key;
	enum ckpt_obj_kind kind;
	u32 objref;
	unsigned long data;
};

/* In the order of enum ckpt_obj_kind: both come from the same list */
static const struct ckpt_obj_ops *const ckpt_obj_ops_table[] = {
#define CKPT_OBJ(name) (&ckpt_obj_##name##_ops),
#include <linux/checkpoint_types.h>
#undef CKPT_OBJ
};

static_assert(ARRAY_SIZE(ckpt_obj_ops_table) == CKPT_OBJ_NR);

int ckpt_objhash_init(struct ckpt_ctx *ctx)
{
	ctx->next_objref = 1;
	/* Keys serve both directions, pointers only checkpoint */
	ctx->objs_by_key = kvcalloc(1 << CKPT_OBJ_HASH_BITS,
				    sizeof(*ctx->objs_by_key), GFP_KERNEL);
	if (ctx->restart)
		return ctx->objs_by_key ? 0 : -ENOMEM;
	ctx->objs_by_ptr = kvcalloc(1 << CKPT_OBJ_HASH_BITS,
				    sizeof(*ctx->objs_by_ptr), GFP_KERNEL);
	return ctx->objs_by_ptr && ctx->objs_by_key ? 0 : -ENOMEM;
}

static void ckpt_obj_keys_free(struct ckpt_ctx *ctx)
{
	struct ckpt_obj_key *k;
	struct hlist_node *tmp;
	unsigned int i;

	if (!ctx->objs_by_key)
		return;
	for (i = 0; i < 1 << CKPT_OBJ_HASH_BITS; i++)
		hlist_for_each_entry_safe(k, tmp, &ctx->objs_by_key[i], node)
			kfree(k);
	kvfree(ctx->objs_by_key);
}

void ckpt_objhash_fini(struct ckpt_ctx *ctx)
{
	struct ckpt_obj *obj;
	unsigned long id;

	xa_for_each(&ctx->objs, id, obj) {
		const struct ckpt_obj_ops *ops = ckpt_obj_ops_table[obj->kind];

		/* A failed restart says why on the log: ctx->err is set */
		if (ctx->restart && ctx->err && ops->abort)
			ops->abort(obj->ptr);
		ops->drop(obj->ptr);
		kfree(obj);
	}
	xa_destroy(&ctx->objs);
	kvfree(ctx->objs_by_ptr);
	ckpt_obj_keys_free(ctx);
}

static struct hlist_head *ckpt_obj_bucket(struct hlist_head *table, const void *ptr)
{
	return &table[hash_ptr(ptr, CKPT_OBJ_HASH_BITS)];
}

static struct ckpt_obj *ckpt_obj_add(struct ckpt_ctx *ctx,
				     enum ckpt_obj_kind kind, void *ptr)
{
	struct ckpt_obj *obj;
	int ret;

	obj = kmalloc(sizeof(*obj), GFP_KERNEL);
	if (!obj)
		return ERR_PTR(-ENOMEM);
	obj->ptr = ptr;
	obj->kind = kind;
	obj->objref = ctx->next_objref;
	obj->users = 1;
	ret = xa_insert(&ctx->objs, obj->objref, obj, GFP_KERNEL);
	if (ret) {
		kfree(obj);
		return ERR_PTR(ret);
	}
	ctx->next_objref++;
	return obj;
}

static int __ckpt_obj_checkpoint(struct ckpt_ctx *ctx, enum ckpt_obj_kind kind,
				 void *ptr, u32 *objref, u32 users)
{
	const struct ckpt_obj_ops *ops = ckpt_obj_ops_table[kind];
	struct hlist_head *bucket;
	struct ckpt_obj *obj;
	int ret;

	*objref = 0;
	if (!ptr)
		return 0;
	bucket = ckpt_obj_bucket(ctx->objs_by_ptr, ptr);
	hlist_for_each_entry(obj, bucket, node) {
		if (obj->ptr == ptr && obj->kind == kind) {
			*objref = obj->objref;
			obj->users += users;
			return 1;
		}
	}
	obj = ckpt_obj_add(ctx, kind, ptr);
	if (IS_ERR(obj))
		return ckpt_err(ctx, PTR_ERR(obj), "object hash: cannot add %s",
				ops->name);
	obj->users = users;
	ops->grab(ptr);
	hlist_add_head(&obj->node, bucket);
	*objref = obj->objref;
	ret = security_checkpoint_object(ops->rec, ptr);
	if (ret)
		return ckpt_err(ctx, ret, "%s %u: checkpoint denied by a security module",
				ops->name, obj->objref);
	return ops->checkpoint(ctx, ptr, obj->objref);
}

/**
 * ckpt_obj_checkpoint() - write an object unless it was written already
 * @ctx: checkpoint context
 * @kind: kind of object
 * @ptr: the object, or NULL for none
 * @objref: returns its id (0 for none)
 *
 * The first time an object is seen, its back end writes the records that
 * define it; later calls just return its id.
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_obj_checkpoint(struct ckpt_ctx *ctx, enum ckpt_obj_kind kind,
			void *ptr, u32 *objref)
{
	int ret = __ckpt_obj_checkpoint(ctx, kind, ptr, objref, 1);

	return ret > 0 ? 0 : ret;
}

/**
 * ckpt_obj_checkpoint_ahead() - write an object before a task names it
 * @ctx: checkpoint context
 * @kind: kind of object
 * @ptr: the object
 * @objref: returns its id
 *
 * For an object that a record must name before the task that uses it is
 * saved (the other end of a socket's connection): as
 * ckpt_obj_checkpoint(), but the call is not a reference of the tasks.
 *
 * Return: 0 if it was written now, 1 if it had been seen before (written,
 * or being written), or a negative error, already logged.
 */
int ckpt_obj_checkpoint_ahead(struct ckpt_ctx *ctx, enum ckpt_obj_kind kind,
			      void *ptr, u32 *objref)
{
	return __ckpt_obj_checkpoint(ctx, kind, ptr, objref, 0);
}

/**
 * ckpt_obj_id() - the id of an object seen already
 * @ctx: checkpoint context
 * @kind: kind of object
 * @ptr: the object
 *
 * For a back end that names an object it wrote earlier, where writing it
 * now is not allowed (under a lock).
 *
 * Return: its id, or 0 if it was not seen.
 */
u32 ckpt_obj_id(struct ckpt_ctx *ctx, enum ckpt_obj_kind kind, void *ptr)
{
	struct ckpt_obj *obj;

	hlist_for_each_entry(obj, ckpt_obj_bucket(ctx->objs_by_ptr, ptr), node)
		if (obj->ptr == ptr && obj->kind == kind)
			return obj->objref;
	return 0;
}

/**
 * ckpt_obj_for_each() - call @fn for each saved object of a kind
 * @ctx: checkpoint context
 * @kind: kind of object
 * @fn: called with the object, its id and the number of references to it
 *	that the saved tasks hold (calls of ckpt_obj_checkpoint() for it);
 *	a non-zero return stops the walk
 *
 * Return: 0 or what @fn returned.
 */
int ckpt_obj_for_each(struct ckpt_ctx *ctx, enum ckpt_obj_kind kind,
		      int (*fn)(struct ckpt_ctx *ctx, void *ptr, u32 objref, u32 users))
{
	struct ckpt_obj *obj;
	unsigned long id;
	int ret;

	xa_for_each(&ctx->objs, id, obj) {
		if (obj->kind != kind)
			continue;
		ret = fn(ctx, obj->ptr, obj->objref, obj->users);
		if (ret)
			return ret;
		cond_resched();
	}
	return 0;
}

/**
 * ckpt_obj_ops_of() - the back end of an object kind
 * @kind: the kind
 *
 * Return: its entry of the table generated from checkpoint_types.h.
 */
const struct ckpt_obj_ops *ckpt_obj_ops_of(enum ckpt_obj_kind kind)
{
	return ckpt_obj_ops_table[kind];
}

/**
 * ckpt_check_objs() - fail if a saved object would not restore as it is
 * @ctx: checkpoint context, every task saved
 * @leaks: also look for objects of a container used from outside the tree
 *
 * Calls the check of every kind that has one on each saved object of
 * that kind, then, if @leaks, the leak checks.
 *
 * Return: 0 or the first error (-EBUSY for a leak), logged by the back end.
 */
int ckpt_check_objs(struct ckpt_ctx *ctx, bool leaks)
{
	int kind, ret = 0;

	for (kind = 0; !ret && kind < CKPT_OBJ_NR; kind++)
		if (ckpt_obj_ops_table[kind]->check)
			ret = ckpt_obj_for_each(ctx, kind, ckpt_obj_ops_table[kind]->check);
	for (kind = 0; !ret && leaks && kind < CKPT_OBJ_NR; kind++)
		if (ckpt_obj_ops_table[kind]->leak)
			ret = ckpt_obj_for_each(ctx, kind, ckpt_obj_ops_table[kind]->leak);
	return ret;
}

/**
 * ckpt_finish_objs() - complete the restored objects
 * @ctx: restart context, every task has read its records
 *
 * Return: 0 or the first error of a back end's finish, logged.
 */
int ckpt_finish_objs(struct ckpt_ctx *ctx)
{
	struct ckpt_obj *obj;
	unsigned long id;
	int ret;

	xa_for_each(&ctx->objs, id, obj) {
		if (!ckpt_obj_ops_table[obj->kind]->finish)
			continue;
		ret = ckpt_obj_ops_table[obj->kind]->finish(ctx, obj->ptr, obj->objref);
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * ckpt_thaw_objs() - let the saved objects go on with their tasks
 * @ctx: checkpoint context
 * @how: the tasks are about to go on, stay stopped (CHECKPOINT_STOP) or
 *	be killed (CHECKPOINT_KILL)
 *
 * Calls the thaw of every kind that has one on each saved object, also
 * when the checkpoint failed.
 */
void ckpt_thaw_objs(struct ckpt_ctx *ctx, enum ckpt_thaw how)
{
	struct ckpt_obj *obj;
	unsigned long id;

	xa_for_each(&ctx->objs, id, obj)
		if (ckpt_obj_ops_table[obj->kind]->thaw)
			ckpt_obj_ops_table[obj->kind]->thaw(ctx, obj->ptr, obj->objref, how);
}

static struct ckpt_obj_key *ckpt_obj_key_lookup(struct ckpt_ctx *ctx,
						enum ckpt_obj_kind kind,
						const void *key)
{
	struct hlist_head *bucket = ckpt_obj_bucket(ctx->objs_by_key, key);
	struct ckpt_obj_key *k;

	hlist_for_each_entry(k, bucket, node)
		if (k->key == key && k->kind == kind)
			return k;
	return NULL;
}

/**
 * ckpt_obj_key_add() - let another pointer stand for a saved object
 * @ctx: checkpoint or restart context
 * @kind: kind of the object
 * @key: the pointer (the inode both ends of a pipe share, say)
 * @objref: the object's id
 *
 * For objects that more than one pointer stands for, found again in
 * constant time with ckpt_obj_key_find().  It does not count as a
 * reference of the object: the leak checks compare those with the
 * object's own reference count.  At restart, a back end may keep a word
 * of state per restored object this way (a socket waiting for its peer).
 *
 * Return: a word of data that the back end may use for the key (0 at
 * first), or an ERR_PTR.
 */
unsigned long *ckpt_obj_key_add(struct ckpt_ctx *ctx, enum ckpt_obj_kind kind,
				const void *key, u32 objref)
{
	struct ckpt_obj_key *k;

	k = kzalloc(sizeof(*k), GFP_KERNEL);
	if (!k)
		return ERR_PTR(-ENOMEM);
	k->key = key;
	k->kind = kind;
	k->objref = objref;
	hlist_add_head(&k->node, ckpt_obj_bucket(ctx->objs_by_key, key));
	return &k->data;
}

/**
 * ckpt_obj_key_find() - the saved object another pointer stands for
 * @ctx: checkpoint or restart context
 * @kind: kind of the object
 * @key: the pointer given to ckpt_obj_key_add()
 * @objref: returns the object's id, or 0
 *
 * Return: the key's word of data, or NULL if @key stands for nothing.
 */
unsigned long *ckpt_obj_key_find(struct ckpt_ctx *ctx, enum ckpt_obj_kind kind,
				 const void *key, u32 *objref)
{
	struct ckpt_obj_key *k = ckpt_obj_key_lookup(ctx, kind, key);

	*objref = k ? k->objref : 0;
	return k ? &k->data : NULL;
}

/**
 * ckpt_obj_lookup() - find a restored object by id
 * @ctx: restart context
 * @kind: the kind the caller expects
 * @objref: the id, from the image
 *
 * Return: the object, or NULL (logged) if @objref is not an object of
 * that kind.
 */
void *ckpt_obj_lookup(struct ckpt_ctx *ctx, enum ckpt_obj_kind kind, u32 objref)
{
	struct ckpt_obj *obj = objref ? xa_load(&ctx->objs, objref) : NULL;

	if (!obj || obj->kind != kind) {
		ckpt_err(ctx, -EINVAL, "offset %llu: record %s refers to object %u, which is not a %s",
			 ctx->rec_start, ckpt_rec_name(ctx->rec_type), objref,
			 ckpt_obj_ops_table[kind]->name);
		return NULL;
	}
	return obj->ptr;
}

/**
 * ckpt_obj_restart_one() - restore the object that the next record defines
 * @ctx: restart context
 *
 * Return: 1 if an object was restored, 0 if the next record does not
 * define an object, or a negative error (logged).
 */
int ckpt_obj_restart_one(struct ckpt_ctx *ctx)
{
	const struct ckpt_obj_ops *ops = NULL;
	struct ckpt_obj *obj;
	enum ckpt_obj_kind kind;
	u32 objref = 0;
	void *ptr;
	int type, ret;

	type = ckpt_peek_rec(ctx);
	if (type < 0)
		return type;
	for (kind = 0; kind < CKPT_OBJ_NR; kind++) {
		if (ckpt_obj_ops_table[kind]->rec == type) {
			ops = ckpt_obj_ops_table[kind];
			break;
		}
	}
	if (!ops)
		return 0;

	ptr = ops->restart(ctx, &objref);
	if (IS_ERR(ptr))
		return PTR_ERR(ptr);
	ret = security_restart_object(ops->rec, ptr);
	if (ret) {
		ops->drop(ptr);
		return ckpt_err(ctx, ret, "%s %u: restart denied by a security module",
				ops->name, objref);
	}
	obj = kmalloc(sizeof(*obj), GFP_KERNEL);
	ret = obj ? 0 : -ENOMEM;
	if (obj) {
		obj->ptr = ptr;
		obj->kind = kind;
		obj->objref = objref;
		ret = xa_insert(&ctx->objs, objref, obj, GFP_KERNEL);
	}
	if (ret) {
		kfree(obj);
		ops->drop(ptr);
		return ckpt_err(ctx, ret, "object hash: cannot add %s %u", ops->name, objref);
	}
	ctx->nr_objs[kind]++;
	return 1;
}

/**
 * ckpt_check_objref() - check the id in a record that defines an object
 * @ctx: restart context
 * @rec_objref: the id the record carries
 * @objref: returns it
 *
 * An id is defined once; records only refer to ids defined before them.
 *
 * Return: 0 or -EINVAL (logged).
 */
int ckpt_check_objref(struct ckpt_ctx *ctx, __le32 rec_objref, u32 *objref)
{
	u32 id = le32_to_cpu(rec_objref);

	if (!id || id > INT_MAX || xa_load(&ctx->objs, id))
		return ckpt_err(ctx, -EINVAL,
				"offset %llu: record %s defines object %u twice or out of range",
				ctx->rec_start, ckpt_rec_name(ctx->rec_type), id);
	*objref = id;
	return 0;
}
